"""A scoped collector cannot reach another village's records by any path data leaves the server.

Lists and feeds leave the record out; single reads answer 404 (not 403), so a record's existence
is not revealed. Paths: submission list, single read, XML, versions, attachments, OData (main
and repeat tables, also through $filter), CSV export, and the sync pull.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest

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
        "headers": headers_for(app, collector),
        "base": base,
    }


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
