"""The record-kind registry: how the sync API loads, saves, feeds and lists each kind of record.

The sync push, pull, conflict and history services are generic; everything they need from a
kind of record ("submission", "entity") is the small ``RecordKind`` protocol below. A kind
registers itself once at import time with ``register_kind`` (submissions in
server/services/sync_submissions.py; entities in their own module).

Contract of a kind (all methods take the caller's session and never commit):

- ``check_write(session, access, project_id, container)``: may the caller write records of this
  container (a form's xmlFormId, a dataset's name)? Raise ``OpRejected`` when it does not exist
  or the caller may not write it: the op is answered ``rejected`` and quarantined.
- ``load(session, project_id, container, record_id)``: the record as a ``RecordState`` (None if
  it does not exist), **locking its row** (``SELECT … FOR UPDATE`` on PostgreSQL) so that
  concurrent writes to one record serialise. When the record does not exist yet, serialise its
  creators too (PostgreSQL: ``pg_advisory_xact_lock`` on the record's key, then read again;
  see sync_submissions._locked_row): do not use a savepoint, because the change counter's
  before_commit hook also fires when a savepoint is released. A soft-deleted record loads
  with ``deleted=True``.
  Use ``state_from_stored`` to rebuild the state from the stored fields and meta JSON.
- ``save(session, project_id, container, result, op, actor_id)``: store ``result.state``. When
  ``result.state.version`` is above the stored version this is a new version of the record
  (created by ``op``, pushed by ``actor_id``); when it is equal, only the write metadata and
  conflict flags changed (a resolution that kept the current value): no new version. Store
  ``state_to_meta(result.state)`` beside the fields, and call
  ``server.services.changes.mark_changed`` so the pull feed sees the record. Return the version.
- Optional, for speed: ``prepare(session, access, project_id, keys)`` with the push's
  ``(container, record_id)`` pairs, before its ops, and ``finish_batch(session)`` after them
  (and before an op of another kind). A kind may then load and lock the named records at once
  and hold back inserting new records until ``finish_batch``, as long as every ``load`` and
  ``save`` behaves as without it (server/services/sync_submission_batch.py).
- ``changes(session, access, project_id, after, limit)``: up to ``limit`` records of the project
  that the caller may see (server/services/scope.py), whose feed position is after ``after``,
  in feed order (``change_seq``, then row id). See ``FeedPosition``.
- ``history(session, access, project_id, record_id)``: every version from 1, oldest first, as
  JSON objects with at least ``version, createdAt, actorId, deviceId, hlc, opId, changed``;
  raise ``Problem(errors.NOT_FOUND)`` when the record does not exist or is out of scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy import and_, or_
from sqlmodel import Session

from server.policy import Access
from sync.merge import MergeResult
from sync.ops import Op
from sync.records import FieldWrite, RecordState, meta_to_json, state_from_json

__all__ = [
    "Change",
    "FeedPosition",
    "OpRejected",
    "RecordKind",
    "get_kind",
    "kinds",
    "register_kind",
    "state_from_stored",
    "state_to_meta",
]


class OpRejected(Exception):
    """An op that can never apply (unknown form or dataset, not permitted); ``code`` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, order=True, slots=True)
class FeedPosition:
    """A place in the pull feed: after the row ``row_id`` of ``kind`` stamped ``change_seq``.

    One write transaction stamps all its records with the same change_seq, so the feed orders
    by (change_seq, kind, row id) and a page may end in the middle of a transaction's records.
    A kind's rows come after this position when ``change_seq`` is greater, or equal with
    (kind, row id) greater: see ``after_clause``.
    """

    change_seq: int = 0
    kind: str = ""
    row_id: int = 0

    def after_clause(self, kind: str, seq_col: Any, id_col: Any) -> Any:
        """The SQL condition "this kind's row is after this position"."""
        if kind > self.kind:
            return seq_col >= self.change_seq
        if kind < self.kind:
            return seq_col > self.change_seq
        same_seq = and_(seq_col == self.change_seq, id_col > self.row_id)
        # The first condition is implied by the second; alone it bounds an index range scan.
        return and_(seq_col >= self.change_seq, or_(seq_col > self.change_seq, same_seq))


@dataclass(frozen=True, slots=True)
class Change:
    """One record in the pull feed, with its whole current fields."""

    type: str
    container: str
    record_id: str
    version: int
    fields: Mapping[str, Any]
    deleted: bool
    conflict: bool
    hlc: str | None
    position: FeedPosition
    sensitive: bool = False  # a record of a sensitive form: its pull is audited

    def to_json(self) -> dict[str, Any]:
        """The wire shape of a change."""
        target = "form_id" if self.type == "submission" else "dataset"
        return {
            "type": self.type, target: self.container, "record_id": self.record_id,
            "version": self.version, "fields": dict(self.fields), "deleted": self.deleted,
            "conflict": self.conflict, "hlc": self.hlc,
        }


class RecordKind(Protocol):
    """One kind of synced record; see the module docstring for the contract."""

    name: str

    def check_write(
        self, session: Session, access: Access, project_id: int, container: str
    ) -> None:
        """Raise OpRejected unless the caller may write records of this container."""
        ...

    def load(
        self, session: Session, project_id: int, container: str, record_id: str
    ) -> RecordState | None:
        """The record, its row locked for this transaction; None if it does not exist."""
        ...

    def save(
        self, session: Session, project_id: int, container: str, result: MergeResult, op: Op,
        actor_id: int | None,
    ) -> int:
        """Store the merged record (a new version if the version grew); return the version."""
        ...

    def changes(
        self, session: Session, access: Access, project_id: int, after: FeedPosition, limit: int
    ) -> list[Change]:
        """Records after ``after`` in feed order, within the caller's scope."""
        ...

    def history(
        self, session: Session, access: Access, project_id: int, record_id: str
    ) -> list[dict[str, Any]]:
        """Every version of the record from 1, oldest first."""
        ...


_KINDS: dict[str, RecordKind] = {}
# Version 0 precedes every record version, so every op has "seen" such a write.
_NEVER_WRITTEN = FieldWrite(0, "0000000000000-00000-server", "server", "")


def register_kind(kind: RecordKind) -> None:
    """Make a kind of record available to the sync API (idempotent for the same object)."""
    existing = _KINDS.get(kind.name)
    if existing is not None and existing is not kind and type(existing) is not type(kind):
        raise ValueError(f"record kind {kind.name!r} is already registered")
    _KINDS[kind.name] = kind


def get_kind(name: str) -> RecordKind | None:
    """The registered kind of this name, if any."""
    return _KINDS.get(name)


def kinds() -> list[RecordKind]:
    """Every registered kind, in name order (the feed's order between kinds)."""
    return [_KINDS[name] for name in sorted(_KINDS)]


def state_to_meta(state: RecordState) -> dict[str, Any]:
    """The write metadata to store beside a record's fields (includes its open conflicts)."""
    return {**meta_to_json(state), "conflict_fields": sorted(state.conflict_fields)}


def state_from_stored(
    record_id: str, version: int, fields: Mapping[str, Any], deleted: bool,
    meta: Mapping[str, Any] | None, fallback: FieldWrite | None = None,
) -> RecordState:
    """Rebuild a RecordState from stored columns and ``state_to_meta`` JSON.

    Fields without metadata (written before the record had any, or by a path that did not
    keep it) are taken as written by ``fallback`` (a ``sync.records.FieldWrite``, typically the
    current version's write); without a fallback they count as written at version 0, which
    every op has seen.
    """
    meta = dict(meta or {})
    state = state_from_json(
        record_id, version, fields, deleted, meta, frozenset(meta.get("conflict_fields", ()))
    )
    missing = [name for name in fields if name not in state.field_meta]
    if not missing and (state.deleted_meta is not None or fallback is None):
        return state
    write = fallback if fallback is not None else _NEVER_WRITTEN
    field_meta = {**state.field_meta, **{name: write for name in missing}}
    return replace(state, field_meta=field_meta, deleted_meta=state.deleted_meta or write)
