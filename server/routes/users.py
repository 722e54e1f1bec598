"""Web users: /v1/users/current, and user management for admins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from server import errors
from server.auth.deps import CurrentPrincipal
from server.errors import Problem
from server.http.deps import ReadUoW, WriteUoW
from server.models import Actor, User
from server.models.base import iso, utcnow
from server.passwords import verify_password
from server.policy import authorize_password_change
from server.services.audit import record_audit, request_id_of
from server.services.sessions import revoke_actor_sessions
from server.services.users import create_user, get_live_user, list_live_users, set_password

router = APIRouter(prefix="/v1/users", tags=["users"])


class NewUser(BaseModel):
    email: str
    password: str | None = None
    display_name: str | None = Field(default=None, alias="displayName")


class PasswordChange(BaseModel):
    old: str
    new: str


def user_json(user: User, actor: Actor) -> dict[str, Any]:
    """ODK Central's User shape."""
    return {
        "id": actor.id, "type": "user", "displayName": actor.display_name, "email": user.email,
        "createdAt": iso(actor.created_at), "updatedAt": iso(actor.updated_at),
        "deletedAt": iso(actor.deleted_at),
    }


@router.get("/current")
def current_user(principal: CurrentPrincipal, uow: ReadUoW) -> dict[str, Any]:
    """The signed-in web user."""
    return user_json(*get_live_user(uow.session, principal.actor_id))


@router.get("")
def list_users(uow: ReadUoW, q: str | None = None) -> list[dict[str, Any]]:
    """Every live web user (admins); `q` filters by email or name."""
    return [user_json(u, a) for u, a in list_live_users(uow.session, q)]


@router.post("")
def add_user(body: NewUser, principal: CurrentPrincipal, request: Request,
             uow: WriteUoW) -> dict[str, Any]:
    """Create a web user (admins); without a password the user cannot sign in until one is set."""
    user, actor = create_user(
        uow.session, body.email, body.password, display_name=body.display_name
    )
    record_audit(uow.session, principal.actor_id, "user.create", target=f"user:{actor.id}",
                 request_id=request_id_of(request))
    uow.commit()
    return user_json(user, actor)


@router.get("/{actorId}")
def get_user(actorId: int, uow: ReadUoW) -> dict[str, Any]:  # noqa: N803 (Central's name)
    return user_json(*get_live_user(uow.session, actorId))


@router.delete("/{actorId}")
def delete_user(actorId: int, principal: CurrentPrincipal, request: Request,  # noqa: N803
                uow: WriteUoW) -> dict[str, bool]:
    """Soft-delete a web user (admins); every session of theirs ends at once."""
    _user_row, actor = get_live_user(uow.session, actorId)
    actor.deleted_at = utcnow()
    uow.session.add(actor)
    revoke_actor_sessions(uow.session, actorId)
    record_audit(uow.session, principal.actor_id, "user.delete", target=f"user:{actorId}",
                 request_id=request_id_of(request))
    uow.commit()
    return {"success": True}


@router.put("/{actorId}/password")
def change_password(actorId: int, body: PasswordChange, principal: CurrentPrincipal,  # noqa: N803
                    request: Request, uow: WriteUoW) -> dict[str, bool]:
    """Change one's own password; every session of the user, this one included, ends."""
    authorize_password_change(principal, actorId)
    user, _actor = get_live_user(uow.session, actorId)
    if not verify_password(user.password_hash, body.old):
        raise Problem(errors.AUTH_FAILED, "The old password is not correct.")
    set_password(uow.session, user, body.new)
    record_audit(uow.session, actorId, "user.password.change", target=f"user:{actorId}",
                 request_id=request_id_of(request))
    uow.commit()
    return {"success": True}
