"""A record's full history, whichever way each version came (REST, OpenRosa or sync)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request

from server import errors
from server.auth.deps import GrantedAccess
from server.errors import Problem
from server.http.deps import WriteUoW
from server.policy_routes import register
from server.services import sync_submissions  # noqa: F401  (registers the "submission" kind)
from server.services.audit import record_audit, request_id_of
from server.services.records import get_kind

router = APIRouter(tags=["sync"])
PATH = "/v1/projects/{projectId}/records/{kind}/{recordId}/versions"


@router.get(PATH)
def versions(
    request: Request, projectId: int, kind: str, recordId: str, uow: WriteUoW,
    access: GrantedAccess,
) -> list[dict[str, Any]]:
    found = get_kind(kind)
    if found is None:
        raise Problem(errors.NOT_FOUND, f"There are no records of kind {kind!r}.")
    history = found.history(uow.session, access, projectId, unquote(recordId))
    # Who looked at which record's history is on the record, as for submission reads.
    record_audit(uow.session, access.principal.actor_id, "record.history",
                 f"{kind}/{unquote(recordId)}", request_id=request_id_of(request))
    uow.commit()
    return history


register({("GET", PATH): "record.read"})
