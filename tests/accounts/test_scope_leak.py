"""A scoped collector cannot reach another village's records by any path data leaves the server.

Lists and feeds leave the record out; single reads answer 404 (not 403), so a record's existence
is not revealed. Paths: submission list, single read, XML, versions, attachments, OData (main
and repeat tables, also through $filter), CSV export, and the sync pull. Edits (OpenRosa
deprecatedID, REST PUT) of an out-of-scope record answer as for an unknown one, so an edit can
neither change such a record nor move it into scope to read its earlier versions.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest

from server.auth.principal import Principal
from server.db import unit_of_work
from server.errors import Problem
from server.policy import COLLECTOR, Access
from server.services.forms import get_form
from tests.factories import headers_for, make_user
from tests.odk.conftest import OPENROSA, Setup, instance_xml
from tests.odk.conftest import odk as odk  # noqa: F401 - the fixture, shared with tests/odk

VILLAGE_FIELD = "/data/village"


def send(client: Any, setup: Setup, village: str) -> str:
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml(instance_id=instance_id, village=village, photo="p.jpg")
    response = client.post(
        f"/v1/key/{setup.key}/projects/{setup.project_id}/submission",
        headers=OPENROSA,
        files={
            "xml_submission_file": ("s.xml", xml, "text/xml"),
            "p.jpg": ("p.jpg", b"jpg", "image/jpeg"),
        },
    )
    assert response.status_code == 201, response.text
    return instance_id


@pytest.fixture
def scoped(client: Any, app: Any, engine: Any, odk: Setup) -> dict[str, Any]:  # noqa: F811
    """Two records (Ak-Sai and Kulundu) and a collector who may see Ak-Sai only."""
    inside = send(client, odk, "Ak-Sai")
    outside = send(client, odk, "Kulundu")
    collector = make_user(engine, "collector@example.org", role="collector", project=odk.project_id)
    base = f"/v1/projects/{odk.project_id}"
    # The scope is set after the records exist: their stored scope values are recomputed.
    set_mode = client.put(
        f"{base}/scope", json={"mode": "location", "field": VILLAGE_FIELD}, headers=odk.manager
    )
    assert set_mode.status_code == 200, set_mode.text
    set_values = client.put(
        f"{base}/scopes/{collector}", json={"values": ["Ak-Sai"]}, headers=odk.manager
    )
    assert set_values.status_code == 200, set_values.text
    return {
        "inside": inside,
        "outside": outside,
        "collector": collector,
        "headers": headers_for(app, collector),
        "manager": odk.manager,
        "base": base,
    }


def test_the_form_counts_are_of_the_records_in_scope(client: Any, scoped: dict[str, Any]) -> None:
    extended = {**scoped["headers"], "X-Extended-Metadata": "true"}
    listed = client.get(f"{scoped['base']}/forms", headers=extended).json()
    single = client.get(f"{scoped['base']}/forms/open_day", headers=extended).json()
    manager_view = client.get(f"{scoped['base']}/forms/open_day", headers={
        **scoped["manager"], "X-Extended-Metadata": "true"}).json()
    assert [f["submissions"] for f in listed if f["xmlFormId"] == "open_day"] == [1]
    assert single["submissions"] == 1 and single["reviewStates"]["received"] == 1
    assert manager_view["submissions"] == 2


def test_the_submission_list_holds_only_records_in_scope(
    client: Any, scoped: dict[str, Any]
) -> None:
    listed = client.get(
        f"{scoped['base']}/forms/open_day/submissions", headers=scoped["headers"]
    ).json()
    assert [s["instanceId"] for s in listed] == [scoped["inside"]]


@pytest.mark.parametrize(
    "suffix",
    ["", ".xml", "/versions", "/attachments", "/attachments/p.jpg", "/comments", "/entities"],
)
def test_every_single_read_of_an_out_of_scope_record_is_404(
    client: Any, scoped: dict[str, Any], suffix: str
) -> None:
    url = f"{scoped['base']}/forms/open_day/submissions/{{}}{suffix}"
    assert client.get(url.format(scoped["inside"]), headers=scoped["headers"]).status_code == 200
    outside = client.get(url.format(scoped["outside"]), headers=scoped["headers"])
    missing = client.get(url.format(f"uuid:{uuid.uuid4()}"), headers=scoped["headers"])
    assert outside.status_code == missing.status_code == 404
    assert (
        outside.json()["code"] == missing.json()["code"]
    )  # indistinguishable from "no such record"


def test_odata_tables_and_filters_show_only_records_in_scope(
    client: Any, scoped: dict[str, Any]
) -> None:
    service = f"{scoped['base']}/forms/open_day.svc"
    main = client.get(f"{service}/Submissions", headers=scoped["headers"]).json()["value"]
    assert [row["__id"] for row in main] == [scoped["inside"]]
    filtered = client.get(
        f"{service}/Submissions",
        params={"$filter": f"__id eq '{scoped['outside']}'"},
        headers=scoped["headers"],
    ).json()["value"]
    assert filtered == []
    repeats = client.get(f"{service}/Submissions.rec", headers=scoped["headers"]).json()["value"]
    assert {row["__Submissions-id"] for row in repeats} == {scoped["inside"]}


def test_a_csv_export_holds_only_records_in_scope(client: Any, scoped: dict[str, Any]) -> None:
    response = client.get(
        f"{scoped['base']}/forms/open_day/submissions.csv", headers=scoped["headers"]
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["KEY"] for row in rows] == [scoped["inside"]]


def test_the_sync_pull_holds_only_records_in_scope(client: Any, scoped: dict[str, Any]) -> None:
    pulled = client.get(f"{scoped['base']}/sync/pull", headers=scoped["headers"]).json()
    records = {c["record_id"] for c in pulled["changes"] if c["type"] == "submission"}
    assert records == {scoped["inside"]}


def _openrosa_send(
    client: Any, scoped: dict[str, Any], xml: bytes, photo: bytes | None = None
) -> Any:
    files = {"xml_submission_file": ("s.xml", xml, "text/xml")}
    if photo is not None:
        files["p.jpg"] = ("p.jpg", photo, "image/jpeg")
    return client.post(
        f"{scoped['base']}/submission", headers={**OPENROSA, **scoped["headers"]}, files=files)


def _openrosa_edit(client: Any, scoped: dict[str, Any], deprecated_id: str) -> Any:
    xml = instance_xml(instance_id=f"uuid:{uuid.uuid4()}", village="Ak-Sai",
                       deprecated_id=deprecated_id)
    return _openrosa_send(client, scoped, xml)


def test_an_openrosa_edit_of_an_out_of_scope_record_is_404_like_an_unknown_one(
    client: Any, scoped: dict[str, Any], odk: Setup  # noqa: F811
) -> None:
    missing_id = f"uuid:{uuid.uuid4()}"
    outside = _openrosa_edit(client, scoped, scoped["outside"])
    missing = _openrosa_edit(client, scoped, missing_id)
    assert outside.status_code == missing.status_code == 404
    assert outside.text.replace(scoped["outside"], "") == missing.text.replace(missing_id, "")
    # The record was not moved into scope, and its first version stays out of reach.
    versions = f"{scoped['base']}/forms/open_day/submissions/{scoped['outside']}/versions"
    assert len(client.get(versions, headers=odk.manager).json()) == 1
    assert client.get(versions, headers=scoped["headers"]).status_code == 404
    assert _openrosa_edit(client, scoped, scoped["inside"]).status_code == 201


def test_a_rest_edit_of_an_out_of_scope_record_is_404_like_an_unknown_one(
    client: Any, engine: Any, scoped: dict[str, Any], odk: Setup  # noqa: F811
) -> None:
    missing_id = f"uuid:{uuid.uuid4()}"
    url = f"{scoped['base']}/forms/open_day/submissions/{{}}"
    statuses = set()
    for target in (scoped["outside"], missing_id):
        xml = instance_xml(instance_id=f"uuid:{uuid.uuid4()}", village="Ak-Sai",
                           deprecated_id=target)
        statuses.add(client.put(url.format(target), content=xml,
                                headers=scoped["headers"]).status_code)
    assert len(statuses) == 1  # whatever the policy allows collectors, the record is not told
    # The edit service applies the record scope itself: a scoped role never edits past it.
    from server.services.submission_edits import edit_rest  # after the app: import cycle
    from server.services.submissions import Sender, XmlLimits

    principal = Principal(actor_id=scoped["collector"], kind="user", display_name="Collector")
    access = Access(principal, odk.project_id, COLLECTOR, personal_data=False)
    codes = []
    for target in (scoped["outside"], missing_id):
        xml = instance_xml(instance_id=f"uuid:{uuid.uuid4()}", village="Ak-Sai",
                           deprecated_id=target)
        with unit_of_work(engine) as uow, pytest.raises(Problem) as refused:
            form = get_form(uow.session, odk.project_id, "open_day")
            edit_rest(uow.session, form, target, xml, Sender(principal, access=access),
                      XmlLimits())
        codes.append((refused.value.kind.status, refused.value.kind.code))
    assert codes[0] == codes[1] == (404, "resource.not_found")
    assert len(client.get(url.format(scoped["outside"]) + "/versions",
                          headers=odk.manager).json()) == 1


def test_a_resend_cannot_replace_the_files_of_an_out_of_scope_record(
    client: Any, scoped: dict[str, Any], odk: Setup  # noqa: F811
) -> None:
    outside_xml = instance_xml(instance_id=scoped["outside"], village="Kulundu", photo="p.jpg")
    assert _openrosa_send(client, scoped, outside_xml, b"forged").status_code == 409
    photo = f"{scoped['base']}/forms/open_day/submissions/{scoped['outside']}/attachments/p.jpg"
    assert client.get(photo, headers=odk.manager).content == b"jpg"
    inside_xml = instance_xml(instance_id=scoped["inside"], village="Ak-Sai", photo="p.jpg")
    assert _openrosa_send(client, scoped, inside_xml, b"jpg").status_code == 201


def test_its_sender_still_completes_a_record_it_filed_outside_its_scope(
    client: Any, scoped: dict[str, Any], odk: Setup  # noqa: F811
) -> None:
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml(instance_id=instance_id, village="Kulundu", photo="p.jpg")
    first = _openrosa_send(client, scoped, xml)
    assert first.status_code == 201, first.text
    assert _openrosa_send(client, scoped, xml, b"late photo").status_code == 201
    photo = f"{scoped['base']}/forms/open_day/submissions/{instance_id}/attachments/p.jpg"
    assert client.get(photo, headers=odk.manager).content == b"late photo"


def test_its_sender_still_completes_an_edit_that_moved_a_record_out_of_its_scope(
    client: Any, scoped: dict[str, Any], odk: Setup  # noqa: F811
) -> None:
    edit = instance_xml(instance_id=f"uuid:{uuid.uuid4()}", village="Kulundu", photo="p.jpg",
                        deprecated_id=scoped["inside"])
    first = _openrosa_send(client, scoped, edit)
    assert first.status_code == 201, first.text
    assert _openrosa_send(client, scoped, edit, b"edited photo").status_code == 201
    photo = f"{scoped['base']}/forms/open_day/submissions/{scoped['inside']}/attachments/p.jpg"
    assert client.get(photo, headers=odk.manager).content == b"edited photo"
    assert client.get(photo, headers=scoped["headers"]).status_code == 404  # out of scope now
