"""Fixtures for the OData tests: a form with groups, nested repeats, typed fields and a photo."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

from server.models import Submission
from tests.factories import headers_for, make_project, make_user

FORM_MD = """
| survey  |                        |         |           |
|         | type                   | name    | label     |
|         | text                   | village | Village   |
|         | integer                | women   | Women     |
|         | decimal                | share   | Share     |
|         | geopoint               | place   | Place     |
|         | select_multiple topic  | topics  | Topics    |
|         | begin group            | hh      | Household |
|         | date                   | visit   | Visit     |
|         | end group              |         |           |
|         | begin repeat           | rec     | Advice    |
|         | text                   | text    | Text      |
|         | begin repeat           | vote    | Vote      |
|         | integer                | n       | N         |
|         | end repeat             |         |           |
|         | end repeat             |         |           |
|         | image                  | photo   | Photo     |
{extra}
| choices |                        |         |           |
|         | list_name              | name    | label     |
|         | topic                  | water   | Water     |
|         | topic                  | peace   | Peace     |
| settings |                       |         |           |
|         | form_id                | version | form_title |
|         | {form_id}              | {version} | Open day |
"""
FORM_ID = "od"


@dataclass
class ODataSetup:
    """A project with the form published, a manager and a collector."""

    client: Any
    engine: Engine
    project_id: int
    manager: dict[str, str]
    manager_id: int
    collector: dict[str, str]
    collector_id: int

    @property
    def service(self) -> str:
        return f"/v1/projects/{self.project_id}/forms/{FORM_ID}.svc"

    def publish(self, version: str, extra: str = "") -> None:
        body = FORM_MD.format(form_id=FORM_ID, version=version, extra=extra).encode()
        form_url = f"/v1/projects/{self.project_id}/forms"
        headers = {**self.manager, "Content-Type": "text/markdown"}
        if version == "1":
            response = self.client.post(form_url, params={"publish": "true",
                                        "ignoreWarnings": "true"}, content=body, headers=headers)
        else:
            response = self.client.post(f"{form_url}/{FORM_ID}/draft", content=body,
                                        params={"ignoreWarnings": "true"}, headers=headers)
            assert response.status_code == 200, response.text
            response = self.client.post(f"{form_url}/{FORM_ID}/draft/publish", headers=self.manager)
        assert response.status_code == 200, response.text

    def submit(self, as_collector: bool = False, *, version: str = "1", **answers: Any) -> str:
        """A submission through the REST API; returns its instanceID."""
        instance_id = answers.pop("instance_id", None) or f"uuid:{uuid.uuid4()}"
        headers = self.collector if as_collector else self.manager
        response = self.client.post(
            f"/v1/projects/{self.project_id}/forms/{FORM_ID}/submissions",
            content=instance_xml(instance_id, version=version, **answers),
            headers={**headers, "Content-Type": "application/xml"},
        )
        assert response.status_code == 200, response.text
        return instance_id

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(self.service + path, params=params,
                               headers=self.manager if headers is None else headers)

    def rows(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> list[Any]:
        response = self.get(path, headers, **params)
        assert response.status_code == 200, response.text
        return list(response.json()["value"])

    def set_created(self, instance_id: str, when: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(Submission).where(Submission.instance_id == instance_id)
                         .values(created_at=when))


def instance_xml(
    instance_id: str, *, version: str = "1", village: str = "Ak-Sai", women: int | str = 12,
    share: str = "0.5", place: str = "40.1 72.8 900 5", topics: str = "water peace",
    visit: str = "2024-05-01", recs: tuple[tuple[str, tuple[int, ...]], ...] = (("water", (1,)),),
    photo: str = "", deprecated_id: str | None = None, extra: str = "",
) -> bytes:
    """Submission XML of the test form; `recs` are (text, votes) per recommendation."""
    rec_xml = "".join(
        f"<rec><text>{text}</text>{''.join(f'<vote><n>{n}</n></vote>' for n in votes)}</rec>"
        for text, votes in recs
    )
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    return (
        f'<data id="{FORM_ID}" version="{version}"><village>{village}</village>'
        f"<women>{women}</women><share>{share}</share><place>{place}</place>"
        f"<topics>{topics}</topics><hh><visit>{visit}</visit></hh>{rec_xml}"
        f"<photo>{photo}</photo>{extra}<meta><instanceID>{instance_id}</instanceID>{deprecated}"
        "</meta></data>"
    ).encode()


@pytest.fixture
def od(client: Any, app: Any, engine: Engine) -> ODataSetup:
    project_id = make_project(engine)
    manager_id = make_user(engine, "manager@example.org", role="manager", project=project_id)
    collector_id = make_user(engine, "collector@example.org", role="collector", project=project_id)
    setup = ODataSetup(client, engine, project_id, headers_for(app, manager_id), manager_id,
                       headers_for(app, collector_id), collector_id)
    setup.publish("1")
    return setup
