"""Factories for the form API tests: signed-in users with roles, a project, inline XLSForms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from server.db import unit_of_work
from server.models import Project
from server.policy import find_role
from server.services.app_users import create_app_user
from server.services.roles import assign_form, assign_project_role
from server.services.sessions import sign_in
from server.services.users import create_user
from server.settings import Settings

PASSWORD = "a long enough passphrase 42"
MARKDOWN = "text/markdown"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsform(form_id: str = "simple", version: str = "1", *, extra: str = "",
            title: str = "Simple", columns: str = "") -> bytes:
    """A small markdown XLSForm; `extra` adds survey rows, `columns` a header column."""
    header = "| | type | name | label |" + (f" {columns} |" if columns else "")
    pad = " |" if columns else ""
    return f"""
| survey |  |  |  |{pad}
{header}
| | integer | age | Age |{pad}
| | text | village | Village |{pad}
{extra}
| settings | | | |{pad}
| | form_id | version | form_title |{pad}
| | {form_id} | {version} | {title} |{pad}
""".encode()


@dataclass
class Api:
    """A TestClient bound to one signed-in actor."""

    client: Any
    headers: dict[str, str]

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.client.patch(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, url: str, content: bytes | None = None, content_type: str | None = None,
             **kw: Any) -> Any:
        headers = {**self.headers, **kw.pop("headers", {})}
        if content_type:
            headers["Content-Type"] = content_type
        return self.client.post(url, content=content, headers=headers, **kw)

    def upload(self, project_id: int, body: bytes, *, content_type: str = MARKDOWN,
               publish: bool = False, ignore_warnings: bool = False, **kw: Any) -> Any:
        params = {"publish": str(publish).lower(), "ignoreWarnings": str(ignore_warnings).lower()}
        return self.post(f"/v1/projects/{project_id}/forms", body, content_type,
                         params=params, **kw)


@pytest.fixture
def project_id(engine: Engine) -> int:
    with unit_of_work(engine) as uow:
        project = Project(name="Batken monitoring")
        uow.session.add(project)
        uow.session.flush()
        assert project.id is not None
        uow.commit()
        return project.id


@pytest.fixture
def sign_in_as(client: Any, engine: Engine, settings: Settings,
               project_id: int) -> Callable[..., Api]:
    """sign_in_as("manager") -> an Api for a new web user with that role in the project."""
    count = iter(range(1000))

    def make(role: str | None, *, admin: bool = False) -> Api:
        with unit_of_work(engine) as uow:
            email = f"user{next(count)}@example.org"
            _user, actor = create_user(uow.session, email, PASSWORD, is_admin=admin)
            assert actor.id is not None
            if role is not None:
                found = find_role(role)
                assert found is not None
                assign_project_role(uow.session, project_id, actor.id, found)
            signed = sign_in(uow.session, email=email, password=PASSWORD, client_address="test",
                             secret=settings.resolved_secret_key(), ttl_hours=1)
            uow.commit()
        assert signed.token is not None
        return Api(client, {"Authorization": f"Bearer {signed.token}"})

    return make


@pytest.fixture
def admin(sign_in_as: Callable[..., Api]) -> Api:
    return sign_in_as(None, admin=True)


@pytest.fixture
def app_user(client: Any, engine: Engine, project_id: int) -> Callable[..., Api]:
    """app_user("simple", ...) -> an Api for a new app user assigned those forms."""

    def make(*xml_form_ids: str) -> Api:
        with unit_of_work(engine) as uow:
            actor, _app_user, key = create_app_user(uow.session, project_id, "Phone 1", None)
            assert actor.id is not None
            role = find_role("app-user")
            assert role is not None
            for xml_form_id in xml_form_ids:
                assign_form(uow.session, project_id, xml_form_id, actor.id, role)
            token = key.token
            uow.commit()
        return Api(client, {"Authorization": f"Bearer {token}"})

    return make
