"""POST /v1/sessions (sign in), DELETE /v1/sessions/current and /v1/sessions/{token} (revoke)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from server import errors
from server.auth.deps import CurrentPrincipal
from server.errors import Problem
from server.http.deps import SettingsDep, WriteUoW
from server.policy import authorize, authorize_session_end, own_session_id
from server.services import sessions as session_service
from server.services.app_users import app_user_project
from server.services.audit import record_audit, request_id_of

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])


class Credentials(BaseModel):
    email: str
    password: str


@router.post("")
def sign_in(
    body: Credentials, request: Request, uow: WriteUoW, settings: SettingsDep
) -> dict[str, Any]:
    """Sign in with email and password; the token is a JWT for `Authorization: Bearer`."""
    result = session_service.sign_in(
        uow.session, email=body.email, password=body.password,
        client_address=request.client.host if request.client else "unknown",
        secret=request.app.state.secret_key, ttl_hours=settings.session_ttl_hours,
        request_id=request_id_of(request),
    )
    # A failure is committed too: the failure counter and the audit row must persist.
    uow.commit()
    if result.problem is not None:
        raise result.problem
    return result.json()


@router.delete("/current")
def sign_out(principal: CurrentPrincipal, uow: WriteUoW) -> dict[str, bool]:
    """End the session this request was made with."""
    session_service.end_session(uow.session, own_session_id(principal))
    uow.commit()
    return {"success": True}


@router.delete("/{token}")
def revoke(
    token: str, principal: CurrentPrincipal, request: Request, uow: WriteUoW
) -> dict[str, bool]:
    """Revoke an app user key (project managers) or a web session (its owner, or an admin)."""
    row = session_service.session_for_token(uow.session, request.app.state.secret_key, token)
    if row is None:
        raise Problem(errors.NOT_FOUND, "no such session")
    if row.token is not None:
        project_id = app_user_project(uow.session, row.actor_id)
        authorize(uow.session, principal, "app_user.manage", project_id)
        record_audit(uow.session, principal.actor_id, "app-user.revoke",
                     target=f"app-user:{row.actor_id}", request_id=request_id_of(request))
    else:
        authorize_session_end(principal, row.actor_id)
    session_service.end_session(uow.session, row.id)
    uow.commit()
    return {"success": True}
