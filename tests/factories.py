"""Small factories: projects, web users with roles, app users, signed-in headers, test forms.

Users made here share one precomputed password hash, so argon2 runs only where a test signs in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from server.auth.tokens import issue_session_jwt, new_session_id
from server.db import unit_of_work
from server.models import AuthSession, FormAssignment, ProjectRole
from server.models.base import utcnow
from server.passwords import hash_password
from server.services.app_users import create_app_user
from server.services.projects import create_project
from server.services.server_clock import server_tick
from server.services.users import create_user
from sync.hlc import Timestamp

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)


def make_project(engine: Engine, name: str = "Batken monitoring") -> int:
    """A project; returns its id."""
    with unit_of_work(engine) as uow:
        project = create_project(uow.session, name)
        uow.commit()
    assert project.id is not None
    return project.id


def make_user(engine: Engine, email: str, *, role: str | None = None, project: int | None = None,
              admin: bool = False, password: str = PASSWORD) -> int:
    """A web user (site admin, or `role` in `project`); returns the actor id."""
    with unit_of_work(engine) as uow:
        user, actor = create_user(uow.session, email, None, is_admin=admin)
        user.password_hash = _PASSWORD_HASH if password == PASSWORD else hash_password(password)
        uow.session.add(user)
        if role is not None:
            assert project is not None, "a role needs a project"
            uow.session.add(ProjectRole(project_id=project, actor_id=actor.id, role=role))
        uow.commit()
    assert actor.id is not None
    return actor.id


def make_app_user(engine: Engine, project: int, name: str = "Phone 1",
                  forms: tuple[str, ...] = ()) -> tuple[int, str]:
    """An app user of `project` with `forms` assigned; returns (actor id, key)."""
    with unit_of_work(engine) as uow:
        actor, _app_user, key = create_app_user(uow.session, project, name, None)
        for xml_form_id in forms:
            uow.session.add(FormAssignment(project_id=project, xml_form_id=xml_form_id,
                                           actor_id=actor.id))
        uow.commit()
    assert actor.id is not None and key.token is not None
    return actor.id, key.token


def session_token(app: Any, actor_id: int, *, ttl: timedelta = timedelta(hours=1)) -> str:
    """A web session for `actor_id` without signing in (no password hashing)."""
    now = utcnow()
    row = AuthSession(id=new_session_id(), actor_id=actor_id, created_at=now, expires_at=now + ttl)
    with unit_of_work(app.state.engine) as uow:
        uow.session.add(row)
        uow.commit()
    return issue_session_jwt(app.state.secret_key, actor_id, row.id, now, now + ttl)


def server_reading(engine: Engine) -> Timestamp:
    """A reading of the server clock, committed (the clock's row exists afterwards)."""
    with unit_of_work(engine) as uow:
        reading = server_tick(uow.session)
        uow.commit()
        return reading


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def headers_for(app: Any, actor_id: int) -> dict[str, str]:
    """Authorization headers of a fresh web session of `actor_id`."""
    return bearer(session_token(app, actor_id))


def login(client: Any, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in through POST /v1/sessions; returns the Authorization headers."""
    response = client.post("/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["token"])


# A one-question form marked sensitive in its settings (form_id `incident`, version 1).
SENSITIVE_FORM_MD = b"""
| survey |
| | type | name | label |
| | text | what | What happened |

| settings |
| | form_id | version | sensitive |
| | incident | 1 | yes |
"""


def publish_sensitive_form(client: Any, project_id: int, headers: dict[str, str]) -> None:
    """Upload and publish SENSITIVE_FORM_MD in the project, as `headers` (a manager)."""
    created = client.post(
        f"/v1/projects/{project_id}/forms", content=SENSITIVE_FORM_MD,
        params={"publish": "true", "ignoreWarnings": "true"},
        headers={**headers, "Content-Type": "text/markdown"},
    )
    assert created.status_code == 200, created.text


def form_with_warning(form_id: str, version: str) -> bytes:
    """A markdown XLSForm that pyxform converts with a warning (its `disabled` column is legal
    but deprecated)."""
    return f"""
| survey |  |  |  |  |
| | type | name | label | disabled |
| | integer | age | Age | no |
| settings | | | | |
| | form_id | version | | |
| | {form_id} | {version} | | |
""".encode()
