"""Brute-force limits on sign-in, counted in the database so that every server worker sees them."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, func, select

from server import errors
from server.db import lock_key
from server.errors import Problem
from server.models import LoginFailure
from server.models.base import utcnow

WINDOW = timedelta(minutes=15)
# Per email whether or not the account exists, so the answer never reveals which emails exist.
MAX_FAILURES_PER_EMAIL = 10
# Much higher per address: an office behind one address is not locked out by one person's typos.
MAX_FAILURES_PER_ADDRESS = 200

# Advisory lock namespaces (the first key of PostgreSQL's two-key advisory locks).
_EMAIL_LOCKS = 0x4B454E31
_ADDRESS_LOCKS = 0x4B454E32


def check_login_allowed(session: Session, email: str, client_address: str,
                        now: datetime | None = None) -> None:
    """Raise 429 with Retry-After when this email or address failed too often in the window.

    On PostgreSQL, attempts for the same email or address then wait for each other until the
    transaction ends, so that a failure is counted before the next attempt looks (SQLite's
    write transactions are serialised already).
    """
    _lock_counters(session, email, client_address)
    now = now or utcnow()
    for column, key, maximum in (
        (LoginFailure.email, email, MAX_FAILURES_PER_EMAIL),
        (LoginFailure.client_address, client_address, MAX_FAILURES_PER_ADDRESS),
    ):
        retry_after = _retry_after(session, column, key, maximum, now)
        if retry_after is not None:
            raise Problem(
                errors.TOO_MANY_ATTEMPTS,
                f"Too many failed sign-ins; try again in {retry_after} seconds.",
                headers={"Retry-After": str(retry_after)},
            )


def _lock_counters(session: Session, email: str, client_address: str) -> None:
    # Always the email first, then the address: a holder of an address lock waits for nothing,
    # so two attempts never wait for each other in a circle.
    lock_key(session, _EMAIL_LOCKS, email)
    lock_key(session, _ADDRESS_LOCKS, client_address)


def _retry_after(session: Session, column: object, key: str, maximum: int,
                 now: datetime) -> int | None:
    recent = list(session.exec(
        select(LoginFailure.failed_at)
        .where(column == key, LoginFailure.failed_at > now - WINDOW)
        .order_by(col(LoginFailure.failed_at).desc())
        .limit(maximum)
    ))
    if len(recent) < maximum:
        return None
    # Blocked until the oldest of the last `maximum` failures leaves the window.
    return max(1, math.ceil((recent[-1] + WINDOW - now).total_seconds()))


def record_login_failure(session: Session, email: str, client_address: str,
                         now: datetime | None = None) -> None:
    """Count one failure, and forget failures that have left the window."""
    now = now or utcnow()
    session.exec(delete(LoginFailure).where(col(LoginFailure.failed_at) <= now - WINDOW))
    session.add(LoginFailure(email=email, client_address=client_address, failed_at=now))


def failures_for(session: Session, email: str) -> int:
    """How many failures this email has in the stored window (for tests and operators)."""
    return session.exec(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.email == email)
    ).one()
