"""Fixtures for the sync API: a project with a published form, a manager and a phone."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.factories import bearer, headers_for, make_app_user, make_project, make_user

FORM_MD = """
| survey |              |           |                 |            |
|        | type         | name      | label           | constraint |
|        | text         | village   | Village         |            |
|        | integer      | women     | Women           | . >= 0     |
|        | text         | notes     | Notes           |            |
|        | image        | photo     | Photo           |            |
| settings |            |           |                 |            |
|        | form_id      | version   | form_title      |            |
|        | {form_id}    | {version} | Open day        |            |
"""
FORM = "open_day"
V = "/data/village"
W = "/data/women"
N = "/data/notes"
PHOTO = "/data/photo"


def publish(client: Any, headers: dict[str, str], project: int, form_id: str = FORM,
            version: str = "1") -> None:
    body = FORM_MD.format(form_id=form_id, version=version).encode()
    response = client.post(
        f"/v1/projects/{project}/forms", params={"publish": "true", "ignoreWarnings": "true"},
        content=body, headers={**headers, "Content-Type": "text/markdown"},
    )
    assert response.status_code == 200, response.text


@dataclass
class Phone:
    """A device as the sync API sees it: an id, a token and its next client_seq."""

    client: Any
    project: int
    headers: dict[str, str]
    device_id: str
    seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    wall_ms: int = 1_764_450_000_000

    def op(self, record_id: str, fields: dict[str, Any], *, base: int | None = None,
           deleted: bool = False, form_id: str = FORM, **extra: Any) -> dict[str, Any]:
        self.wall_ms += 1
        return {
            "op_id": str(uuid.uuid4()), "client_seq": next(self.seq), "type": "submission",
            "form_id": form_id, "record_id": record_id, "base_version": base,
            "hlc": f"{self.wall_ms:013d}-00000-{self.device_id}", "fields": fields,
            "deleted": deleted, "attachments": [], **extra,
        }

    def push(self, *ops: dict[str, Any], expect: int = 200) -> Any:
        response = self.client.post(
            f"/v1/projects/{self.project}/sync/push",
            json={"device_id": self.device_id, "ops": list(ops)}, headers=self.headers,
        )
        assert response.status_code == expect, response.text
        return response.json()

    def pull_all(self, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        changes: list[dict[str, Any]] = []
        while True:
            params: dict[str, Any] = {"limit": 50}
            if cursor:
                params["cursor"] = cursor
            response = self.client.get(f"/v1/projects/{self.project}/sync/pull",
                                       params=params, headers=self.headers)
            assert response.status_code == 200, response.text
            page = response.json()
            changes += page["changes"]
            cursor = page["cursor"]
            if not page["has_more"]:
                return changes, cursor


@dataclass
class World:
    client: Any
    app: Any
    engine: Any
    project: int
    manager: dict[str, str]
    manager_id: int
    key: str
    app_user_id: int

    def phone(self, device_id: str, headers: dict[str, str] | None = None) -> Phone:
        return Phone(self.client, self.project, headers or bearer(self.key), device_id)

    def manager_phone(self, device_id: str) -> Phone:
        return Phone(self.client, self.project, self.manager, device_id)


@pytest.fixture
def world(client: Any, app: Any, engine: Any) -> World:
    project = make_project(engine)
    manager_id = make_user(engine, "manager@example.org", role="manager", project=project)
    manager = headers_for(app, manager_id)
    publish(client, manager, project)
    app_user_id, key = make_app_user(engine, project, forms=(FORM,))
    return World(client, app, engine, project, manager, manager_id, key, app_user_id)


def new_record() -> str:
    return f"uuid:{uuid.uuid4()}"
