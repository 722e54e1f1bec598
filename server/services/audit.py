"""The append-only audit log: rows join the caller's unit of work; nothing edits or deletes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.db import unit_of_work
from server.models import Audit
from server.models.base import iso

# A form version's publication, under ODK Central's name (its details name newDefId).
FORM_PUBLISH = "form.update.publish"
# Actions ODK Central writes under another name than the one Kenesh documents: rows keep
# Central's name (its tools and webhooks know that one), and a filter by either finds them.
ACTION_ALIASES = {"form.publish": FORM_PUBLISH}


def form_target(project_id: int, xml_form_id: str) -> str:
    """The audit target of a form: rows about it are written and found under this."""
    return f"project:{project_id}/form:{xml_form_id}"


def record_audit(
    session: Session, actor_id: int | None, action: str, target: str | None = None,
    details: dict[str, Any] | None = None, request_id: str | None = None,
) -> None:
    """Add an audit row to the caller's transaction (it is written when the caller commits)."""
    session.add(Audit(
        actor_id=actor_id, action=action, target=target, details=details, request_id=request_id,
    ))


def record_audit_now(
    engine: Engine, actor_id: int | None, action: str, target: str | None = None,
    details: dict[str, Any] | None = None, request_id: str | None = None,
) -> None:
    """Write an audit row in a transaction of its own, committed at once: for a request that
    reads in a read-only transaction (a write there could not take SQLite's write lock)."""
    with unit_of_work(engine, write=True) as uow:
        record_audit(uow.session, actor_id, action, target, details, request_id)
        uow.commit()


def request_id_of(request: Request) -> str | None:
    """The request id the middleware gave this request (to pass to record_audit)."""
    return getattr(request.state, "request_id", None)


def list_audits(
    session: Session, *, action: str | None = None, start: datetime | None = None,
    end: datetime | None = None, limit: int = 1000, offset: int = 0,
) -> list[Audit]:
    """Audit rows, newest first, filtered by action (a trailing `.*` matches a family) and time."""
    query = select(Audit)
    if action:
        if action.endswith(".*"):
            query = query.where(col(Audit.action).startswith(action[:-1]))
        else:
            query = query.where(Audit.action == ACTION_ALIASES.get(action, action))
    if start is not None:
        query = query.where(Audit.logged_at >= start)
    if end is not None:
        query = query.where(Audit.logged_at <= end)
    query = query.order_by(col(Audit.logged_at).desc(), col(Audit.id).desc())
    return list(session.exec(query.offset(offset).limit(limit)))


def audit_json(row: Audit) -> dict[str, Any]:
    """ODK Central's audit shape (actorId, action, acteeId, details, loggedAt) plus our fields."""
    return {
        "id": row.id, "actorId": row.actor_id, "action": row.action, "acteeId": row.target,
        "target": row.target, "details": row.details, "requestId": row.request_id,
        "loggedAt": iso(row.logged_at),
    }
