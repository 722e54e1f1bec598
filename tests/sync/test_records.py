"""Record state helpers: JSON equality of values and storage of write metadata."""

from __future__ import annotations

import json

import pytest

from sync.merge import merge
from sync.records import (
    meta_to_json,
    open_conflicts,
    same_value,
    side_to_json,
    state_from_json,
    writes_stamped,
)
from tests.sync.factories import apply_all, created, hlc, make_op


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("1", "1", True),
        ("1", 1, False),
        (True, 1, False),
        (1, 1.0, True),
        (None, None, True),
        ({"a": [1, True]}, {"a": [1, True]}, True),
        ({"a": [1, True]}, {"a": [1, 1]}, False),
        ([1, 2], [1, 2, 3], False),
    ],
)
def test_values_are_compared_as_json_values(a: object, b: object, same: bool) -> None:
    assert same_value(a, b) is same


def test_a_record_with_an_open_conflict_survives_a_round_trip_through_stored_json() -> None:
    one = make_op(device_id="phone-1", base_version=1, fields={"status": "done"})
    two = make_op(device_id="phone-2", base_version=1, fields={"status": "stopped"}, deleted=True)
    state = apply_all(one, two, start=created({"status": "planned"}).state)

    stored = json.loads(json.dumps(meta_to_json(state)))
    loaded = state_from_json(
        state.record_id, state.version, state.fields, state.deleted, stored, state.conflict_fields
    )

    assert loaded == state
    later = make_op(device_id="phone-3", base_version=2, fields={"status": "paused"})
    assert merge(loaded, later) == merge(state, later)


def test_a_conflict_side_has_the_rest_shape() -> None:
    one = make_op(device_id="phone-1", base_version=1, hlc=hlc(1, "phone-1"), fields={"s": "a"})
    two = make_op(device_id="phone-2", base_version=1, hlc=hlc(2, "phone-2"), fields={"s": "b"})
    [conflict] = open_conflicts(apply_all(one, two, start=created({"s": "0"}).state))

    assert side_to_json(conflict.other) == {
        "value": "a",
        "device": "phone-1",
        "hlc": hlc(1, "phone-1"),
        "op_id": one.op_id,
    }


def test_the_writes_of_one_hlc_are_found_and_set_in_place_in_stored_json() -> None:
    start = created({"a": "1", "b": "2"}).state  # both fields written at hlc(0, "office")
    later = make_op(device_id="phone-1", base_version=1, hlc=hlc(5), fields={"b": "3"})
    meta = json.loads(json.dumps(meta_to_json(apply_all(later, start=start))))

    found = writes_stamped(meta, hlc(0, "office"))
    assert [write[1] for write in found] == [hlc(0, "office")]  # a's; b was written later
    found[0][1] = hlc(9)
    assert meta["fields"]["a"][1] == hlc(9) and meta["fields"]["b"][1] == hlc(5)
    assert writes_stamped(None, hlc(0)) == []
