"""The authenticated actor of a request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Principal:
    """Who is asking: a web user (session JWT) or an app user (64-character key)."""

    actor_id: int
    kind: Literal["user", "app_user"]
    display_name: str
    is_admin: bool = False  # site-wide admin (web users only)
    project_id: int | None = None  # app users belong to exactly one project
    session_id: str | None = None  # web session id (the JWT's jti); None for app users
    # For an app user: whether its project was live when the key was looked up (read with the
    # key, so that the policy gate need not ask again); None when not known.
    project_live: bool | None = None

    @property
    def is_app_user(self) -> bool:
        return self.kind == "app_user"
