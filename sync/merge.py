"""Field-level merge of one op into one record: pure, deterministic, arrival-order independent.

The model
---------
Each field of a record, and its deleted flag (the register ``DELETION``), holds the set of
*concurrent writes* that no later write has superseded (``RecordState.heads``). A write ``h``
is *seen* by an op ``o`` when

    h.device_id == o.device_id                      (a device knows its own earlier writes), or
    o.base_version is not None and h.version <= o.base_version   (the device pulled it).

Merging ``o`` into a register drops the writes ``o`` has seen, adds ``o``'s write and keeps
the rest: they are concurrent with ``o``. The register's value is that of its strongest write,
by (HLC, device id, op id) for fields and, for ``DELETION``, by "not deleted" first, so a delete
concurrent with an edit keeps the edit. The register is *contested* when its writes disagree in
value (by JSON equality); it then has an open conflict: the strongest write is ``kept`` and the
differing ones are ``others``. Every op writes ``DELETION`` (an edit writes "not deleted"), so a
delete sees exactly the edits its device had seen.

Every merged op creates exactly one version (even if it changes no value: its write is new),
so a write's version names its op's position in the record's history, and "seen" compares a
write with what the op's device had pulled, which is what base_version promises.

Which ops the server merges
---------------------------
The server merges each op once (``sync.ops.plan_push`` turns replays into duplicates) and a
device's ops in ``client_seq`` order (a gap defers the op). Both are assumed below.

The claim (tested in tests/sync/test_merge_properties.py)
---------------------------------------------------------
Let a record start from a state S (or not exist) at version v0, and let the ops come in
*rounds*: every op of round k has ``base_version`` None or v(k-1), where v(k) = v0 + the number
of ops in rounds 1..k (the devices pulled after round k-1 was merged). Merging round after
round, each round in any interleaving that respects every device's ``client_seq`` order, with
any duplicates filtered, gives the same field values, the same deleted flag, and for each field
the same set of concurrently written values when they disagree (``contested_registers``).

Why: a register's final set of writes is {writes of S not seen by any op that wrote the
register} plus, per device, the write of its last op in ``client_seq`` order that wrote the
register. Whether a write is seen by an op is a fixed property of the pair in this setting:
an op of round k sees every write of rounds before k (their versions are <= v(k-1) whatever
the interleaving, because each op adds exactly one version) when its base is v(k-1), none when
its base is None, and among writes of its own round only those of its own device, which are
merged before it. A write is dropped only by an op that sees it, and every op that sees a write
is merged after it (a later op of its device, or an op of a later round), so the final set does not
depend on arrival order, and the values, the winners and the disagreements are functions of
that set. Statuses, version numbers of individual writes and the sticky ``conflict_fields`` may
depend on arrival order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from sync.ops import InvalidOpError, Op
from sync.records import (
    DELETION,
    Conflict,
    ConflictSide,
    FieldWrite,
    RecordState,
    conflict_of,
    same_value,
)

__all__ = ["ChosenValue", "Choice", "MergeResult", "MergeStatus", "merge", "resolve_conflict"]

MergeStatus = Literal["applied", "merged", "conflict"]
_Rank = Callable[[ConflictSide], tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The record after one op, and what the op's push result reports.

    ``status``: ``applied`` when the op's values were taken as they are and nothing concurrent
    happened on the server; ``merged`` when taken alongside concurrent changes by other devices
    (to other fields, or the same value to the same field); ``conflict`` when the op wrote a
    field that another device changed concurrently to a different value, whether the op's value
    won or lost. ``conflicts`` are the open conflicts of the fields the op met a differing value
    on, to be stored as *the* open conflict of their record and field (replacing an older view).
    ``changed_fields`` are the fields whose value changed, in the op's order.
    """

    state: RecordState
    status: MergeStatus
    conflicts: tuple[Conflict, ...]
    changed_fields: tuple[str, ...]
    deleted_changed: bool

    @property
    def version(self) -> int:
        """The record version the op created."""
        return self.state.version


def merge(current: RecordState | None, op: Op) -> MergeResult:
    """Merge one op into a record (None: the record does not exist yet); see the module doc.

    Raises InvalidOpError when the op is for another record or names a base version the
    record never had.
    """
    if current is None:
        return _created(op)
    state = current
    _check(state, op)
    write = FieldWrite(state.version + 1, op.hlc, op.device_id, op.op_id)
    fields, meta = dict(state.fields), dict(state.field_meta)
    siblings = _LazyDict(state.siblings)
    changed: list[str] = []
    contested: list[str] = []
    for name, value in op.fields.items():
        old = state.fields.get(name, _MISSING)
        seen = state.field_meta.get(name)
        if name not in state.siblings and (seen is None or _sees(op, seen.version, seen.device_id)):
            # The common case, a single write the op has seen: no lists, no sorting.
            fields[name], meta[name] = value, write
        else:
            heads, clash = _write(state, name, ConflictSide.of(value, write), op, _field_rank)
            fields[name], meta[name] = heads[0].value, heads[0].write
            siblings.set(name, heads[1:])
            if clash:
                contested.append(name)
        if old is _MISSING or not same_value(old, fields[name]):
            changed.append(name)
    heads, clash = _write(state, DELETION, ConflictSide.of(op.deleted, write), op, _alive_first)
    siblings.set(DELETION, heads[1:])
    if clash:
        contested.append(DELETION)
    new = RecordState(
        record_id=state.record_id,
        version=write.version,
        fields=fields,
        field_meta=meta,
        deleted=heads[0].value,
        deleted_meta=heads[0].write,
        siblings=siblings.result(),
        conflict_fields=state.conflict_fields.union(contested),
    )
    return MergeResult(
        state=new,
        status=_status(state, op, contested),
        conflicts=_conflicts(new, contested),
        changed_fields=tuple(changed),
        deleted_changed=new.deleted != state.deleted,
    )


def _created(op: Op) -> MergeResult:
    """``merge`` into a record that does not exist yet (a push's usual case), without the
    general walk: every field and the deleted flag get the op's write, nothing is concurrent,
    every field changes, and the op is applied."""
    if op.base_version is not None and op.base_version > 0:
        raise InvalidOpError(
            "base_version_unknown", f"base_version {op.base_version} is ahead of version 0"
        )
    write = FieldWrite(1, op.hlc, op.device_id, op.op_id)
    new = RecordState(
        record_id=op.record_id,
        version=1,
        fields=dict(op.fields),
        field_meta=dict.fromkeys(op.fields, write),
        deleted=op.deleted,
        deleted_meta=write,
        siblings={},
        conflict_fields=frozenset(),
    )
    return MergeResult(new, "applied", (), tuple(op.fields), op.deleted)


def _check(state: RecordState, op: Op) -> None:
    if op.record_id != state.record_id:
        raise InvalidOpError("record_mismatch", f"op for {op.record_id}, not {state.record_id}")
    if op.base_version is not None and op.base_version > state.version:
        raise InvalidOpError(
            "base_version_unknown",
            f"base_version {op.base_version} is ahead of version {state.version}",
        )


def _sees(op: Op, version: int, device_id: str) -> bool:
    base = op.base_version
    return device_id == op.device_id or (base is not None and version <= base)


def _field_rank(side: ConflictSide) -> tuple[str, str, str]:
    return (side.hlc, side.device_id, side.op_id)


def _alive_first(side: ConflictSide) -> tuple[bool, str, str, str]:
    return (not side.value, side.hlc, side.device_id, side.op_id)


def _write(
    state: RecordState, register: str, new: ConflictSide, op: Op, rank: _Rank
) -> tuple[tuple[ConflictSide, ...], bool]:
    """The register's writes after ``new``, strongest first, and whether ``new`` met a
    concurrent differing value."""
    if register not in state.siblings:
        winner = state.winner(register)
        # The common case: one write, seen by the op; skip building and sorting lists.
        if winner is None or _sees(op, winner.version, winner.device_id):
            return (new,), False
    concurrent = [h for h in state.heads(register) if not _sees(op, h.version, h.device_id)]
    clash = any(not same_value(h.value, new.value) for h in concurrent)
    concurrent.append(new)
    concurrent.sort(key=rank, reverse=True)
    return tuple(concurrent), clash


def _status(state: RecordState, op: Op, contested: list[str]) -> MergeStatus:
    if contested:
        return "conflict"
    if op.base_version is not None and op.base_version >= state.version:
        return "applied"
    unseen = any(not _sees(op, w.version, w.device_id) for w in _writes(state))
    return "merged" if unseen else "applied"


def _writes(state: RecordState) -> Iterable[FieldWrite | ConflictSide]:
    yield from state.field_meta.values()
    if state.deleted_meta is not None:
        yield state.deleted_meta
    for sides in state.siblings.values():
        yield from sides


def _conflicts(state: RecordState, registers: list[str]) -> tuple[Conflict, ...]:
    found = (conflict_of(state, register) for register in registers)
    return tuple(c for c in found if c is not None)


class _Missing:
    pass


_MISSING: Any = _Missing()


class _LazyDict:
    """Copy-on-write view of the siblings mapping: most merges leave it untouched."""

    def __init__(self, base: Mapping[str, tuple[ConflictSide, ...]]) -> None:
        self._base = base
        self._copy: dict[str, tuple[ConflictSide, ...]] | None = None

    def set(self, key: str, sides: tuple[ConflictSide, ...]) -> None:
        if not sides and key not in self._base and self._copy is None:
            return
        if self._copy is None:
            self._copy = dict(self._base)
        if sides:
            self._copy[key] = sides
        else:
            self._copy.pop(key, None)

    def result(self) -> Mapping[str, tuple[ConflictSide, ...]]:
        return self._base if self._copy is None else self._copy


@dataclass(frozen=True, slots=True)
class ChosenValue:
    """A resolution that sets a value of its own instead of choosing a side."""

    value: Any


Choice = Literal["kept", "other"] | ChosenValue


def resolve_conflict(
    state: RecordState,
    conflict: Conflict,
    choice: Choice,
    *,
    hlc: str,
    device_id: str,
    op_id: str,
) -> tuple[RecordState, bool]:
    """Close the open conflict of a field with the chosen value.

    ``"kept"`` and ``"other"`` take that side's value, ``ChosenValue`` any value (a bool for
    ``DELETION``). If the value is the field's current value the conflict closes without a new
    version (``changed`` is False); otherwise the resolution is a write by ``device_id`` at
    ``hlc`` (the server's clock) that creates a new version and syncs to every device. Either
    way the concurrent writes of the field are settled: the resolver has seen them all.
    """
    register = conflict.field
    if register not in state.conflict_fields:
        raise ValueError(f"{state.record_id} has no open conflict on {register!r}")
    value = _chosen(conflict, choice)
    if register == DELETION and not isinstance(value, bool):
        raise ValueError("a deletion conflict resolves to true (deleted) or false (kept)")
    siblings = {k: v for k, v in state.siblings.items() if k != register}
    settled = replace(state, siblings=siblings, conflict_fields=state.conflict_fields - {register})
    current = state.winner(register)
    if current is not None and same_value(current.value, value):
        return settled, False
    write = FieldWrite(state.version + 1, hlc, device_id, op_id)
    if register == DELETION:
        return replace(settled, version=write.version, deleted=value, deleted_meta=write), True
    fields = {**state.fields, register: value}
    meta = {**state.field_meta, register: write}
    return replace(settled, version=write.version, fields=fields, field_meta=meta), True


def _chosen(conflict: Conflict, choice: Choice) -> Any:
    if isinstance(choice, ChosenValue):
        return choice.value
    if choice == "kept":
        return conflict.kept.value
    if choice == "other":
        return conflict.other.value
    raise ValueError(f"unknown choice {choice!r}")
