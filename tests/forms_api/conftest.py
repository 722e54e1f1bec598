"""Factories for the form API tests: signed-in users with roles, a project, inline XLSForms."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests.factories import bearer, headers_for, make_app_user, make_project, make_user

MARKDOWN = "text/markdown"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsform(form_id: str = "simple", version: str = "1", *, title: str = "Simple") -> bytes:
    """A small markdown XLSForm with two questions."""
    return f"""
| survey |  |  |  |
| | type | name | label |
| | integer | age | Age |
| | text | village | Village |
| settings | | | |
| | form_id | version | form_title |
| | {form_id} | {version} | {title} |
""".encode()


def xlsx_form(form_id: str, version: str) -> bytes:
    """A one-question XLSForm as an .xlsx workbook."""
    from openpyxl import Workbook

    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["text", "village", "Village"])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version"])
    settings.append([form_id, version])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def forms_url(project_id: int, suffix: str = "") -> str:
    return f"/v1/projects/{project_id}/forms{suffix}"


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
    return make_project(engine)


@pytest.fixture
def sign_in_as(client: Any, app: Any, engine: Engine, project_id: int) -> Callable[..., Api]:
    """sign_in_as("manager") -> an Api for a new web user with that role in the project."""
    count = iter(range(1000))

    def make(role: str | None, *, admin: bool = False) -> Api:
        actor_id = make_user(
            engine, f"user{next(count)}@example.org", role=role,
            project=project_id if role else None, admin=admin,
        )
        return Api(client, headers_for(app, actor_id))

    return make


@pytest.fixture
def admin(sign_in_as: Callable[..., Api]) -> Api:
    return sign_in_as(None, admin=True)


@pytest.fixture
def app_user(client: Any, engine: Engine, project_id: int) -> Callable[..., Api]:
    """app_user("simple", ...) -> an Api for a new app user assigned those forms."""

    def make(*xml_form_ids: str) -> Api:
        _actor_id, key = make_app_user(engine, project_id, forms=xml_form_ids)
        return Api(client, bearer(key))

    return make


# ODK Central's Actor shape, as createdBy and publishedBy give it.
ACTOR_KEYS = ("id", "type", "displayName", "createdAt", "updatedAt", "deletedAt")
