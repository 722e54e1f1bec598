"""Small factories for sync engine tests."""

from __future__ import annotations

import itertools
from typing import Any

from sync.merge import MergeResult, merge
from sync.ops import Op
from sync.records import RecordState

_ids = itertools.count(1)


def hlc(wall_ms: int, device_id: str = "phone-1", counter: int = 0) -> str:
    """An HLC string at a readable offset from a fixed day."""
    return f"{1764450000000 + wall_ms:013d}-{counter:05d}-{device_id}"


def make_op(**overrides: Any) -> Op:
    """An op of device phone-1 on record r1 unless told otherwise."""
    device_id = overrides.get("device_id", "phone-1")
    number = next(_ids)
    values: dict[str, Any] = {
        "op_id": f"op-{number}",
        "device_id": device_id,
        "client_seq": 1,
        "type": "submission",
        "form_id": "lap_activity",
        "record_id": "r1",
        "hlc": hlc(number, device_id),
        "fields": {},
    }
    values.update(overrides)
    return Op(**values)


def apply_all(*ops: Op, start: RecordState | None = None) -> RecordState:
    """The record after merging the ops in the given order."""
    state = start
    for op in ops:
        state = merge(state, op).state
    assert state is not None
    return state


def created(fields: dict[str, Any], device_id: str = "office") -> MergeResult:
    """A record r1 created at version 1 by another writer."""
    return merge(None, make_op(device_id=device_id, fields=fields, hlc=hlc(0, device_id)))
