"""merge into a record that does not exist yet takes a shortcut; it must equal the general
merge into an empty state at version 0 (result, key order, errors)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from sync.ops import InvalidOpError, Op
from sync.records import RecordState

merge_module = importlib.import_module("sync.merge")

FIELDS: list[dict[str, Any]] = [
    {}, {"/d/a": 1}, {"/d/c": "t", "/d/a": None, "/d/b": [1, {"x": 2}]},
]


def _outcome(current: RecordState | None, op: Op) -> Any:
    try:
        return merge_module.merge(current, op)
    except InvalidOpError as error:
        return ("rejected", error.code, str(error))


@pytest.mark.parametrize("fields", FIELDS)
@pytest.mark.parametrize("deleted", [False, True])
@pytest.mark.parametrize("base", [None, 0, 1, 7])
def test_a_new_record_merges_as_into_an_empty_state(
    fields: dict[str, Any], deleted: bool, base: int | None
) -> None:
    op = Op("op-1", "phone", 3, "submission", "uuid:r", "1700000000001-00002-phone",
            fields, base, deleted, form_id="f")
    shortcut = _outcome(None, op)
    general = _outcome(RecordState(op.record_id, 0, {}, {}), op)
    assert shortcut == general
    if not isinstance(shortcut, tuple):
        assert list(shortcut.state.fields) == list(general.state.fields)
        assert list(shortcut.state.field_meta) == list(general.state.field_meta)
