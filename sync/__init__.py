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
    conflict_of,
    contested_registers,
    meta_to_json,
    open_conflicts,
    same_value,
    side_to_json,
    state_from_json,
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
    "conflict_of",
    "contested_registers",
    "merge",
    "meta_to_json",
    "open_conflicts",
    "parse_op",
    "plan_push",
    "resolve_conflict",
    "same_value",
    "side_to_json",
    "state_from_json",
]
