"""The OData feed's documents and rows, shaped as ODK Central documents them."""

from __future__ import annotations

from xml.etree import ElementTree

from sqlalchemy import update

from server.models import Form
from tests.factories import headers_for, make_user
from tests.odata_api.conftest import FORM_ID, ODataSetup, instance_xml

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def test_the_service_document_lists_the_main_table_and_every_repeat_table(od: ODataSetup) -> None:
    response = od.get("")
    assert response.status_code == 200
    assert response.json() == {
        "@odata.context": f"http://testserver{od.service}/$metadata",
        "value": [
            {"name": "Submissions", "kind": "EntitySet", "url": "Submissions"},
            {"name": "Submissions.rec", "kind": "EntitySet", "url": "Submissions.rec"},
            {"name": "Submissions.rec.vote", "kind": "EntitySet", "url": "Submissions.rec.vote"},
        ],
    }


def test_metadata_describes_the_fields_of_every_published_version(od: ODataSetup) -> None:
    od.publish("2", extra="|  | text | remark | Remark |")
    response = od.get("/$metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    entities = {e.get("Name"): {p.get("Name"): p.get("Type") for p in e}
                for e in root.iter(f"{EDM}EntityType")}
    assert list(entities) == ["Submissions", "Submissions.rec", "Submissions.rec.vote"]
    main = entities["Submissions"]
    assert main["women"] == "Edm.Int64"
    assert main["share"] == "Edm.Decimal"
    assert main["place"] == "Edm.GeographyPoint"
    assert main["remark"] == "Edm.String"  # only version 2 has it
    assert main["__system"] == "org.opendatakit.submission.metadata"
    assert entities["Submissions.rec.vote"]["__Submissions-rec-id"] == "Edm.String"
    container = next(root.iter(f"{EDM}EntityContainer"))
    assert container.get("Name") == FORM_ID


def test_a_row_has_typed_answers_geojson_and_centrals_system_fields(od: ODataSetup) -> None:
    instance_id = od.submit(photo="p.jpg")
    [row] = od.rows("/Submissions")
    assert row["village"] == "Ak-Sai"
    assert row["women"] == 12 and row["share"] == 0.5
    assert row["place"] == {"type": "Point", "coordinates": [72.8, 40.1, 900], "properties":
                            {"accuracy": 5}}
    assert row["topics"] == "water peace"
    assert row["hh"] == {"visit": "2024-05-01"}
    assert row["photo"] == "p.jpg"
    assert row["__id"] == instance_id
    assert row["rec@odata.navigationLink"] == \
        f"Submissions('{instance_id.replace(':', '%3A')}')/rec"
    system = row["__system"]
    assert list(system) == ["submissionDate", "updatedAt", "deletedAt", "submitterId",
                            "submitterName", "attachmentsPresent", "attachmentsExpected",
                            "status", "reviewState", "deviceId", "edits", "formVersion"]
    assert system["submitterId"] == str(od.manager_id)
    assert system["submitterName"] == "manager@example.org"
    assert (system["attachmentsPresent"], system["attachmentsExpected"]) == (0, 1)
    assert (system["reviewState"], system["edits"], system["formVersion"]) == (None, 0, "1")
    assert system["submissionDate"].endswith("Z")


def test_system_fields_follow_review_edits_and_attachments(od: ODataSetup) -> None:
    instance_id = od.submit(photo="p.jpg")
    base = f"/v1/projects/{od.project_id}/forms/{FORM_ID}/submissions/{instance_id}"
    assert od.client.post(base + "/attachments/p.jpg", content=b"jpeg",
                          headers={**od.manager, "Content-Type": "image/jpeg"}).status_code == 200
    assert od.client.patch(base, json={"reviewState": "approved"},
                           headers=od.manager).status_code == 200
    edited = instance_xml("uuid:edit-1", women=13, photo="p.jpg", deprecated_id=instance_id)
    response = od.client.put(base, content=edited,
                             headers={**od.manager, "Content-Type": "application/xml"})
    assert response.status_code == 200, response.text
    [row] = od.rows("/Submissions")
    assert row["women"] == 13 and row["__id"] == instance_id
    system = row["__system"]
    assert system["edits"] == 1
    assert system["reviewState"] == "edited"
    assert system["updatedAt"] is not None
    assert (system["attachmentsPresent"], system["attachmentsExpected"]) == (1, 1)


def test_wkt_gives_geopoints_as_text(od: ODataSetup) -> None:
    od.submit()
    [row] = od.rows("/Submissions", **{"$wkt": "true"})
    assert row["place"] == "POINT (72.8 40.1 900)"


def test_repeat_rows_carry_their_own_id_and_their_parents(od: ODataSetup) -> None:
    instance_id = od.submit(recs=(("water", (1, 2)), ("roads", ())))
    recs = od.rows("/Submissions.rec")
    assert [(r["text"], r["__Submissions-id"]) for r in recs] == \
        [("water", instance_id), ("roads", instance_id)]
    votes = od.rows("/Submissions.rec.vote")
    assert [v["n"] for v in votes] == [1, 2]
    assert {v["__Submissions-rec-id"] for v in votes} == {recs[0]["__id"]}
    assert len({r["__id"] for r in recs + votes}) == 4
    # The ids are stable: the expanded main row shows the same ones.
    [row] = od.rows("/Submissions", **{"$expand": "*"})
    assert [r["__id"] for r in row["rec"]] == [r["__id"] for r in recs]
    assert [v["__id"] for v in row["rec"][0]["vote"]] == [v["__id"] for v in votes]


def test_select_keeps_only_the_chosen_properties(od: ODataSetup) -> None:
    instance_id = od.submit()
    [row] = od.rows("/Submissions", **{"$select": "__id,women,hh/visit,__system/reviewState"})
    assert row == {"women": 12, "hh": {"visit": "2024-05-01"}, "__id": instance_id,
                   "__system": {"reviewState": None}}


def test_one_submission_is_read_by_its_key(od: ODataSetup) -> None:
    first, _second = od.submit(), od.submit()
    rows = od.rows(f"/Submissions('{first}')")
    assert [r["__id"] for r in rows] == [first]
    assert od.get("/Submissions('uuid:nobody')").status_code == 404


def test_refusals_are_problems_with_centrals_codes(od: ODataSetup) -> None:
    od.submit()
    cases = [
        ({"$filter": "women eq"}, 400, "400.18"),
        ({"$filter": "__system/submitterName eq 'x'"}, 501, "501.5"),
        ({"$filter": "women add 1 eq 2"}, 501, "501.4"),
        ({"$select": "nothing"}, 400, "400.23"),
        ({"$select": "women", "$expand": "*"}, 501, "501.11"),
        ({"$expand": "rec"}, 501, "501.6"),
        ({"$skiptoken": "not-a-token"}, 400, "400.35"),
    ]
    for params, status, code in cases:
        response = od.get("/Submissions", **params)
        assert response.status_code == status, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code


def test_unknown_tables_and_forms_are_not_found(od: ODataSetup) -> None:
    assert od.get("/Submissions.nothing").status_code == 404
    other = f"/v1/projects/{od.project_id}/forms/missing.svc"
    assert od.client.get(other, headers=od.manager).status_code == 404
    assert od.client.get(other + "/Submissions", headers=od.manager).status_code == 404


def test_reading_a_sensitive_forms_feed_is_audited(od: ODataSetup) -> None:
    with od.engine.begin() as conn:
        conn.execute(update(Form).values(sensitive=True))
    od.submit()
    assert len(od.rows("/Submissions")) == 1
    admin = headers_for(od.client.app, make_user(od.engine, "admin@example.org", admin=True))
    audits = od.client.get("/v1/audits", params={"action": "submission.read"}, headers=admin)
    assert [a["target"] for a in audits.json()] == [f"{FORM_ID}.svc/Submissions"]


def test_navigation_links_lead_to_the_rows_of_one_submission(od: ODataSetup) -> None:
    od.submit(recs=(("other", (9,)),))
    instance_id = od.submit(recs=(("water", (1, 2)), ("roads", (3,))))
    [row] = od.rows("/Submissions", **{"$filter": f"__id eq '{instance_id}'"})
    recs = od.rows("/" + row["rec@odata.navigationLink"])
    assert [r["text"] for r in recs] == ["water", "roads"]
    votes = od.rows("/" + recs[1]["vote@odata.navigationLink"])
    assert [v["n"] for v in votes] == [3]
    assert od.get(f"/Submissions('{instance_id}')/nothing").status_code == 404
    assert od.get("/Submissions('uuid:nobody')/rec").json()["value"] == []
