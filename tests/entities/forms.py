"""Inline XLSForms that create and update `acts` entities, and submissions filled in on phones."""

from __future__ import annotations

import uuid as uuidlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.entities.conftest import Lists

EXAMPLES = Path(__file__).resolve().parents[2] / "forms" / "examples"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPENROSA = {"X-OpenRosa-Version": "1.0"}

CREATE_MD = """
| survey |            |            |            |            |
|        | type       | name       | label      | save_to    |
|        | text       | title      | Title      |            |
|        | text       | status     | Status     | status     |
|        | text       | progress   | Progress   | progress   |
|        | text       | ayil_aimak | Ayil aimak | ayil_aimak |
| entities |          |            |            |            |
|        | list_name  | label      |            |            |
|        | acts       | ${title}   |            |            |
| settings |          |            |            |            |
|        | form_id    | version    |            |            |
|        | create_act | 1          |            |            |
"""

UPDATE_MD = """
| survey |            |            |            |            |
|        | type       | name       | label      | save_to    |
|        | select_one_from_file acts.csv | act | Activity |   |
|        | text       | status     | Status     | status     |
|        | text       | progress   | Progress   | progress   |
| entities |          |            |            |            |
|        | list_name  | entity_id  |            |            |
|        | acts       | ${act}     |            |            |
| settings |          |            |            |            |
|        | form_id    | version    |            |            |
|        | update_act | 1          |            |            |
"""


def publish_example(lists: Lists, name: str) -> None:
    """Publishes forms/examples/<name>.xlsx."""
    response = lists.client.post(
        f"/v1/projects/{lists.project_id}/forms",
        params={"publish": "true", "ignoreWarnings": "true"},
        content=(EXAMPLES / f"{name}.xlsx").read_bytes(),
        headers={**lists.manager, "Content-Type": XLSX, "X-XlsForm-FormId-Fallback": name})
    assert response.status_code == 200, response.text


def add_activities(lists: Lists, places: dict[str, str]) -> None:
    """Planned lap_activities, label to ayil aimak."""
    lists.client.post(lists.url("/lap_activities/entities"), headers=lists.manager, json={
        "entities": [{"label": label, "data": {"ayil_aimak": place, "status": "planned"}}
                     for label, place in places.items()], "source": {"name": "plan.csv"}})


def publish(client: Any, headers: dict[str, str], project_id: int, markdown: str) -> None:
    response = client.post(
        f"/v1/projects/{project_id}/forms", params={"publish": "true", "ignoreWarnings": "true"},
        content=markdown.encode(), headers={**headers, "Content-Type": "text/markdown"})
    assert response.status_code == 200, response.text


def create_xml(entity: str, title: str, status: str = "planned", progress: str = "0",
               ayil_aimak: str = "kara-bulak") -> bytes:
    return (
        f'<data id="create_act" version="1"><title>{title}</title><status>{status}</status>'
        f"<progress>{progress}</progress><ayil_aimak>{ayil_aimak}</ayil_aimak><meta>"
        f'<entity dataset="acts" create="1" id="{entity}"><label>{title}</label></entity>'
        f"<instanceID>uuid:{uuidlib.uuid4()}</instanceID></meta></data>"
    ).encode()


def update_xml(entity: str, *, status: str, progress: str, base: int | None,
               trunk: int | None = None, branch: str | None = None) -> bytes:
    attrs = f'baseVersion="{base if base is not None else ""}" ' \
            f'trunkVersion="{trunk if trunk is not None else ""}" branchId="{branch or ""}"'
    return (
        f'<data id="update_act" version="1"><act>{entity}</act><status>{status}</status>'
        f"<progress>{progress}</progress><meta>"
        f'<entity dataset="acts" update="1" id="{entity}" {attrs}/>'
        f"<instanceID>uuid:{uuidlib.uuid4()}</instanceID></meta></data>"
    ).encode()


def submit(client: Any, headers: dict[str, str], project_id: int, xml: bytes) -> None:
    """Send a submission as ODK Collect does (OpenRosa); it is always accepted."""
    response = client.post(
        f"/v1/projects/{project_id}/submission",
        headers={**headers, "X-OpenRosa-Version": "1.0"},
        files={"xml_submission_file": ("submission.xml", xml, "text/xml")})
    assert response.status_code == 201, response.text
