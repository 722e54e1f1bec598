"""Fixtures for ODK compatibility tests: a project with a published form and a phone's key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.factories import bearer, headers_for, make_app_user, make_project, make_user

OPENROSA = {"X-OpenRosa-Version": "1.0"}
OR_NS = "{http://openrosa.org/http/response}"

SURVEY_MD = """
| survey |           |          |                |
|        | type      | name     | label          |
|        | text      | village  | Village        |
|        | integer   | women    | Women          |
|        | image     | photo    | Photo          |
|        | begin repeat | rec   | Recommendation |
|        | text      | text     | Text           |
|        | end repeat |         |                |
| settings |         |          |                |
|        | form_id   | version  | form_title     |
|        | {form_id} | {version} | Open day      |
"""


def error_message(response: Any) -> str:
    """The text of the error message in an OpenRosa response envelope."""
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{OR_NS}OpenRosaResponse"
    message = root.find(f"{OR_NS}message")
    assert message is not None and message.get("nature") == "error"
    return message.text or ""


@dataclass
class Setup:
    project_id: int
    manager: dict[str, str]
    key: str
    app_user_id: int
    form_id: str = "open_day"


def publish_form(
    client: Any, headers: dict[str, str], project_id: int, form_id: str, version: str
) -> Any:
    body = SURVEY_MD.format(form_id=form_id, version=version).encode()
    response = client.post(
        f"/v1/projects/{project_id}/forms",
        params={"publish": "true", "ignoreWarnings": "true"},
        content=body,
        headers={**headers, "Content-Type": "text/markdown"},
    )
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
def odk(client: Any, app: Any, engine: Any) -> Setup:
    project_id = make_project(engine)
    manager_id = make_user(engine, "manager@example.org", role="manager", project=project_id)
    manager = headers_for(app, manager_id)
    publish_form(client, manager, project_id, "open_day", "1")
    app_user_id, key = make_app_user(engine, project_id, forms=("open_day",))
    return Setup(project_id, manager, key, app_user_id)


def instance_xml(
    form_id: str = "open_day",
    version: str = "1",
    instance_id: str | None = None,
    *,
    village: str = "Ak-Sai",
    women: int = 12,
    photo: str | None = None,
    deprecated_id: str | None = None,
    recs: tuple[str, ...] = ("more water",),
) -> bytes:
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    rec_xml = "".join(f"<rec><text>{r}</text></rec>" for r in recs)
    return (
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'id="{form_id}" version="{version}"><village>{village}</village><women>{women}</women>'
        f"<photo>{photo or ''}</photo>{rec_xml}<meta><instanceID>{instance_id}</instanceID>"
        f"{deprecated}</meta></data>"
    ).encode()


__all__ = ["OPENROSA", "Setup", "bearer", "instance_xml", "publish_form"]
