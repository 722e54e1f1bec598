"""Exports across three versions of a form with repeats, in Kyrgyz, Russian and English."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet._writer import ALL_TEMP_FILES as openpyxl_temp_files

from forms.convert import convert_definition
from forms.export import (
    SubmissionRow,
    csv_stream,
    csv_zip_stream,
    geojson_stream,
    plan_export,
    rows_for_submission,
    xlsx_stream,
)
from forms.schema import Field, FormSchema
from tests.consult_form import VERSIONS, consult_md


@cache
def versions() -> tuple[FormSchema, ...]:
    """Version 1 has a phone question; 2 drops it; 3 adds a district and drops "green"."""
    return tuple(convert_definition(consult_md(v), "consult.md").schema for v in VERSIONS)


def submission(instance_id: str, data: dict[str, Any], **meta: Any) -> SubmissionRow:
    return SubmissionRow(
        instance_id=instance_id,
        submission_date=datetime(2026, 3, 8, 9, 30, 15, 250000, tzinfo=UTC),
        data=data,
        **meta,
    )


OLD = submission(
    "uuid:old",
    {
        "/data/age": 34,
        "/data/grp/name": "Айгүл",
        "/data/phone": "+996555123456",
        "/data/colors": ["red", "green"],
        "/data/loc": [40.5283, 72.7985, 1020.0, 5.0],
        "/data/visited": "2026-03-01",
        "/data/score": 7.5,
        "/data/meta/instanceID": "uuid:old",
        "/data/rep": [
            {"/data/rep/q": 1, "/data/rep/inner": [{"/data/rep/inner/t": "a"}]},
            {"/data/rep/q": 2, "/data/rep/inner": [{"/data/rep/inner/t": "b"},
                                                   {"/data/rep/inner/t": "c"}]},
        ],
    },
    submitter_id=5,
    submitter_name="Alice",
    form_version="1",
    review_state="approved",
    edits=1,
)
NEW = submission(
    "uuid:new",
    {
        "/data/age": -3,
        "/data/grp/name": "=HYPERLINK(\"http://evil\")",
        "/data/colors": ["blue"],
        "/data/district": "nookat",
        "/data/visited": "2026-03-07",
        "/data/meta/instanceID": "uuid:new",
        "/data/rep": [{"/data/rep/q": 3}],
    },
    submitter_id=6,
    submitter_name="Бакыт",
    form_version="3",
    device_id="collect:abc",
    validation_status="invalid",
    validation_messages=("age must be positive", "name is odd"),
    conflict=True,
)

MAIN_HEADERS = [
    "SubmissionDate", "age", "grp-name", "phone", "colors", "district", "loc-Latitude",
    "loc-Longitude", "loc-Altitude", "loc-Accuracy", "visited", "score", "meta-instanceID",
    "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
    "Status", "ReviewState", "DeviceID", "Edits", "FormVersion", "ValidationStatus",
    "ValidationMessages", "Conflict",
]


def read_zip(data: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {
            name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"),
                                                  newline="")))
            for name in archive.namelist()
        }


def export_zip(**options: Any) -> dict[str, list[dict[str, str]]]:
    plan = plan_export(versions(), **options)
    return read_zip(b"".join(csv_zip_stream(plan, iter([OLD, NEW]))))


def test_columns_are_the_union_of_all_versions_with_a_removed_field_after_its_old_neighbour():
    plan = plan_export(versions())

    assert plan.main.headers == MAIN_HEADERS
    assert [t.name for t in plan.tables] == ["consult", "consult-rep", "consult-inner"]
    assert plan.table("consult-rep").headers == ["q", "PARENT_KEY", "KEY"]
    assert plan.table("consult-inner").headers == ["t", "PARENT_KEY", "KEY"]


def test_centrals_layout_leaves_removed_fields_out_unless_deleted_fields_is_asked_for():
    central = plan_export(versions(), union_versions=False)
    with_deleted = plan_export(versions(), union_versions=False, deleted_fields=True)

    assert "phone" not in central.main.headers
    assert central.main.headers.index("ReviewState") < central.main.headers.index("FormVersion")
    assert with_deleted.main.headers == MAIN_HEADERS


def test_every_value_lands_in_its_column_of_the_right_file():
    files = export_zip()

    assert sorted(files) == ["consult-inner.csv", "consult-rep.csv", "consult.csv"]
    old, new = files["consult.csv"]
    assert old["SubmissionDate"] == "2026-03-08T09:30:15.250Z"
    assert (old["age"], old["grp-name"], old["phone"], old["colors"]) == (
        "34", "Айгүл", "'+996555123456", "red green")
    assert (old["loc-Latitude"], old["loc-Longitude"], old["loc-Altitude"]) == (
        "40.5283", "72.7985", "1020.0")
    assert (old["visited"], old["score"], old["district"]) == ("2026-03-01", "7.5", "")
    assert (old["KEY"], old["meta-instanceID"], old["SubmitterID"]) == ("uuid:old",) * 2 + ("5",)
    assert (old["ReviewState"], old["Edits"], old["FormVersion"], old["Conflict"]) == (
        "approved", "1", "1", "0")
    assert (new["age"], new["phone"], new["district"], new["loc-Latitude"]) == (
        "-3", "", "nookat", "")
    assert new["ValidationMessages"] == "age must be positive; name is odd"
    assert (new["DeviceID"], new["Conflict"], new["AttachmentsPresent"]) == (
        "collect:abc", "1", "0")


def test_repeat_rows_carry_centrals_keys_down_to_nested_repeats():
    files = export_zip()

    assert files["consult-rep.csv"] == [
        {"q": "1", "PARENT_KEY": "uuid:old", "KEY": "uuid:old/rep[1]"},
        {"q": "2", "PARENT_KEY": "uuid:old", "KEY": "uuid:old/rep[2]"},
        {"q": "3", "PARENT_KEY": "uuid:new", "KEY": "uuid:new/rep[1]"},
    ]
    assert files["consult-inner.csv"] == [
        {"t": "a", "PARENT_KEY": "uuid:old/rep[1]", "KEY": "uuid:old/rep[1]/inner[1]"},
        {"t": "b", "PARENT_KEY": "uuid:old/rep[2]", "KEY": "uuid:old/rep[2]/inner[1]"},
        {"t": "c", "PARENT_KEY": "uuid:old/rep[2]", "KEY": "uuid:old/rep[2]/inner[2]"},
    ]


def test_a_repeat_inside_a_group_is_keyed_through_the_group_like_central():
    md = """
| survey |
| | type | name | label |
| | text | name | Name |
| | begin group | children | Children |
| | begin repeat | child | Child |
| | text | name | Child's name |
| | end repeat | | |
| | end group | | |
"""
    schema = convert_definition(md.encode(), "family.md").schema
    plan = plan_export([schema])
    rows = rows_for_submission(plan, submission("two", {
        "/data/name": "Bob",
        "/data/children/child": [{"/data/children/child/name": "Billy"},
                                 {"/data/children/child/name": "Blaine"}],
    }))

    assert rows["family-child"] == [["Billy", "two", "two/children/child[1]"],
                                    ["Blaine", "two", "two/children/child[2]"]]


def test_split_select_multiples_keeps_a_column_for_a_choice_a_later_version_removed():
    files = export_zip(split_select_multiples=True)
    old, new = files["consult.csv"]
    header = list(old)

    assert header[header.index("colors"):header.index("district")] == [
        "colors", "colors/red", "colors/blue", "colors/green"]
    assert (old["colors/red"], old["colors/blue"], old["colors/green"]) == ("1", "0", "1")
    assert (new["colors/red"], new["colors/blue"], new["colors/green"]) == ("0", "1", "0")


def test_without_group_paths_headers_are_bare_field_names():
    plan = plan_export(versions(), group_paths=False)

    assert plan.main.headers[1:4] == ["age", "name", "phone"]


def test_column_labels_follow_the_chosen_language_and_fall_back_to_the_default_then_any():
    plan = plan_export(versions(), split_select_multiples=True)
    columns = {c.header: c for c in plan.main.columns}

    assert [columns["age"].label(lang) for lang in ("ky", "ru", "en")] == [
        "Жашы", "Возраст", "Age"]
    # "loc" is labelled in English only; the form's default language (ru) has nothing.
    assert columns["loc-Latitude"].label("ky") == "Location (Latitude)"
    # "blue" has no Kyrgyz label, so the default language's label stands in.
    assert columns["colors/blue"].label("ky") == "Түстөр: синий"
    assert columns["colors/green"].label("en") == "Colors: Green"
    assert columns["KEY"].label("ky") == "KEY"
    assert columns["age"].label("fr") == "Возраст"


def test_a_field_without_any_label_is_headed_by_its_column_name():
    plan = plan_export(versions())
    labels = dict(zip(plan.main.headers, plan.main.labels("ky"), strict=True))

    assert labels["meta-instanceID"] == "meta-instanceID"
    assert plan.table("consult-inner").labels("ky") == ["Thing", "PARENT_KEY", "KEY"]


@pytest.mark.parametrize(
    ("lang", "colors", "district"),
    # "blue" has no Kyrgyz label: the form's default language (ru) stands in.
    [("ky", "синий", "Ноокат"), ("ru", "синий", "Ноокат"), ("en", "Blue", "Nookat"),
     ("de", "синий", "Ноокат")],
)
def test_choice_labels_replace_codes_in_the_chosen_language(lang, colors, district):
    plan = plan_export(versions(), lang=lang, labels=True)
    row = dict(zip(plan.main.headers, rows_for_submission(plan, NEW)["consult"][0], strict=True))

    assert row["district"] == district
    assert row["colors"] == colors


def test_several_chosen_labels_are_joined_with_a_semicolon_even_for_a_removed_choice():
    plan = plan_export(versions(), lang="en", labels=True)
    row = dict(zip(plan.main.headers, rows_for_submission(plan, OLD)["consult"][0], strict=True))

    assert row["colors"] == "Red; Green"


def test_xlsx_has_the_same_sheets_and_values_as_the_csv_files():
    plan = plan_export(versions(), lang="ky")
    files = read_zip(b"".join(csv_zip_stream(plan, iter([OLD, NEW]))))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_stream(plan, iter([OLD, NEW])))))

    assert workbook.sheetnames == ["consult", "rep", "inner"]
    for sheet, name in zip(workbook.worksheets, ["consult", "consult-rep", "consult-inner"],
                           strict=True):
        rows = list(sheet.iter_rows(values_only=True))
        table = plan.table(name)
        assert list(rows[0]) == table.labels("ky")
        assert list(rows[1]) == table.headers
        csv_rows = files[f"{name}.csv"]
        assert len(rows) - 2 == len(csv_rows)
        for xlsx_row, csv_row in zip(rows[2:], csv_rows, strict=True):
            assert [same(value, text) for value, text in zip(xlsx_row, csv_row.values(),
                                                             strict=True)] == [True] * len(csv_row)


def test_xlsx_cells_are_typed_numbers_and_dates():
    plan = plan_export(versions())
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_stream(plan, [OLD, NEW]))))
    old = dict(zip(plan.main.headers, next(workbook["consult"].iter_rows(
        min_row=3, values_only=True)), strict=True))

    assert old["age"] == 34 and old["score"] == 7.5 and old["loc-Longitude"] == 72.7985
    assert old["visited"] == datetime(2026, 3, 1)
    assert old["SubmissionDate"] == datetime(2026, 3, 8, 9, 30, 15, 250000)
    assert workbook["consult"].cell(3, 2).number_format == "General"


def test_an_xlsx_export_that_fails_midway_leaves_no_temporary_files_behind():
    plan = plan_export(versions())

    def failing() -> Iterator[SubmissionRow]:
        yield OLD
        raise ConnectionError("database went away")

    before = set(openpyxl_temp_files)
    with pytest.raises(ConnectionError):
        b"".join(xlsx_stream(plan, failing()))
    assert set(openpyxl_temp_files) == before
    b"".join(xlsx_stream(plan, [OLD, NEW]))
    assert set(openpyxl_temp_files) == before


def test_formula_like_text_is_neutralised_in_csv_and_xlsx_but_negative_numbers_are_not():
    plan = plan_export(versions())
    csv_new = read_zip(b"".join(csv_zip_stream(plan, [NEW])))["consult.csv"][0]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_stream(plan, [NEW]))))["consult"]
    xlsx_new = dict(zip(plan.main.headers, next(sheet.iter_rows(min_row=3, values_only=True)),
                        strict=True))

    assert csv_new["grp-name"] == "'=HYPERLINK(\"http://evil\")"
    assert xlsx_new["grp-name"] == "'=HYPERLINK(\"http://evil\")"
    assert sheet.cell(3, plan.main.headers.index("grp-name") + 1).data_type == "s"
    assert (csv_new["age"], xlsx_new["age"]) == ("-3", -3)


def test_the_main_table_alone_streams_as_csv_with_a_header_even_without_submissions():
    plan = plan_export(versions())

    assert b"".join(csv_stream(plan, [])).decode() == ",".join(MAIN_HEADERS) + "\n"
    text = b"".join(csv_stream(plan, [OLD])).decode()
    assert not text.startswith("\ufeff")
    assert text.splitlines()[1].startswith("2026-03-08T09:30:15.250Z,34,Айгүл,")


def test_an_empty_export_zip_still_has_every_file_with_its_header():
    plan = plan_export(versions())
    with zipfile.ZipFile(io.BytesIO(b"".join(csv_zip_stream(plan, [])))) as archive:
        assert archive.read("consult-inner.csv") == b"t,PARENT_KEY,KEY\n"


def test_geojson_is_a_feature_collection_of_answered_geopoints_in_lon_lat_order():
    plan = plan_export(versions())
    collection = json.loads(b"".join(geojson_stream(plan, [OLD, NEW])))

    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]  # the new submission has no location
    assert feature["type"] == "Feature" and feature["id"] == "uuid:old"
    assert feature["geometry"] == {"type": "Point", "coordinates": [72.7985, 40.5283, 1020.0]}
    properties = feature["properties"]
    assert properties["grp-name"] == "Айгүл" and properties["age"] == 34
    assert properties["loc-Accuracy"] == 5.0 and "loc-Latitude" not in properties
    assert properties["visited"] == "2026-03-01" and properties["geopoint"] == "loc"


def test_geojson_of_an_unknown_geopoint_is_refused():
    with pytest.raises(ValueError):
        list(geojson_stream(plan_export(versions()), [], geopoint_path="/data/nowhere"))


def same(value: Any, text: str) -> bool:
    """Whether an XLSX cell holds what the CSV shows (Excel keeps 1020.0 as 1020)."""
    if isinstance(value, int | float):
        return float(text) == value
    if value is None:
        return text == ""
    return as_csv(value) == text


def as_csv(value: Any) -> str:
    """A date or text XLSX cell as Central's CSV writes it."""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def test_two_repeats_with_one_name_get_numbered_files_like_central():
    # pyxform refuses this, but an uploaded XForm may do it.
    def person(group: str) -> Field:
        repeat = Field(f"/data/{group}/person", "person", "repeat",
                       children=(Field(f"/data/{group}/person/name", "name", "text"),))
        return Field(f"/data/{group}", group, "group", children=(repeat,))

    schema = FormSchema("people", None, "People", "data", (), "en",
                        (person("home"), person("work")))
    plan = plan_export([schema])
    names = read_zip(b"".join(csv_zip_stream(plan, [], form_id="people")))

    assert sorted(names) == ["people-person~1.csv", "people-person~2.csv", "people.csv"]


def test_values_seen_in_the_data_but_declared_by_no_version_get_split_columns_too():
    plan = plan_export(versions(), union_versions=False, split_select_multiples=True,
                       observed_choices={"/data/colors": ["red", "purple"]})

    headers = plan.main.headers
    assert headers[headers.index("colors"):headers.index("district")] == [
        "colors", "colors/red", "colors/blue", "colors/purple"]


def test_a_select_multiple_answer_sent_as_a_bare_value_still_fills_its_split_columns():
    # A JSON sync client may send one choice as a bare string or even a number.
    plan = plan_export(versions(), split_select_multiples=True)
    header = plan.main.headers
    bare = rows_for_submission(plan, submission("bare", {"/data/colors": "red"}))["consult"][0]
    number = rows_for_submission(plan, submission("number", {"/data/colors": 7}))["consult"][0]

    assert bare[header.index("colors/red")] == 1
    assert number[header.index("colors/red")] == 0
