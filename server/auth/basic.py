"""HTTP Basic authentication of web users (email and password), as ODK Central allows it.

ODK Collect set up with a server URL, a username and a password sends Basic credentials; so
can scripts (`curl -u`). Central accepts them on every API request, for web users only, and only
over HTTPS. Each request costs one argon2 verification, and its failures count toward the same
brute-force limits as `POST /v1/sessions`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from server import errors
from server.auth.principal import Principal
from server.db import unit_of_work
from server.errors import Problem
from server.passwords import verify_password
from server.services.audit import record_audit
from server.services.ratelimit import check_login_allowed, record_login_failure
from server.services.users import find_user_by_email

HTTPS_ONLY = errors.register(
    "auth.https_only", 401, "This authentication method is only available over HTTPS."
)


@dataclass(frozen=True)
class Transport:
    """What the connection tells about a request's Basic credentials."""

    client_address: str
    # HTTPS (directly, or through a trusted proxy), or loopback without a proxy: the password
    # did not cross a network in the clear, so it may be read.
    secure: bool
    request_id: str | None = None


def decode_basic(value: str) -> tuple[str, str] | None:
    """(email, password) of a Basic credential; None unless it is base64 of `email:password`."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # okhttp, and so ODK Collect, encodes the credentials in ISO-8859-1.
        text = raw.decode("latin-1")
    # Split at the first colon: the password may hold colons, an email may not (as Central).
    email, colon, password = text.partition(":")
    email = email.strip().lower()
    if not colon or not email or not password:
        return None
    return email, password


def resolve_basic(engine: Engine, value: str, transport: Transport | None) -> Principal:
    """The web user whose email and password these are; 401 otherwise, 429 when locked out.

    Each step has its own short unit of work, and none is open during the verification: a
    request holding a connection for a quarter second while it waits for a second one would,
    under a burst of guesses, empty the pool for everyone.
    """
    if transport is None or not transport.secure:
        raise Problem(HTTPS_ONLY, "Basic authentication is only accepted over HTTPS.")
    credentials = decode_basic(value)
    if credentials is None:
        raise Problem(errors.AUTH_FAILED, "The Basic credentials are not base64 of email:password.")
    email, password = credentials
    with _reading(engine) as reader:
        # Before the costly verification: a locked-out email costs no argon2 run.
        check_login_allowed(reader, email, transport.client_address)
        found = find_user_by_email(reader, email)
    # verify_password takes the same time for a missing account, so timing tells nothing.
    if found is None or not verify_password(found[0].password_hash, password):
        _count_failure(engine, email, found[1].id if found else None, transport)
        raise Problem(errors.AUTH_FAILED)
    # Look again once the password is known to be right: failures counted meanwhile by
    # concurrent attempts would otherwise let a parallel guess through past the limit.
    with _reading(engine) as reader:
        check_login_allowed(reader, email, transport.client_address)
    user, actor = found
    assert actor.id is not None
    return Principal(
        actor_id=actor.id, kind="user", display_name=actor.display_name, is_admin=user.is_admin
    )


def _count_failure(
    engine: Engine, email: str, actor_id: int | None, transport: Transport
) -> None:
    # Its own transaction, committed although the request fails, as the sign-in route does;
    # the check under the counters' lock answers 429 rather than a 401 past the limit.
    with unit_of_work(engine, write=True) as uow:
        check_login_allowed(uow.session, email, transport.client_address)
        record_login_failure(uow.session, email, transport.client_address)
        record_audit(
            uow.session, actor_id, "user.login.failed", target=f"user:{email}",
            details={"address": transport.client_address, "scheme": "basic"},
            request_id=transport.request_id,
        )
        uow.commit()


@contextmanager
def _reading(engine: Engine) -> Iterator[Session]:
    # A new transaction each time: on SQLite a read transaction keeps its first snapshot, and
    # the second look must see failures committed since the first.
    with unit_of_work(engine, write=False, per_statement=True) as uow:
        yield uow.session
