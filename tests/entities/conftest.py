"""Fixtures for entity list tests: a project, a manager's headers, small request helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import headers_for, make_project, make_user


@dataclass
class Lists:
    """A project with a manager, and shortcuts for its entity list routes."""

    client: Any
    project_id: int
    manager: dict[str, str]
    manager_id: int

    def url(self, path: str = "") -> str:
        return f"/v1/projects/{self.project_id}/datasets{path}"

    def create_list(self, name: str = "trees", properties: tuple[str, ...] = (),
                    approval_required: bool = False) -> None:
        response = self.client.post(self.url(), headers=self.manager,
                                    json={"name": name, "approvalRequired": approval_required})
        assert response.status_code == 200, response.text
        for prop in properties:
            added = self.client.post(self.url(f"/{name}/properties"), headers=self.manager,
                                     json={"name": prop})
            assert added.status_code == 200, added.text

    def create_entity(self, name: str, uuid: str, label: str, **data: str) -> dict[str, Any]:
        response = self.client.post(self.url(f"/{name}/entities"), headers=self.manager,
                                    json={"uuid": uuid, "label": label, "data": data})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def patch(self, name: str, uuid: str, body: dict[str, Any], **params: str) -> Any:
        return self.client.patch(self.url(f"/{name}/entities/{uuid}"), headers=self.manager,
                                 params=params, json=body)

    def get(self, name: str, uuid: str) -> dict[str, Any]:
        response = self.client.get(self.url(f"/{name}/entities/{uuid}"), headers=self.manager)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def lists(client: Any, app: Any, engine: Any) -> Lists:
    project_id = make_project(engine)
    manager_id = make_user(engine, "manager@example.org", role="manager", project=project_id)
    return Lists(client, project_id, headers_for(app, manager_id), manager_id)
