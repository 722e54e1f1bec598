"""App users (phones): one per device or person, a key each, provisioned by QR code."""

from __future__ import annotations

import base64
import io
import json
import zlib
from typing import Any

import segno
from sqlmodel import Session, col, select

from server import errors
from server.auth.tokens import new_app_user_key, new_session_id
from server.errors import Problem
from server.models import Actor, AppUser, AuthSession, Project
from server.models.base import iso, utcnow
from server.services.sessions import revoke_actor_sessions


def create_app_user(session: Session, project_id: int, display_name: str,
                    created_by: int | None) -> tuple[Actor, AppUser, AuthSession]:
    """An app user with a fresh key (64 characters of [A-Za-z0-9!$], as ODK Central makes them)."""
    display_name = display_name.strip()
    if not display_name:
        raise Problem(errors.REQUEST_INVALID, "an app user needs a displayName")
    actor = Actor(type="field_key", display_name=display_name)
    session.add(actor)
    session.flush()
    assert actor.id is not None
    app_user = AppUser(actor_id=actor.id, project_id=project_id, created_by=created_by)
    key = AuthSession(id=new_session_id(), actor_id=actor.id, token=new_app_user_key())
    session.add(app_user)
    session.add(key)
    session.flush()
    return actor, app_user, key


def list_app_users(session: Session, project_id: int) -> list[tuple[Actor, AppUser, str | None]]:
    """Live app users of a project with their live key (None once revoked)."""
    rows = session.exec(
        select(Actor, AppUser)
        .join(AppUser, AppUser.actor_id == Actor.id)  # type: ignore[arg-type]
        .where(AppUser.project_id == project_id, col(Actor.deleted_at).is_(None))
        .order_by(col(Actor.created_at), col(Actor.id))
    ).all()
    return [(actor, app_user, live_key(session, app_user.actor_id)) for actor, app_user in rows]


def live_key(session: Session, actor_id: int) -> str | None:
    row = session.exec(select(AuthSession).where(
        AuthSession.actor_id == actor_id, col(AuthSession.token).is_not(None),
        col(AuthSession.revoked_at).is_(None),
    )).first()
    return row.token if row else None


def get_app_user(session: Session, project_id: int, actor_id: int) -> tuple[Actor, AppUser]:
    """A live app user of this project, or 404."""
    app_user = session.get(AppUser, actor_id)
    actor = session.get(Actor, actor_id)
    if app_user is None or actor is None or app_user.project_id != project_id or actor.deleted_at:
        raise Problem(errors.NOT_FOUND, f"app user {actor_id} not found in this project")
    return actor, app_user


def app_user_project(session: Session, actor_id: int) -> int:
    """The project an app user belongs to (the actor must be an app user)."""
    app_user = session.get(AppUser, actor_id)
    assert app_user is not None
    return app_user.project_id


def delete_app_user(session: Session, actor: Actor) -> None:
    """Soft-delete the app user; its key stops working with the next request."""
    assert actor.id is not None
    actor.deleted_at = utcnow()
    session.add(actor)
    revoke_actor_sessions(session, actor.id)


def app_user_json(actor: Actor, app_user: AppUser, token: str | None,
                  show_token: bool) -> dict[str, Any]:
    """ODK Central's app user shape (pyodk reads every one of these fields)."""
    return {
        "projectId": app_user.project_id, "id": actor.id, "displayName": actor.display_name,
        "createdAt": iso(actor.created_at), "type": "field_key",
        "token": token if show_token else None,
        "updatedAt": iso(actor.updated_at), "deletedAt": iso(actor.deleted_at),
    }


def collect_settings(public_url: str, project: Project, token: str) -> dict[str, Any]:
    """The settings ODK Collect reads from a provisioning QR code."""
    return {
        "general": {
            "server_url": f"{public_url}/v1/key/{token}/projects/{project.id}",
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "project": {"name": project.name},
        "admin": {},
    }


def qr_payload(settings: dict[str, Any]) -> str:
    """Collect's QR payload: the settings JSON, zlib-deflated, in base64."""
    raw = json.dumps(settings, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(zlib.compress(raw)).decode()


def qr_png(payload: str) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="l", micro=False).save(out, kind="png", scale=6, border=4)
    return out.getvalue()
