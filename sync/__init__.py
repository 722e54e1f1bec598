"""Kenesh's pure sync engine: hybrid logical clocks, records, ops and the field-level merge."""

from sync.hlc import CappedTimestamp, Clock, HLCFormatError, Timestamp, cap_remote
from sync.merge import Choice, ChosenValue, MergeResult, MergeStatus, merge, resolve_conflict
from sync.ops import Attachment, InvalidOpError, Op, PlannedOp, parse_op, plan_push
from sync.records import (
    DELETION,
    Conflict,
    ConflictSide,
    FieldWrite,
    RecordState,
    contested_registers,
    open_conflicts,
    same_value,
)

__all__ = [
    "DELETION",
    "Attachment",
    "CappedTimestamp",
    "Choice",
    "ChosenValue",
    "Clock",
    "Conflict",
    "ConflictSide",
    "FieldWrite",
    "HLCFormatError",
    "InvalidOpError",
    "MergeResult",
    "MergeStatus",
    "Op",
    "PlannedOp",
    "RecordState",
    "Timestamp",
    "cap_remote",
    "contested_registers",
    "merge",
    "open_conflicts",
    "parse_op",
    "plan_push",
    "resolve_conflict",
    "same_value",
]
