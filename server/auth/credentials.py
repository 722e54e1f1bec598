"""Resolve a request's credentials (/v1/key/ URL, Bearer session JWT or app user key, Basic
email and password) to a Principal, in ODK Central's order: the URL's key first, then the header.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from server import errors
from server.auth.basic import Transport, resolve_basic
from server.auth.principal import Principal
from server.auth.tokens import is_app_user_key, read_session_jwt
from server.db import unit_of_work
from server.driver_sql import DriverStatement, compiled_for
from server.errors import Problem
from server.models import Actor, AppUser, AuthSession, Project, User
from server.models.base import utcnow

KEY_PREFIX = "/v1/key/"


def key_from_path(path: str) -> str | None:
    """The app user key of a `/v1/key/{key}/…` URL, or None for other URLs."""
    if not path.startswith(KEY_PREFIX):
        return None
    return path[len(KEY_PREFIX):].split("/", 1)[0]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header (None when absent; 401 when garbled)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            errors.TOKEN_MALFORMED,
            "Use `Authorization: Bearer <token>` (or Basic with an email and password).",
        )
    return token.strip()


def basic_value(authorization: str | None) -> str | None:
    """The credentials of an `Authorization: Basic …` header (None for any other scheme)."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    return value if scheme.lower() == "basic" else None


def resolve(
    engine: Engine, secret: str, *, path: str, authorization: str | None,
    session: Session | None = None, transport: Transport | None = None,
) -> Principal | None:
    """The principal behind the request's credentials; None when it carries none.

    Pass `session` to look the credentials up in a transaction the caller already has open,
    and `transport` to let Basic credentials be read (they are refused without it).
    """
    url_key = key_from_path(path)
    # On a key URL the key is the credential and the header is not read, as in Central.
    token = None
    if url_key is None:
        basic = basic_value(authorization)
        if basic is not None:
            # Not in the caller's transaction: see resolve_basic about the connection pool.
            return resolve_basic(engine, basic, transport)
        token = bearer_token(authorization)
        if token is None:
            return None
    if session is not None:
        return _lookup(session, secret, url_key, token)
    with unit_of_work(engine, write=False) as uow:
        return _lookup(uow.session, secret, url_key, token)


def _lookup(session: Session, secret: str, url_key: str | None, token: str | None) -> Principal:
    if url_key is not None:
        return _from_url_key(session, url_key)
    assert token is not None
    if is_app_user_key(token):
        return _from_bearer_key(session, token)
    return _from_jwt(session, secret, token)


def _from_url_key(session: Session, key: str) -> Principal:
    # ODK Collect reacts to Central's statuses: a key of the wrong shape is 401, an unknown
    # or revoked key of the right shape is 403.
    if not is_app_user_key(key):
        raise Problem(errors.TOKEN_MALFORMED, "The key in the URL is not a well-formed key.")
    found = _app_user_by_key(session, key)
    if found is None or found[0]:
        raise Problem(errors.KEY_UNKNOWN)
    return found[1]


def _from_bearer_key(session: Session, key: str) -> Principal:
    found = _app_user_by_key(session, key)
    if found is None:
        raise Problem(errors.TOKEN_INVALID, "The app user key is not known.")
    if found[0]:
        raise Problem(errors.TOKEN_REVOKED)
    return found[1]


def _app_user_by_key(session: Session, key: str) -> tuple[bool, Principal] | None:
    """(revoked?, principal) for a stored key; deleting the app user revokes its key too."""
    row = compiled_for(_KEY_LOOKUPS, _app_user_key_query, session).first(session, {"key": key})
    if row is None:
        return None
    revoked_at, actor_id, display_name, deleted_at, project_id, project_deleted_at = row
    assert actor_id is not None
    principal = Principal(
        actor_id=actor_id, kind="app_user", display_name=display_name, project_id=project_id,
        project_live=project_deleted_at is None,
    )
    return revoked_at is not None or deleted_at is not None, principal


_KEY_LOOKUPS: dict[str, DriverStatement] = {}


def _app_user_key_query(_dialect: str) -> Any:
    # Only the columns a principal needs, and built once: this runs on every phone request, and
    # building the statement costs more than running it. The project's deletion comes along, so
    # that the policy gate knows the app user's project is live without a second round trip.
    return (
        select(
            AuthSession.revoked_at, Actor.id, Actor.display_name, Actor.deleted_at,
            AppUser.project_id, Project.deleted_at,
        )
        .join(Actor, Actor.id == AuthSession.actor_id)  # type: ignore[arg-type]
        .join(AppUser, AppUser.actor_id == Actor.id)  # type: ignore[arg-type]
        .join(Project, Project.id == AppUser.project_id)  # type: ignore[arg-type]
        .where(AuthSession.token == bindparam("key"))
    )


def _from_jwt(session: Session, secret: str, token: str) -> Principal:
    claims = read_session_jwt(secret, token)
    row = session.exec(
        select(AuthSession, Actor, User)
        .join(Actor, Actor.id == AuthSession.actor_id)  # type: ignore[arg-type]
        .join(User, User.actor_id == Actor.id)  # type: ignore[arg-type]
        .where(AuthSession.id == claims.session_id, AuthSession.actor_id == claims.actor_id)
    ).first()
    if row is None:
        # Correctly signed but never issued here (e.g. a database restored from backup).
        raise Problem(errors.TOKEN_REVOKED)
    cred, actor, user = row
    if cred.revoked_at is not None or actor.deleted_at is not None:
        raise Problem(errors.TOKEN_REVOKED)
    if cred.expires_at is not None and cred.expires_at <= utcnow():
        raise Problem(errors.TOKEN_EXPIRED)
    assert actor.id is not None
    return Principal(
        actor_id=actor.id, kind="user", display_name=actor.display_name,
        is_admin=user.is_admin, session_id=cred.id,
    )
