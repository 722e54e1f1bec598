"""Session JWTs (HS256 pinned) and app user keys (ODK Central's 64 characters of [A-Za-z0-9!$])."""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt

from server import errors
from server.errors import Problem

# The one algorithm we sign and accept; a token naming any other (including "none") is forged.
ALGORITHM = "HS256"
APP_USER_KEY = re.compile(r"[A-Za-z0-9!$]{64}")


@dataclass(frozen=True)
class SessionClaims:
    """What a valid session JWT says: whose session, which one, until when."""

    actor_id: int
    session_id: str


def new_session_id() -> str:
    return str(uuid.uuid4())


def new_app_user_key() -> str:
    """48 random bytes in base64 with + and / replaced, as ODK Central makes them."""
    raw = base64.b64encode(secrets.token_bytes(48)).decode()
    return raw.replace("+", "!").replace("/", "$")


def is_app_user_key(token: str) -> bool:
    return APP_USER_KEY.fullmatch(token) is not None


def issue_session_jwt(secret: str, actor_id: int, session_id: str, issued: datetime,
                      expires: datetime) -> str:
    """A signed token naming the session (jti) so it can be revoked before it expires."""
    claims = {
        "sub": str(actor_id), "jti": session_id, "typ": "session",
        "iat": int(issued.timestamp()), "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_session_jwt(secret: str, token: str) -> SessionClaims:
    """The claims of a session JWT, or a 401 Problem saying exactly what is wrong with it."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise Problem(errors.TOKEN_MALFORMED) from exc
    if header.get("alg") != ALGORITHM:
        raise Problem(errors.TOKEN_INVALID, "The token is not signed with the expected algorithm.")
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Problem(errors.TOKEN_EXPIRED) from exc
    except jwt.InvalidSignatureError as exc:
        raise Problem(errors.TOKEN_INVALID) from exc
    except jwt.InvalidTokenError as exc:
        raise Problem(errors.TOKEN_MALFORMED) from exc
    if claims.get("typ") != "session" or not str(claims["sub"]).isdigit():
        raise Problem(errors.TOKEN_MALFORMED)
    return SessionClaims(actor_id=int(claims["sub"]), session_id=str(claims["jti"]))
