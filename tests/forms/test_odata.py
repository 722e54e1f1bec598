"""OData documents and rows checked against ODK Central's documented shapes and test vectors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any
from xml.etree import ElementTree

import pytest

from forms.convert import convert_definition
from forms.odata import (
    ODataError,
    ODataRecord,
    edmx,
    entities_edmx,
    entity_row,
    parse_entity_select,
    parse_expand,
    parse_select,
    plan_odata,
    repeat_rows,
    service_document,
    submission_row,
    table_names,
)
from forms.schema import FormSchema

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
SUBMITTED = datetime(2026, 3, 8, 9, 30, 15, 250000, tzinfo=UTC)


def survey(version: str, *, phone: bool) -> FormSchema:
    """The consultation survey; version 1 asked for a phone number, version 2 does not."""
    phone_row = "| | text | phone | Phone |\n" if phone else ""
    md = f"""
| survey |
| | type | name | label |
| | integer | age | Age |
| | begin group | location | Location |
| | select_one oblast | oblast | Oblast |
| | geopoint | point | Point |
| | end group | | |
{phone_row}| | select_multiple topic | topics | Topics |
| | decimal | spent | Spent |
| | date | visited | Visited |
| | dateTime | started | Started |
| | begin repeat | rep | Participant |
| | integer | q | Question |
| | begin repeat | inner | Inner |
| | text | t | Thing |
| | end repeat | | |
| | end repeat | | |

| choices |
| | list_name | name | label |
| | oblast | osh | Osh |
| | oblast | jalal_abad | Jalal-Abad |
| | topic | water | Water |
| | topic | schools | Schools |

| settings |
| | form_id | version |
| | consult | {version} |
"""
    return convert_definition(md.encode("utf-8"), "consult.md").schema


@cache
def versions() -> tuple[FormSchema, ...]:
    return (survey("1", phone=True), survey("2", phone=False))


def double_repeat() -> FormSchema:
    """Central's doubleRepeat test form: children/child repeats with toys/toy inside."""
    md = """
| survey |
| | type | name | label |
| | text | name | Name |
| | begin group | children | Children |
| | begin repeat | child | Child |
| | text | name | Name |
| | begin group | toys | Toys |
| | begin repeat | toy | Toy |
| | text | name | Name |
| | end repeat | | |
| | end group | | |
| | end repeat | | |
| | end group | | |
"""
    return convert_definition(md.encode("utf-8"), "doubleRepeat.md").schema


def record(instance_id: str, data: dict[str, Any], **meta: Any) -> ODataRecord:
    return ODataRecord(instance_id=instance_id, data=data, submission_date=SUBMITTED, **meta)


def consult_record() -> ODataRecord:
    return record(
        "uuid:c0ffee",
        {
            "/data/age": 34,
            "/data/location/oblast": "osh",
            "/data/location/point": [40.5283, 72.7985, 1020.0, 5.0],
            "/data/phone": "+996555123456",
            "/data/topics": ["water", "schools"],
            "/data/spent": 1250.5,
            "/data/visited": "2026-03-01",
            "/data/started": "2026-03-01T10:15:00.000+06",
            "/data/meta/instanceID": "uuid:c0ffee",
            "/data/rep": [
                {"/data/rep/q": 1, "/data/rep/inner": [{"/data/rep/inner/t": "a"}]},
                {"/data/rep/q": 2, "/data/rep/inner": [{"/data/rep/inner/t": "b"},
                                                       {"/data/rep/inner/t": "c"}]},
            ],
        },
        submitter_id=5,
        submitter_name="Айгүл",
        device_id="collect:abc",
        review_state="approved",
        form_version="1",
        edits=1,
        attachments_expected=1,
    )


def double_record() -> ODataRecord:
    child = "/data/children/child"
    return record("double", {
        "/data/name": "Vick",
        "/data/meta/instanceID": "double",
        child: [
            {f"{child}/name": "Alice", f"{child}/toys/toy": []},
            {f"{child}/name": "Bob", f"{child}/toys/toy": [{f"{child}/toys/toy/name": "Twilight"}]},
            {f"{child}/name": "Chelsea", f"{child}/toys/toy": [
                {f"{child}/toys/toy/name": "Rainbow Dash"}, {f"{child}/toys/toy/name": "Rarity"},
            ]},
        ],
    })


# --- $metadata and the service document ---------------------------------------------------


def parsed_edmx() -> ElementTree.Element:
    return ElementTree.fromstring(edmx(versions(), "consult").encode("utf-8"))


def properties_of(root: ElementTree.Element, kind: str, name: str) -> dict[str, str]:
    for element in root.iter(f"{EDM}{kind}"):
        if element.get("Name") == name:
            return {p.get("Name", ""): p.get("Type", "") for p in element
                    if p.tag in (f"{EDM}Property", f"{EDM}NavigationProperty")}
    raise AssertionError(f"no {kind} {name}")


def test_metadata_is_well_formed_edmx_in_the_forms_namespace() -> None:
    root = parsed_edmx()
    namespaces = [s.get("Namespace") for s in root.iter(f"{EDM}Schema")]
    assert namespaces == ["org.opendatakit.submission", "org.opendatakit.user.consult"]
    container = next(root.iter(f"{EDM}EntityContainer"))
    assert container.get("Name") == "consult"
    assert [s.get("Name") for s in container] == [
        "Submissions", "Submissions.rep", "Submissions.rep.inner"
    ]


def test_metadata_types_fields_as_central_does() -> None:
    submissions = properties_of(parsed_edmx(), "EntityType", "Submissions")
    assert submissions["__id"] == "Edm.String"
    assert submissions["__system"] == "org.opendatakit.submission.metadata"
    assert submissions["age"] == "Edm.Int64"
    assert submissions["spent"] == "Edm.Decimal"
    assert submissions["visited"] == "Edm.Date"
    assert submissions["started"] == "Edm.DateTimeOffset"
    assert submissions["topics"] == "Edm.String"
    assert submissions["location"] == "org.opendatakit.user.consult.location"
    assert submissions["rep"] == "Collection(org.opendatakit.user.consult.Submissions.rep)"
    location = properties_of(parsed_edmx(), "ComplexType", "location")
    assert location == {"oblast": "Edm.String", "point": "Edm.GeographyPoint"}


def test_metadata_keeps_a_field_that_only_an_old_version_had() -> None:
    assert "phone" in properties_of(parsed_edmx(), "EntityType", "Submissions")
    newest_only = ElementTree.fromstring(edmx(versions()[1:], "consult"))
    assert "phone" not in properties_of(newest_only, "EntityType", "Submissions")


def test_repeat_entity_types_name_their_parent_key_by_the_enclosing_repeat() -> None:
    root = parsed_edmx()
    assert properties_of(root, "EntityType", "Submissions.rep") == {
        "__id": "Edm.String", "__Submissions-id": "Edm.String", "q": "Edm.Int64",
        "inner": "Collection(org.opendatakit.user.consult.Submissions.rep.inner)",
    }
    inner = properties_of(root, "EntityType", "Submissions.rep.inner")
    assert inner["__Submissions-rep-id"] == "Edm.String"


def test_service_document_lists_the_main_table_then_repeats_by_full_path() -> None:
    base = "https://kenesh.example/v1/projects/1/forms/doubleRepeat.svc"
    assert service_document(base, [double_repeat()]) == {
        "@odata.context": f"{base}/$metadata",
        "value": [
            {"name": "Submissions", "kind": "EntitySet", "url": "Submissions"},
            {"name": "Submissions.children.child", "kind": "EntitySet",
             "url": "Submissions.children.child"},
            {"name": "Submissions.children.child.toys.toy", "kind": "EntitySet",
             "url": "Submissions.children.child.toys.toy"},
        ],
    }
    assert table_names(versions()) == ["Submissions", "Submissions.rep", "Submissions.rep.inner"]


def test_entity_list_metadata_types_every_property_as_a_string() -> None:
    root = ElementTree.fromstring(entities_edmx("lap_activities", ["status", "spent-som"]))
    assert properties_of(root, "EntityType", "Entities") == {
        "__id": "Edm.String", "__system": "org.opendatakit.entity.metadata",
        "label": "Edm.String", "status": "Edm.String", "spent_som": "Edm.String",
    }


# --- the Submissions table -----------------------------------------------------------------


def test_main_row_nests_groups_and_carries_central_system_fields() -> None:
    row = submission_row(versions(), consult_record())
    assert row["__id"] == "uuid:c0ffee"
    assert row["age"] == 34
    assert row["spent"] == 1250.5
    assert row["location"]["oblast"] == "osh"
    assert row["meta"] == {"instanceID": "uuid:c0ffee"}
    assert row["topics"] == "water schools"
    assert row["started"] == "2026-03-01T10:15:00.000+06:00"
    assert row["__system"] == {
        "submissionDate": "2026-03-08T09:30:15.250Z",
        "updatedAt": None,
        "deletedAt": None,
        "submitterId": "5",
        "submitterName": "Айгүл",
        "attachmentsPresent": 0,
        "attachmentsExpected": 1,
        "status": None,
        "reviewState": "approved",
        "deviceId": "collect:abc",
        "edits": 1,
        "formVersion": "1",
    }
    assert row["rep@odata.navigationLink"] == "Submissions('uuid%3Ac0ffee')/rep"
    assert "rep" not in row


def test_main_row_gives_null_for_unanswered_fields_of_any_version() -> None:
    row = submission_row(versions(), record("uuid:empty", {"/data/age": 20}))
    assert row["phone"] is None
    assert row["location"] == {"oblast": None, "point": None}
    assert "rep@odata.navigationLink" not in row  # Central links only answered repeats


def test_geopoints_are_geojson_by_default_and_wkt_on_request() -> None:
    plan = plan_odata(versions())
    geojson = submission_row(plan, consult_record())["location"]["point"]
    assert geojson == {"type": "Point", "coordinates": [72.7985, 40.5283, 1020.0],
                       "properties": {"accuracy": 5.0}}
    wkt = submission_row(plan, consult_record(), wkt=True)["location"]["point"]
    assert wkt == "POINT (72.7985 40.5283 1020)"


def test_main_row_is_plain_json_that_keeps_kyrgyz_text() -> None:
    text = json.dumps(submission_row(versions(), consult_record()), ensure_ascii=False)
    assert json.loads(text)["__system"]["submitterName"] == "Айгүл"


def test_central_double_repeat_submission_reads_as_central_shows_it() -> None:
    row = submission_row([double_repeat()], double_record())
    del row["__system"]
    assert row == {
        "__id": "double",
        "name": "Vick",
        "children": {"child@odata.navigationLink": "Submissions('double')/children/child"},
        "meta": {"instanceID": "double"},
    }


def test_expand_star_puts_repeat_rows_inline_with_their_ids() -> None:
    row = submission_row(versions(), consult_record(), expand=True)
    assert [r["q"] for r in row["rep"]] == [1, 2]
    first = row["rep"][0]
    assert first["inner"][0]["t"] == "a"
    assert first["inner@odata.navigationLink"] == (
        f"Submissions('uuid%3Ac0ffee')/rep('{first['__id']}')/inner"
    )


# --- repeat tables -------------------------------------------------------------------------


def test_repeat_rows_have_centrals_hash_ids_and_link_to_the_submission() -> None:
    rows = repeat_rows([double_repeat()], double_record(), "Submissions.children.child")
    assert rows == [
        {"__id": "46ebf42ee83ddec5028c42b2c054402d1e700208", "__Submissions-id": "double",
         "name": "Alice", "toys": {}},
        {"__id": "b6e93a81a53eed0566e65e472d4a4b9ae383ee6d", "__Submissions-id": "double",
         "name": "Bob", "toys": {"toy@odata.navigationLink": "Submissions('double')/children/"
                                 "child('b6e93a81a53eed0566e65e472d4a4b9ae383ee6d')/toys/toy"}},
        {"__id": "8954b393f82c1833abb19be08a3d6cb382171f54", "__Submissions-id": "double",
         "name": "Chelsea", "toys": {"toy@odata.navigationLink": "Submissions('double')/"
                                     "children/child('8954b393f82c1833abb19be08a3d6cb382171f54')"
                                     "/toys/toy"}},
    ]


def test_nested_repeat_rows_link_to_their_parent_repeat_row() -> None:
    plan = plan_odata([double_repeat()])
    children = repeat_rows(plan, double_record(), "Submissions.children.child")
    toys = repeat_rows(plan, double_record(), "Submissions.children.child.toys.toy")
    assert [t["name"] for t in toys] == ["Twilight", "Rainbow Dash", "Rarity"]
    assert [t["__Submissions-children-child-id"] for t in toys] == [
        children[1]["__id"], children[2]["__id"], children[2]["__id"]
    ]
    assert len({t["__id"] for t in toys}) == 3


def test_repeat_row_ids_do_not_change_between_reads_or_collide_across_submissions() -> None:
    plan = plan_odata(versions())
    first = repeat_rows(plan, consult_record(), "Submissions.rep.inner")
    again = repeat_rows(plan, consult_record(), "Submissions.rep.inner")
    other = repeat_rows(plan, record("uuid:other", consult_record().data), "Submissions.rep.inner")
    assert [r["__id"] for r in first] == [r["__id"] for r in again]
    assert not {r["__id"] for r in first} & {r["__id"] for r in other}


def test_asking_for_an_unknown_table_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        repeat_rows(versions(), consult_record(), "Submissions.nope")


# --- $select and $expand -------------------------------------------------------------------


def test_select_keeps_chosen_fields_their_groups_and_chosen_system_fields() -> None:
    plan = plan_odata([double_repeat()])
    select = parse_select(plan, "Submissions",
                          "__id,__system/status,name,meta/instanceID,children/child")
    row = submission_row(plan, double_record(), select=select)
    assert row == {
        "__id": "double",
        "__system": {"status": None},
        "children": {"child@odata.navigationLink": "Submissions('double')/children/child"},
        "meta": {"instanceID": "double"},
        "name": "Vick",
    }


def test_select_on_a_repeat_table_drops_ids_unless_asked() -> None:
    plan = plan_odata([double_repeat()])
    select = parse_select(plan, "Submissions.children.child", "__id,name")
    rows = repeat_rows(plan, double_record(), "Submissions.children.child", select=select)
    assert rows[0] == {"__id": "46ebf42ee83ddec5028c42b2c054402d1e700208", "name": "Alice"}


def test_select_refuses_unknown_and_nested_repeat_properties_with_centrals_codes() -> None:
    plan = plan_odata(versions())
    with pytest.raises(ODataError) as unknown:
        parse_select(plan, "Submissions", "nope")
    assert unknown.value.code == "400.23"
    with pytest.raises(ODataError) as nested:
        parse_select(plan, "Submissions", "rep/q")
    assert nested.value.code == "400.24"
    with pytest.raises(ODataError) as combined:
        parse_select(plan, "Submissions", "age", expand=True)
    assert combined.value.code == "501.11"
    assert parse_select(plan, "Submissions", "*") is None


def test_only_expand_star_is_supported() -> None:
    assert parse_expand("*") is True
    assert parse_expand(None) is False
    with pytest.raises(ODataError) as refused:
        parse_expand("rep")
    assert refused.value.code == "501.6"


# --- entity lists --------------------------------------------------------------------------


def test_entity_rows_have_string_properties_and_centrals_system_block() -> None:
    row = entity_row(
        "12345678-1234-4123-8123-123456789abc",
        "Repair the school roof",
        {"status": "in_progress", "spent": "12000"},
        {"createdAt": SUBMITTED, "creatorId": 7, "creatorName": "Айгүл", "updates": 2,
         "updatedAt": SUBMITTED, "version": 3, "conflict": None},
        properties=["status", "progress", "spent"],
    )
    assert row == {
        "__id": "12345678-1234-4123-8123-123456789abc",
        "label": "Repair the school roof",
        "__system": {"createdAt": "2026-03-08T09:30:15.250Z", "creatorId": "7",
                     "creatorName": "Айгүл", "updates": 2,
                     "updatedAt": "2026-03-08T09:30:15.250Z", "deletedAt": None,
                     "version": 3, "conflict": None},
        "status": "in_progress",
        "progress": "",
        "spent": "12000",
    }


def test_entity_select_keeps_only_what_was_asked() -> None:
    select = parse_entity_select("__id,__system/version,status", ["status", "spent"])
    row = entity_row("u1", "A", {"status": "done", "spent": "5"}, {"version": 4},
                     properties=["status", "spent"], select=select)
    assert row == {"__id": "u1", "__system": {"version": 4}, "status": "done"}
    with pytest.raises(ODataError):
        parse_entity_select("colour", ["status"])
