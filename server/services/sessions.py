"""Sign-in, sessions and their revocation (web sessions and app user keys)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select, update

from server import errors
from server.auth.tokens import (
    is_app_user_key,
    issue_session_jwt,
    new_session_id,
    read_session_jwt,
)
from server.errors import Problem
from server.models import AuthSession
from server.models.base import iso, utcnow
from server.passwords import verify_password
from server.services.audit import record_audit
from server.services.ratelimit import check_login_allowed, record_login_failure
from server.services.users import find_user_by_email


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: a session token, or the problem to answer."""

    token: str | None
    created_at: datetime | None
    expires_at: datetime | None
    problem: Problem | None = None

    def json(self) -> dict[str, Any]:
        return {"token": self.token, "expiresAt": iso(self.expires_at),
                "createdAt": iso(self.created_at)}


def sign_in(session: Session, *, email: str, password: str, client_address: str, secret: str,
            ttl_hours: int, request_id: str | None = None) -> SignIn:
    """Check the password; on success a new session, on failure a counted, audited 401."""
    email = email.strip().lower()
    check_login_allowed(session, email, client_address)
    found = find_user_by_email(session, email)
    # verify_password takes the same time for a missing account, so timing tells nothing either.
    if not verify_password(found[0].password_hash if found else None, password) or found is None:
        record_login_failure(session, email, client_address)
        record_audit(session, found[1].id if found else None, "user.login.failed",
                     target=f"user:{email}", details={"address": client_address},
                     request_id=request_id)
        return SignIn(None, None, None, Problem(errors.AUTH_FAILED))
    user, actor = found
    assert actor.id is not None
    now = utcnow()
    expires = now + timedelta(hours=ttl_hours)
    row = AuthSession(id=new_session_id(), actor_id=actor.id, created_at=now, expires_at=expires)
    session.add(row)
    record_audit(session, actor.id, "user.login", target=f"user:{actor.id}",
                 request_id=request_id)
    return SignIn(issue_session_jwt(secret, actor.id, row.id, now, expires), now, expires)


def end_session(session: Session, session_id: str) -> None:
    """Revoke one session at once (the JWT is refused from the next request on)."""
    row = session.get(AuthSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)


def revoke_actor_sessions(session: Session, actor_id: int) -> None:
    """Revoke every live credential of an actor (password change, deletion)."""
    session.exec(
        update(AuthSession)
        .where(col(AuthSession.actor_id) == actor_id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def session_for_token(session: Session, secret: str, token: str) -> AuthSession | None:
    """The stored session a token names: an app user key, or a session JWT signed by us."""
    if is_app_user_key(token):
        return session.exec(select(AuthSession).where(AuthSession.token == token)).first()
    try:
        claims = read_session_jwt(secret, token)
    except Problem:
        return None
    return session.get(AuthSession, claims.session_id)
