"""Record state for the field-level merge: values, who wrote them, concurrent writes, conflicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DELETION",
    "Conflict",
    "ConflictSide",
    "FieldWrite",
    "RecordState",
    "conflict_of",
    "contested_registers",
    "meta_to_json",
    "open_conflicts",
    "same_value",
    "side_to_json",
    "state_from_json",
]

# The deleted flag is merged like a field (a "register") under this reserved name, so a delete
# racing an edit becomes an ordinary conflict of the record on this field. Ops may not use it.
DELETION = "__deleted"


@dataclass(frozen=True, slots=True)
class FieldWrite:
    """Metadata of the write that set a field: the version it created and who made it when.

    ``version`` is the record version created by the op that made the write; because every
    merged op creates exactly one version, it tells which later ops could have seen the write
    (those whose ``base_version`` is at least this number).
    """

    version: int
    hlc: str
    device_id: str
    op_id: str


@dataclass(frozen=True, slots=True)
class ConflictSide:
    """One concurrently written value of a field, with the metadata of its write."""

    value: Any
    device_id: str
    hlc: str
    op_id: str
    version: int

    @classmethod
    def of(cls, value: Any, write: FieldWrite) -> ConflictSide:
        """Pair a value with the write that produced it."""
        return cls(value, write.device_id, write.hlc, write.op_id, write.version)

    @property
    def write(self) -> FieldWrite:
        """The write metadata of this side."""
        return FieldWrite(self.version, self.hlc, self.device_id, self.op_id)


@dataclass(frozen=True, slots=True)
class Conflict:
    """The open conflict of one record and field: the value kept and every differing value.

    There is one conflict per record and field. Several devices may lose against the same
    winner, so ``others`` holds all differing concurrent values, strongest first; ``other`` is
    the strongest, the single "other" side of the REST shape.
    """

    record_id: str
    field: str
    kept: ConflictSide
    others: tuple[ConflictSide, ...]

    @property
    def other(self) -> ConflictSide:
        """The strongest losing side."""
        return self.others[0]


@dataclass(frozen=True, slots=True)
class RecordState:
    """A record as the merge sees it.

    Per field (and for ``DELETION``) the record keeps a set of concurrent writes: the winner,
    whose value is in ``fields`` (``deleted``) and whose metadata is in ``field_meta``
    (``deleted_meta``), and the others in ``siblings``, strongest first. Siblings are the losing
    values of an open conflict, and also concurrent writes of the winner's very value: those are
    no conflict, but they must be kept because the winner may later be superseded.

    ``conflict_fields`` are the fields with an open conflict. It is sticky: merges add to it and
    only a resolution removes from it, so a record stays flagged until a person resolves it.

    The mappings are never mutated after construction; merge builds new ones.
    """

    record_id: str
    version: int
    fields: Mapping[str, Any]
    field_meta: Mapping[str, FieldWrite]
    deleted: bool = False
    deleted_meta: FieldWrite | None = None
    siblings: Mapping[str, tuple[ConflictSide, ...]] = field(default_factory=dict)
    conflict_fields: frozenset[str] = frozenset()

    @property
    def conflict(self) -> bool:
        """Whether the record has an open conflict (the sync feed's ``conflict`` flag)."""
        return bool(self.conflict_fields)

    def winner(self, register: str) -> ConflictSide | None:
        """The current value of a field (or of ``DELETION``) with the write that set it."""
        if register == DELETION:
            if self.deleted_meta is None:
                return None
            return ConflictSide.of(self.deleted, self.deleted_meta)
        meta = self.field_meta.get(register)
        if meta is None:
            return None
        return ConflictSide.of(self.fields[register], meta)

    def heads(self, register: str) -> tuple[ConflictSide, ...]:
        """All concurrent writes of a field that no later write has superseded, winner first."""
        winner = self.winner(register)
        if winner is None:
            return ()
        return (winner, *self.siblings.get(register, ()))


def same_value(a: Any, b: Any) -> bool:
    """JSON equality: like ``==`` but ``True`` is not ``1`` and ``"1"`` is not ``1``."""
    if a is b:
        return True
    if type(a) is not type(b):
        numbers = (int, float)
        return (
            isinstance(a, numbers)
            and isinstance(b, numbers)
            and not isinstance(a, bool)
            and not isinstance(b, bool)
            and a == b
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def conflict_of(state: RecordState, register: str) -> Conflict | None:
    """The conflict view of a field whose concurrent writes disagree, else None."""
    heads = state.heads(register)
    if len(heads) < 2:
        return None
    kept = heads[0]
    others = tuple(side for side in heads[1:] if not same_value(side.value, kept.value))
    if not others:
        return None
    return Conflict(state.record_id, register, kept, others)


def open_conflicts(state: RecordState) -> tuple[Conflict, ...]:
    """Conflict views of every field whose concurrent writes currently disagree."""
    found = (conflict_of(state, register) for register in state.siblings)
    return tuple(c for c in found if c is not None)


def contested_registers(state: RecordState) -> dict[str, tuple[Any, ...]]:
    """For each field whose concurrent writes disagree, every concurrently written value."""
    return {c.field: (c.kept.value, *(s.value for s in c.others)) for c in open_conflicts(state)}


def side_to_json(side: ConflictSide) -> dict[str, Any]:
    """One side of a conflict in the REST shape ``{value, device, hlc, op_id}``."""
    return {"value": side.value, "device": side.device_id, "hlc": side.hlc, "op_id": side.op_id}


def meta_to_json(state: RecordState) -> dict[str, Any]:
    """The write metadata of a record as JSON, for storage next to its fields.

    Values stay in the record's ``fields``; this holds who wrote each of them and the
    concurrent writes (with their values) that ``state_from_json`` needs to rebuild the state.
    """
    return {
        "fields": {name: _write_json(w) for name, w in state.field_meta.items()},
        "deleted": _write_json(state.deleted_meta) if state.deleted_meta else None,
        "siblings": {
            name: [[s.value, *_write_json(s.write)] for s in sides]
            for name, sides in state.siblings.items()
        },
    }


def state_from_json(
    record_id: str,
    version: int,
    fields: Mapping[str, Any],
    deleted: bool,
    meta: Mapping[str, Any],
    conflict_fields: frozenset[str] | set[str] = frozenset(),
) -> RecordState:
    """Rebuild a RecordState from stored columns and the JSON of ``meta_to_json``."""
    siblings = {
        name: tuple(ConflictSide.of(value, FieldWrite(*rest)) for value, *rest in sides)
        for name, sides in meta.get("siblings", {}).items()
    }
    deleted_meta = meta.get("deleted")
    return RecordState(
        record_id=record_id,
        version=version,
        fields=dict(fields),
        field_meta={name: FieldWrite(*w) for name, w in meta.get("fields", {}).items()},
        deleted=deleted,
        deleted_meta=FieldWrite(*deleted_meta) if deleted_meta else None,
        siblings=siblings,
        conflict_fields=frozenset(conflict_fields),
    )


def writes_stamped(meta: Mapping[str, Any] | None, hlc: str) -> list[list[Any]]:
    """The writes of the record's fields and deletion, in ``meta_to_json``'s JSON, whose HLC
    is `hlc` (each the JSON's own ``[version, hlc, device, op]`` list, so that a caller may
    set its HLC in place). Concurrent writes (siblings) are not among them."""
    if not meta:
        return []
    writes = [*meta.get("fields", {}).values(), meta.get("deleted")]
    return [write for write in writes if write and write[1] == hlc]


def _write_json(write: FieldWrite) -> list[Any]:
    return [write.version, write.hlc, write.device_id, write.op_id]
