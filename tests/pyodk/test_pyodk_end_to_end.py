"""pyodk from PyPI, unmodified, against Kenesh on 127.0.0.1: a coordinator's whole workflow.

Create a form from an example XLSForm, publish it, create app users with the form assigned,
submit with a photo, list, get, review with a comment, edit, read the OData tables (main and
repeat), and publish new versions; every value read back is the value sent.
(This folder has no __init__.py, so that `import pyodk` finds the real package.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyodk.client import Client

from tests.factories import make_project, make_user
from tests.live_pyodk import live_pyodk_client

EXAMPLE = Path(__file__).resolve().parents[2] / "forms" / "examples" / \
    "open_day_consultation.xlsx"
FORM_ID = "open_day_consultation"
PHOTO = b"\xff\xd8\xff\xe0 a small jpeg \xff\xd9"


@pytest.fixture
def pyodk_client(app: Any, engine: Any, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """A pyodk Client configured through PYODK_CONFIG_FILE, talking to a live server."""
    project_id = make_project(engine, "Open days")
    user = "coordinator@example.org"
    make_user(engine, user, admin=True)
    with live_pyodk_client(app, tmp_path, monkeypatch, user, project_id) as client:
        yield client


def consultation_xml(instance_id: str, version: str, *, total: int,
                     recommendations: list[tuple[str, str]], deprecated_id: str | None = None,
                     ) -> str:
    """An open day consultation as ODK Collect would send it."""
    recs = "".join(f"<recommendation><text>{text}</text><addressee>{to}</addressee>"
                   "<addressee_other/></recommendation>" for text, to in recommendations)
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    women = total - 3
    return (
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'id="{FORM_ID}" version="{version}">'
        "<consultation_date>2024-05-14</consultation_date>"
        "<location><oblast>batken</oblast><rayon>leylek</rayon><ayil_aimak>ak_say</ayil_aimak>"
        "<gps>39.95 69.85 1100 4.5</gps></location>"
        "<organiser>women_initiative_group</organiser><organiser_other/>"
        "<participants><girls_14_17>0</girls_14_17><boys_14_17>0</boys_14_17>"
        f"<women_18_29>{women}</women_18_29><men_18_29>3</men_18_29>"
        "<women_30_59>0</women_30_59><men_30_59>0</men_30_59><women_60_plus>0</women_60_plus>"
        f"<men_60_plus>0</men_60_plus><counted_total>{total}</counted_total>"
        f"<participants_total>{total}</participants_total>"
        "<participants_with_disabilities>1</participants_with_disabilities></participants>"
        f"<topics>cross_border inter_ethnic</topics>{recs}"
        "<photo_1>meeting.jpg</photo_1><photo_2/>"
        f"<meta><instanceID>{instance_id}</instanceID>{deprecated}</meta></data>"
    )


def with_version(source: Path, version: str, target: Path) -> Path:
    """A copy of the XLSForm whose settings sheet gives `version`."""
    book = openpyxl.load_workbook(source)
    settings = book["settings"]
    header = [cell.value for cell in settings[1]]
    settings.cell(row=2, column=header.index("version") + 1, value=version)
    book.save(target)
    return target


def test_a_coordinators_pyodk_workflow_round_trips_every_value(
    pyodk_client: Client, tmp_path: Path
) -> None:
    client = pyodk_client
    pid = client.project_id

    # A form from the example XLSForm, created as a draft and published by pyodk.
    form = client.forms.create(definition=EXAMPLE, ignore_warnings=True)
    assert form.xmlFormId == FORM_ID and form.projectId == pid
    published = client.forms.get(FORM_ID)
    assert published.publishedAt is not None and published.state == "open"
    version = published.version
    assert f'<data id="{FORM_ID}" version="{version}"' in client.forms.get_xml(FORM_ID)
    assert [f.xmlFormId for f in client.forms.list()] == [FORM_ID]

    # Two phones, each with the form assigned.
    phones = client.projects.create_app_users(display_names=["Leylek phone", "Batken phone"],
                                              forms=[FORM_ID])
    assert sorted(p.displayName for p in phones) == ["Batken phone", "Leylek phone"]
    assert all(p.token for p in phones)
    assigned = client.get(f"projects/{pid}/forms/{FORM_ID}/assignments/app-user").json()
    assert sorted(a["actorId"] for a in assigned) == sorted(p.id for p in phones)

    # A submission with its photo.
    photo = tmp_path / "meeting.jpg"
    photo.write_bytes(PHOTO)
    first_id = f"uuid:{uuid.uuid4()}"
    sent = client.submissions.create(
        xml=consultation_xml(first_id, version, total=24,
                             recommendations=[("Light the border road", "lsg"),
                                              ("A youth centre", "local_council")]),
        form_id=FORM_ID, attachments=[photo], device_id="pyodk-test",
    )
    assert sent.instanceId == first_id
    assert [(a.name, a.exists) for a in sent.attachments or []] == [("meeting.jpg", True)]
    stored_photo = client.get(f"projects/{pid}/forms/{FORM_ID}/submissions/{first_id}"
                              "/attachments/meeting.jpg")
    assert stored_photo.content == PHOTO

    # List and get.
    assert [s.instanceId for s in client.submissions.list(form_id=FORM_ID)] == [first_id]
    got = client.submissions.get(first_id, form_id=FORM_ID)
    assert (got.instanceId, got.reviewState, got.deviceId) == (first_id, None, "pyodk-test")

    # Review with a comment.
    client.submissions.review(first_id, review_state="hasIssues", form_id=FORM_ID,
                              comment="The total does not match the sheet.")
    assert client.submissions.get(first_id, form_id=FORM_ID).reviewState == "hasIssues"
    assert [c.body for c in client.submissions.list_comments(first_id, form_id=FORM_ID)] == \
        ["The total does not match the sheet."]

    # An edit: a new version of the same submission.
    edit_id = f"uuid:{uuid.uuid4()}"
    client.submissions.edit(
        first_id, form_id=FORM_ID, comment="Recounted: 25.",
        xml=consultation_xml(edit_id, version, total=25, deprecated_id=first_id,
                             recommendations=[("Light the border road", "lsg"),
                                              ("A youth centre", "local_council"),
                                              ("Water for the school", "rayon_administration")]),
    )
    edited = client.submissions.get(first_id, form_id=FORM_ID)
    assert edited.reviewState == "edited"
    assert [c.body for c in client.submissions.list_comments(first_id, form_id=FORM_ID)] == \
        ["The total does not match the sheet.", "Recounted: 25."]

    # The OData tables show the edited values, typed.
    table = client.submissions.get_table(form_id=FORM_ID, count=True)
    assert table["@odata.count"] == 1
    [row] = table["value"]
    assert row["__id"] == first_id and row["meta"]["instanceID"] == edit_id
    assert row["location"]["ayil_aimak"] == "ak_say"
    assert row["location"]["gps"]["coordinates"] == [69.85, 39.95, 1100]
    assert row["participants"]["participants_total"] == 25
    assert row["topics"] == "cross_border inter_ethnic"
    assert row["photo_1"] == "meeting.jpg"
    system = row["__system"]
    assert (system["edits"], system["reviewState"], system["formVersion"]) == \
        (1, "edited", version)
    assert (system["attachmentsPresent"], system["attachmentsExpected"]) == (1, 1)
    assert system["deviceId"] == "pyodk-test"
    recommendations = client.submissions.get_table(
        form_id=FORM_ID, table_name="Submissions.recommendation", top=2)
    assert [r["text"] for r in recommendations["value"]] == \
        ["Light the border road", "A youth centre"]
    assert {r["__Submissions-id"] for r in recommendations["value"]} == {first_id}
    assert "@odata.nextLink" in recommendations
    rest = client.submissions.get_table(form_id=FORM_ID, table_name="Submissions.recommendation",
                                        skip=2, wkt=True)
    assert [(r["text"], r["addressee"]) for r in rest["value"]] == \
        [("Water for the school", "rayon_administration")]
    filtered = client.submissions.get_table(
        form_id=FORM_ID, filter="__system/reviewState eq 'edited'", select="__id")
    assert filtered["value"] == [{"__id": first_id}]

    # A new version from an updated workbook, then one by attachments only (pyodk's
    # version_updater): Central's draft, attachments and publish?version flow.
    client.forms.update(FORM_ID, definition=with_version(EXAMPLE, "2030010101",
                                                         tmp_path / "open_day_consultation.xlsx"))
    assert client.forms.get(FORM_ID).version == "2030010101"
    client.forms.update(FORM_ID, attachments=[], version_updater=lambda v: f"{v}-b")
    assert client.forms.get(FORM_ID).version == "2030010101-b"
    versions = client.get(f"projects/{pid}/forms/{FORM_ID}/versions").json()
    assert [v["version"] for v in versions] == ["2030010101-b", "2030010101", version]
    # Records of the old version still read through OData.
    again = client.submissions.get_table(form_id=FORM_ID)
    assert [r["__system"]["formVersion"] for r in again["value"]] == [version]
