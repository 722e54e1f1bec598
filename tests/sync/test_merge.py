"""The field-level merge, one scenario per test."""

from __future__ import annotations

import pytest

from sync.merge import Choice, ChosenValue, merge, resolve_conflict
from sync.ops import InvalidOpError
from sync.records import DELETION, RecordState, contested_registers, open_conflicts
from tests.sync.factories import apply_all, created, hlc, make_op

BASE = {"status": "planned", "progress": "0", "spent": "0"}


def record() -> RecordState:
    return created(BASE).state


def test_a_new_record_takes_the_ops_values_as_they_are() -> None:
    result = merge(None, make_op(fields={"status": "planned"}))

    assert result.status == "applied"
    assert result.version == 1
    assert result.state.fields == {"status": "planned"}
    assert result.changed_fields == ("status",)
    assert not result.state.deleted


def test_an_edit_based_on_the_current_version_is_applied() -> None:
    result = merge(record(), make_op(base_version=1, fields={"status": "started"}))

    assert result.status == "applied"
    assert result.state.fields["status"] == "started"
    assert result.state.version == 2


def test_offline_edits_of_different_fields_merge_without_conflict() -> None:
    start = record()
    first = merge(start, make_op(device_id="phone-1", base_version=1, fields={"status": "done"}))
    second = merge(first.state, make_op(device_id="phone-2", base_version=1, fields={"spent": "9"}))

    assert first.status == "applied"
    assert second.status == "merged"
    assert second.state.fields == {"status": "done", "progress": "0", "spent": "9"}
    assert not second.state.conflict
    assert second.conflicts == ()


def test_same_field_on_two_devices_opens_a_conflict_with_both_values_kept() -> None:
    early = make_op(
        device_id="phone-1", base_version=1, hlc=hlc(10, "phone-1"), fields={"status": "done"}
    )
    late = make_op(
        device_id="phone-2", base_version=1, hlc=hlc(20, "phone-2"), fields={"status": "stopped"}
    )
    first = merge(record(), early)
    second = merge(first.state, late)

    assert second.status == "conflict"
    assert second.state.conflict
    [conflict] = second.conflicts
    assert conflict.field == "status"
    assert (conflict.kept.value, conflict.kept.device_id) == ("stopped", "phone-2")
    assert (conflict.other.value, conflict.other.device_id) == ("done", "phone-1")
    assert second.state.fields["status"] == "stopped"


@pytest.mark.parametrize("late_arrives_first", [True, False])
def test_the_higher_clock_wins_a_concurrent_edit_whichever_arrives_first(
    late_arrives_first: bool,
) -> None:
    early = make_op(
        device_id="phone-1", base_version=1, hlc=hlc(10, "phone-1"), fields={"status": "done"}
    )
    late = make_op(
        device_id="phone-2", base_version=1, hlc=hlc(20, "phone-2"), fields={"status": "stopped"}
    )
    ops = (late, early) if late_arrives_first else (early, late)

    state = apply_all(*ops, start=record())

    assert state.fields["status"] == "stopped"
    assert contested_registers(state) == {"status": ("stopped", "done")}


def test_the_op_arriving_second_reports_the_conflict_even_when_its_value_loses() -> None:
    late = make_op(
        device_id="phone-2", base_version=1, hlc=hlc(20, "phone-2"), fields={"status": "stopped"}
    )
    early = make_op(
        device_id="phone-1", base_version=1, hlc=hlc(10, "phone-1"), fields={"status": "done"}
    )
    first = merge(record(), late)
    second = merge(first.state, early)

    assert first.status == "applied"
    assert second.status == "conflict"
    assert second.changed_fields == ()
    assert second.state.fields["status"] == "stopped"
    assert second.conflicts[0].other.value == "done"


def test_equal_clocks_are_decided_by_device_id() -> None:
    same_time = hlc(10, "shared-node")
    a = make_op(device_id="phone-a", base_version=1, hlc=same_time, fields={"status": "a"})
    b = make_op(device_id="phone-b", base_version=1, hlc=same_time, fields={"status": "b"})

    assert apply_all(a, b, start=record()).fields["status"] == "b"
    assert apply_all(b, a, start=record()).fields["status"] == "b"


def test_writing_the_same_value_on_two_devices_is_not_a_conflict() -> None:
    one = make_op(device_id="phone-1", base_version=1, fields={"status": "done"})
    two = make_op(device_id="phone-2", base_version=1, fields={"status": "done"})
    result = merge(merge(record(), one).state, two)

    assert result.status == "merged"
    assert not result.state.conflict
    assert result.state.fields["status"] == "done"


def test_a_later_op_from_the_same_device_overwrites_its_own_earlier_value_without_conflict() -> (
    None
):
    first = make_op(client_seq=1, base_version=1, hlc=hlc(10), fields={"status": "started"})
    second = make_op(client_seq=2, base_version=1, hlc=hlc(5), fields={"status": "done"})
    result = merge(merge(record(), first).state, second)

    assert result.status == "applied"
    assert result.state.fields["status"] == "done"
    assert not result.state.conflict


def test_an_edit_based_on_an_old_version_keeps_the_newer_value_of_fields_it_did_not_change() -> (
    None
):
    state = apply_all(
        make_op(device_id="phone-2", base_version=1, fields={"progress": "50"}), start=record()
    )
    result = merge(state, make_op(device_id="phone-1", base_version=1, fields={"spent": "100"}))

    assert result.status == "merged"
    assert result.state.fields == {"status": "planned", "progress": "50", "spent": "100"}


def test_an_edit_after_seeing_another_devices_change_overwrites_it_without_conflict() -> None:
    state = apply_all(
        make_op(device_id="phone-2", base_version=1, fields={"status": "started"}), start=record()
    )
    result = merge(
        state, make_op(device_id="phone-1", base_version=2, hlc=hlc(-5), fields={"status": "done"})
    )

    assert result.status == "applied"
    assert result.state.fields["status"] == "done"


def test_concurrent_creates_of_the_same_record_are_merged_field_by_field() -> None:
    one = make_op(
        device_id="phone-1", hlc=hlc(10, "phone-1"), fields={"name": "Aigul", "age": "30"}
    )
    two = make_op(
        device_id="phone-2", hlc=hlc(20, "phone-2"), fields={"name": "Aigul", "age": "31"}
    )
    result = merge(merge(None, one).state, two)

    assert result.status == "conflict"
    assert result.state.fields == {"name": "Aigul", "age": "31"}
    assert [c.field for c in result.conflicts] == ["age"]


def test_delete_after_seeing_the_latest_version_deletes_the_record() -> None:
    result = merge(record(), make_op(base_version=1, deleted=True))

    assert result.status == "applied"
    assert result.state.deleted
    assert result.deleted_changed
    assert result.state.fields == BASE


@pytest.mark.parametrize("delete_arrives_first", [True, False])
def test_delete_concurrent_with_edit_keeps_the_edit_and_opens_a_conflict(
    delete_arrives_first: bool,
) -> None:
    delete = make_op(device_id="phone-1", base_version=1, hlc=hlc(50, "phone-1"), deleted=True)
    edit = make_op(
        device_id="phone-2", base_version=1, hlc=hlc(10, "phone-2"), fields={"status": "done"}
    )
    ops = (delete, edit) if delete_arrives_first else (edit, delete)
    first = merge(record(), ops[0])
    second = merge(first.state, ops[1])

    assert second.status == "conflict"
    assert not second.state.deleted
    assert second.state.fields["status"] == "done"
    [conflict] = second.conflicts
    assert conflict.field == DELETION
    assert (conflict.kept.value, conflict.other.value) == (False, True)


def test_a_device_that_deletes_its_own_record_later_is_not_in_conflict_with_itself() -> None:
    create = make_op(client_seq=1, fields={"status": "planned"})
    delete = make_op(client_seq=2, deleted=True)
    result = merge(merge(None, create).state, delete)

    assert result.status == "applied"
    assert result.state.deleted


def test_every_merged_op_is_a_new_version_even_if_no_value_changes() -> None:
    result = merge(record(), make_op(base_version=1, fields={"status": "planned"}))

    assert result.version == 2
    assert result.changed_fields == ()
    assert result.state.field_meta["status"].op_id == result.state.deleted_meta.op_id  # type: ignore[union-attr]


def test_a_base_version_the_server_never_issued_is_refused() -> None:
    with pytest.raises(InvalidOpError) as error:
        merge(record(), make_op(base_version=7, fields={"status": "done"}))

    assert error.value.code == "base_version_unknown"


def test_an_op_for_another_record_is_refused() -> None:
    with pytest.raises(InvalidOpError) as error:
        merge(record(), make_op(record_id="r2"))

    assert error.value.code == "record_mismatch"


def test_merge_leaves_the_input_state_unchanged() -> None:
    start = record()
    fields, meta, siblings = dict(start.fields), dict(start.field_meta), dict(start.siblings)
    merge(start, make_op(device_id="phone-2", fields={"status": "x", "new": "y"}))

    assert (dict(start.fields), dict(start.field_meta), dict(start.siblings)) == (
        fields,
        meta,
        siblings,
    )


def test_the_conflict_flag_stays_after_a_later_edit_until_it_is_resolved() -> None:
    one = make_op(device_id="phone-1", base_version=1, fields={"status": "done"})
    two = make_op(device_id="phone-2", base_version=1, fields={"status": "stopped"})
    conflicted = apply_all(one, two, start=record())
    later = merge(
        conflicted, make_op(device_id="phone-3", base_version=3, fields={"status": "paused"})
    )

    assert later.status == "applied"
    assert later.state.fields["status"] == "paused"
    assert later.state.conflict
    assert open_conflicts(later.state) == ()


def test_a_losing_device_that_changes_its_value_updates_the_open_conflict() -> None:
    winner = make_op(
        device_id="phone-2", base_version=1, hlc=hlc(90, "phone-2"), fields={"status": "stopped"}
    )
    loser = make_op(device_id="phone-1", client_seq=1, base_version=1, fields={"status": "done"})
    change = make_op(device_id="phone-1", client_seq=2, base_version=1, fields={"status": "paused"})
    result = merge(apply_all(winner, loser, start=record()), change)

    [conflict] = result.conflicts
    assert conflict.kept.value == "stopped"
    assert [side.value for side in conflict.others] == ["paused"]


def test_three_devices_on_one_field_give_one_conflict_with_two_other_values() -> None:
    ops = [
        make_op(
            device_id=f"phone-{n}",
            base_version=1,
            hlc=hlc(n, f"phone-{n}"),
            fields={"status": f"s{n}"},
        )
        for n in (1, 2, 3)
    ]
    state = apply_all(*ops, start=record())

    [conflict] = open_conflicts(state)
    assert conflict.kept.value == "s3"
    assert [side.value for side in conflict.others] == ["s2", "s1"]


def conflicted_record() -> RecordState:
    one = make_op(
        device_id="phone-1", base_version=1, hlc=hlc(10, "phone-1"), fields={"status": "done"}
    )
    two = make_op(
        device_id="phone-2", base_version=1, hlc=hlc(20, "phone-2"), fields={"status": "stopped"}
    )
    return apply_all(one, two, start=record())


def resolve(state: RecordState, choice: Choice) -> tuple[RecordState, bool]:
    [conflict] = open_conflicts(state)
    return resolve_conflict(
        state, conflict, choice, hlc=hlc(100, "server"), device_id="user:7", op_id="res-1"
    )


def test_keeping_the_current_value_closes_the_conflict_without_a_new_version() -> None:
    state, changed = resolve(conflicted_record(), "kept")

    assert not changed
    assert state.version == 3
    assert state.fields["status"] == "stopped"
    assert not state.conflict
    assert open_conflicts(state) == ()


def test_choosing_the_other_value_is_a_new_version() -> None:
    state, changed = resolve(conflicted_record(), "other")

    assert changed
    assert state.version == 4
    assert state.fields["status"] == "done"
    assert state.field_meta["status"].device_id == "user:7"
    assert not state.conflict


def test_a_resolution_may_set_a_value_of_its_own() -> None:
    state, changed = resolve(conflicted_record(), ChosenValue("paused"))

    assert changed
    assert state.fields["status"] == "paused"


def test_an_edit_made_before_the_resolution_reopens_the_conflict() -> None:
    resolved, _ = resolve(conflicted_record(), "other")
    stale = make_op(
        device_id="phone-2", client_seq=2, base_version=3, fields={"status": "cancelled"}
    )
    result = merge(resolved, stale)

    assert result.status == "conflict"
    assert result.state.fields["status"] == "done"
    assert result.conflicts[0].other.value == "cancelled"


def test_resolving_a_delete_conflict_with_the_delete_deletes_the_record() -> None:
    delete = make_op(device_id="phone-1", base_version=1, deleted=True)
    edit = make_op(device_id="phone-2", base_version=1, fields={"status": "done"})
    state, changed = resolve(apply_all(delete, edit, start=record()), "other")

    assert changed
    assert state.deleted
    assert not state.conflict


def test_resolving_a_field_without_an_open_conflict_is_refused() -> None:
    state = conflicted_record()
    [conflict] = open_conflicts(state)
    closed, _ = resolve_conflict(state, conflict, "kept", hlc=hlc(1), device_id="u", op_id="x")

    with pytest.raises(ValueError):
        resolve_conflict(closed, conflict, "kept", hlc=hlc(1), device_id="u", op_id="y")


def test_a_stored_conflict_can_be_resolved_after_a_later_edit_changed_the_field() -> None:
    state = conflicted_record()
    [stored] = open_conflicts(state)
    later = merge(state, make_op(device_id="phone-3", base_version=3, fields={"status": "paused"}))

    resolved, changed = resolve_conflict(
        later.state, stored, "other", hlc=hlc(100, "server"), device_id="user:7", op_id="res-2"
    )

    assert changed
    assert resolved.fields["status"] == "done"
    assert not resolved.conflict
