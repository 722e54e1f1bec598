"""GET /v1/audits: the audit log for admins. No route edits or deletes audit rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query

from server import errors
from server.errors import Problem
from server.http.deps import ReadUoW
from server.services.audit import audit_json, list_audits

router = APIRouter(prefix="/v1/audits", tags=["audit"])


@router.get("")
def read_audits(
    uow: ReadUoW, action: str | None = None, start: datetime | None = None,
    end: datetime | None = None, limit: int = Query(default=1000, ge=1, le=10_000),
    offset: int = Query(default=0, ge=0),
) -> list[dict[str, Any]]:
    """Audit rows, newest first; `action` may end in `.*` (e.g. user.*); start/end are ISO times."""
    for bound in (start, end):
        if bound is not None and bound.tzinfo is None:
            raise Problem(errors.REQUEST_INVALID, "start and end need a time zone (e.g. Z)")
    rows = list_audits(uow.session, action=action, start=start, end=end, limit=limit, offset=offset)
    return [audit_json(row) for row in rows]
