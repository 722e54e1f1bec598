"""Conflicts kept for review: one open conflict per record and field, resolved by a person.

The merge (sync/merge.py) decides the values; this module keeps its conflict views in
``sync_conflicts`` and turns a manager's choice into ``sync.merge.resolve_conflict``: a value
different from the current one is a new version that syncs to every device, keeping the
current value closes the conflict without a new version.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from server import errors
from server.errors import Problem
from server.models import Form, SyncConflict
from server.models.base import iso, utcnow
from server.policy import Access
from server.services import sync_submissions  # noqa: F401  (the built-in record kind)
from server.services.audit import record_audit
from server.services.records import get_kind
from server.services.server_clock import server_tick
from sync.merge import Choice, ChosenValue, MergeResult, resolve_conflict
from sync.ops import Op
from sync.records import DELETION, Conflict, ConflictSide, same_value, side_to_json

CONFLICT_RESOLVED = errors.register(
    "conflict.already_resolved", 409, "This conflict has already been resolved."
)
RESOLUTION_INVALID = errors.register(
    "conflict.resolution_invalid", 400,
    'Send {"choose": "kept"} or {"choose": "other"}, or {"value": …}.',
)


def record_conflicts(
    session: Session, project_id: int, kind: str, container: str, found: Iterable[Conflict]
) -> list[SyncConflict]:
    """Store the merge's conflict views as the open conflict of their record and field."""
    rows = []
    for conflict in found:
        row = _open_conflict(session, project_id, kind, conflict.record_id, conflict.field)
        if row is None:
            row = SyncConflict(
                project_id=project_id, type=kind, container=container,
                record_id=conflict.record_id, field=conflict.field,
            )
        row.kept = _side(conflict.kept)
        row.others = _accumulated(row, conflict)
        session.add(row)
        rows.append(row)
    if rows:
        session.flush()
    return rows


def _accumulated(row: SyncConflict, conflict: Conflict) -> list[dict[str, Any]]:
    """The merge's differing values, plus those an earlier view of this open conflict held.

    A later op whose device had pulled the record supersedes the losing values it "saw" by
    version, although its device only ever saw the winner; keeping every value the conflict
    once held means no value a device sent disappears from review before a person resolves it.
    """
    others = [_side(side) for side in conflict.others]
    present = {side["op_id"] for side in others} | {conflict.kept.op_id}
    for earlier in [*row.others, *([row.kept] if row.kept else [])]:
        if earlier.get("op_id") not in present and not same_value(
            earlier.get("value"), conflict.kept.value
        ):
            others.append(earlier)
            present.add(earlier.get("op_id"))
    return others


def _side(side: ConflictSide) -> dict[str, Any]:
    return {**side_to_json(side), "version": side.version}


def _open_conflict(
    session: Session, project_id: int, kind: str, record_id: str, field: str
) -> SyncConflict | None:
    return session.exec(select(SyncConflict).where(
        SyncConflict.project_id == project_id, SyncConflict.type == kind,
        SyncConflict.record_id == record_id, SyncConflict.field == field,
        SyncConflict.status == "open",
    )).first()


def conflict_json(row: SyncConflict) -> dict[str, Any]:
    """The REST shape: {id, type, record_id, field, kept, other, status, …}."""
    target = "form_id" if row.type == "submission" else "dataset"
    strip = ("value", "device", "hlc", "op_id")
    return {
        "id": row.id, "type": row.type, target: row.container, "record_id": row.record_id,
        "field": row.field, "kept": {k: row.kept.get(k) for k in strip},
        "other": {k: row.others[0].get(k) for k in strip} if row.others else None,
        "others": [{k: o.get(k) for k in strip} for o in row.others],
        "status": row.status, "createdAt": iso(row.created_at),
        "resolvedAt": iso(row.resolved_at), "resolvedBy": row.resolved_by,
        "resolution": row.resolution,
    }


def list_conflicts(
    session: Session, access: Access, project_id: int, status: str | None
) -> list[SyncConflict]:
    """The project's conflicts, oldest first; sensitive forms' ones only with personal data."""
    query = select(SyncConflict).where(SyncConflict.project_id == project_id)
    if status is not None:
        if status not in ("open", "resolved"):
            raise Problem(errors.REQUEST_INVALID, "status must be open or resolved.")
        query = query.where(SyncConflict.status == status)
    if not access.personal_data:
        hidden = session.exec(select(Form.xml_form_id).where(
            Form.project_id == project_id, col(Form.sensitive).is_(True)
        )).all()
        if hidden:
            query = query.where(~(
                (SyncConflict.type == "submission") & col(SyncConflict.container).in_(hidden)
            ))
    return list(session.exec(query.order_by(col(SyncConflict.id))))


def parse_choice(body: Any) -> Choice:
    """{"choose": "kept"|"other"} or {"value": …}; 400 for anything else."""
    if not isinstance(body, Mapping) or len(body) != 1:
        raise Problem(RESOLUTION_INVALID)
    if "value" in body:
        return ChosenValue(body["value"])
    if body.get("choose") in ("kept", "other"):
        return body["choose"]  # type: ignore[no-any-return]
    raise Problem(RESOLUTION_INVALID)


def resolve(
    session: Session, project_id: int, conflict_id: int, choice: Choice, actor_id: int,
    request_id: str | None = None,
) -> SyncConflict:
    """Close a conflict with the chosen value (a new version only if the value changes)."""
    row = session.get(SyncConflict, conflict_id)
    if row is None or row.project_id != project_id:
        raise Problem(errors.NOT_FOUND, f"Conflict {conflict_id} does not exist.")
    if row.status != "open":
        raise Problem(CONFLICT_RESOLVED)
    kind = get_kind(row.type)
    state = kind.load(session, project_id, row.container, row.record_id) if kind else None
    if kind is None or state is None:
        raise Problem(errors.NOT_FOUND, f"Record {row.record_id!r} does not exist.")
    if isinstance(choice, ChosenValue) and row.field == DELETION:
        if not isinstance(choice.value, bool):
            raise Problem(RESOLUTION_INVALID, "A deletion conflict resolves to true or false.")
    stamp = server_tick(session).encode()
    writer, op_id = f"user:{actor_id}", f"resolve:{uuid.uuid4()}"
    version = None
    if row.field in state.conflict_fields:
        new, changed = resolve_conflict(
            state, _stored_conflict(row), choice, hlc=stamp, device_id=writer, op_id=op_id
        )
        field_changed = changed and row.field != DELETION
        op = Op(
            op_id=op_id, device_id=writer, client_seq=1, type=row.type,  # type: ignore[arg-type]
            record_id=row.record_id, hlc=stamp, base_version=state.version,
            fields={row.field: new.fields[row.field]} if field_changed else {},
            deleted=new.deleted, **_target(row),
        )
        result = MergeResult(
            state=new, status="applied", conflicts=(),
            changed_fields=(row.field,) if field_changed else (),
            deleted_changed=new.deleted != state.deleted,
        )
        saved = kind.save(session, project_id, row.container, result, op, actor_id)
        version = saved if changed else None
    value = _chosen_value(row, choice)
    row.status, row.resolved_at, row.resolved_by = "resolved", utcnow(), actor_id
    row.resolution = {"value": value, "version": version, "op_id": op_id if version else None}
    session.add(row)
    record_audit(session, actor_id, "conflict.resolve", f"{row.type}/{row.record_id}",
                 details={"field": row.field, "value": value, "version": version},
                 request_id=request_id)
    return row


def _target(row: SyncConflict) -> dict[str, str]:
    return {"form_id": row.container} if row.type == "submission" else {"dataset": row.container}


def _stored_conflict(row: SyncConflict) -> Conflict:
    def side(raw: Mapping[str, Any]) -> ConflictSide:
        return ConflictSide(raw.get("value"), raw.get("device") or "", raw.get("hlc") or "",
                            raw.get("op_id") or "", int(raw.get("version") or 0))

    others = tuple(side(o) for o in row.others) or (side(row.kept),)
    return Conflict(row.record_id, row.field, side(row.kept), others)


def _chosen_value(row: SyncConflict, choice: Choice) -> Any:
    if isinstance(choice, ChosenValue):
        return choice.value
    if choice == "kept":
        return row.kept.get("value")
    return row.others[0].get("value") if row.others else row.kept.get("value")
