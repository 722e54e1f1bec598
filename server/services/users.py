"""Web user accounts: create, set passwords, look up."""

from __future__ import annotations

from sqlmodel import Session, col, select

from server import errors
from server.errors import Problem
from server.models import Actor, User
from server.models.base import utcnow
from server.passwords import hash_password, password_problem


def find_user_by_email(session: Session, email: str) -> tuple[User, Actor] | None:
    """The live (not deleted) user with this email, with its actor."""
    row = session.exec(
        select(User, Actor)
        .join(Actor, Actor.id == User.actor_id)  # type: ignore[arg-type]
        .where(User.email == email.strip().lower(), Actor.deleted_at.is_(None))  # type: ignore[union-attr]
    ).first()
    return (row[0], row[1]) if row else None


def get_live_user(session: Session, actor_id: int) -> tuple[User, Actor]:
    """The live web user with this actor id, with its actor; 404 when none or deleted."""
    user, actor = session.get(User, actor_id), session.get(Actor, actor_id)
    if user is None or actor is None or actor.deleted_at is not None:
        raise Problem(errors.NOT_FOUND, f"user {actor_id} not found")
    return user, actor


def list_live_users(session: Session, q: str | None = None) -> list[tuple[User, Actor]]:
    """Every live web user with its actor, by email; `q` keeps those whose email or name has it."""
    query = select(User, Actor).join(Actor, Actor.id == User.actor_id)  # type: ignore[arg-type]
    query = query.where(col(Actor.deleted_at).is_(None)).order_by(col(User.email))
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(col(User.email).like(like) | col(Actor.display_name).ilike(like))
    return [(user, actor) for user, actor in session.exec(query)]


def create_user(
    session: Session, email: str, password: str | None, *, display_name: str | None = None,
    is_admin: bool = False,
) -> tuple[User, Actor]:
    """Add a web user (password optional: it can be set later)."""
    email = email.strip().lower()
    if "@" not in email:
        raise Problem(errors.REQUEST_INVALID, f"{email!r} is not an email address")
    if find_user_by_email(session, email):
        raise Problem(errors.ALREADY_EXISTS, f"a user with email {email} already exists")
    if password is not None and (reason := password_problem(password)):
        raise Problem(errors.REQUEST_INVALID, reason)
    actor = Actor(type="user", display_name=display_name or email)
    session.add(actor)
    session.flush()
    assert actor.id is not None
    user = User(
        actor_id=actor.id, email=email, is_admin=is_admin,
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    return user, actor


def set_password(session: Session, user: User, password: str) -> None:
    """Replace a user's password hash; every session of the user ends at once."""
    from server.services.sessions import revoke_actor_sessions  # sessions imports this module

    if reason := password_problem(password):
        raise Problem(errors.REQUEST_INVALID, reason)
    user.password_hash = hash_password(password)
    actor = session.get(Actor, user.actor_id)
    if actor is not None:
        actor.updated_at = utcnow()
    session.add(user)
    revoke_actor_sessions(session, user.actor_id)
