"""What coordinators download: each value in the right column of the right file, in every format."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import openpyxl

from tests.exports.conftest import World, by_key, read_zip
from tests.odk.conftest import OPENROSA, Setup, instance_xml

MAIN = "consult.csv"


def test_the_zip_has_one_csv_per_table_with_columns_from_every_version(world: World) -> None:
    response = world.export("submissions.csv.zip", attachments="false")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="consult.csv.zip"' in response.headers["content-disposition"]
    files = read_zip(response.content)
    assert list(files) == ["consult.csv", "consult-rep.csv", "consult-inner.csv"]
    main = by_key(files[MAIN])
    # The phone question left in version 2 keeps its column; the district came in version 3.
    assert main["uuid:old"]["phone"] == "'+996555123456"  # neutralised: starts with +
    assert main["uuid:middle"]["phone"] == "" and main["uuid:new"]["phone"] == ""
    assert main["uuid:new"]["district"] == "nookat" and main["uuid:old"]["district"] == ""
    assert main["uuid:old"]["colors"] == "red green"  # green left the choices in version 3
    assert main["uuid:old"]["grp-name"] == "Айгүл"
    assert main["uuid:old"]["loc-Latitude"] == "40.5283"
    assert main["uuid:old"]["loc-Longitude"] == "72.7985"
    assert main["uuid:old"]["score"] == "7.5" and main["uuid:old"]["visited"] == "2026-03-01"
    assert main["uuid:new"]["age"] == "-3"  # a negative number is not a formula
    assert [main[k]["FormVersion"] for k in ("uuid:old", "uuid:middle", "uuid:new")] == \
        ["1", "2", "3"]
    assert main["uuid:old"]["SubmitterName"] == "coordinator@example.kg"
    assert main["uuid:old"]["ValidationStatus"] == "valid"
    assert main["uuid:old"]["Conflict"] == "0"


def test_repeat_rows_are_linked_to_their_parents_by_key(world: World) -> None:
    files = read_zip(world.export("submissions.csv.zip", attachments="false").content)
    reps = by_key(files["consult-rep.csv"])
    assert {k: (r["q"], r["PARENT_KEY"]) for k, r in reps.items()} == {
        "uuid:old/rep[1]": ("1", "uuid:old"),
        "uuid:old/rep[2]": ("2", "uuid:old"),
        "uuid:new/rep[1]": ("3", "uuid:new"),
    }
    inner = by_key(files["consult-inner.csv"])
    assert {k: (r["t"], r["PARENT_KEY"]) for k, r in inner.items()} == {
        "uuid:old/rep[1]/inner[1]": ("a", "uuid:old/rep[1]"),
        "uuid:old/rep[2]/inner[1]": ("b", "uuid:old/rep[2]"),
        "uuid:old/rep[2]/inner[2]": ("c", "uuid:old/rep[2]"),
    }


def test_split_select_multiples_keep_a_column_for_a_removed_choice(world: World) -> None:
    files = read_zip(world.export("submissions.csv.zip", attachments="false",
                                  splitSelectMultiples="true").content)
    main = by_key(files[MAIN])
    assert [main["uuid:old"][f"colors/{c}"] for c in ("red", "blue", "green")] == ["1", "0", "1"]
    assert [main["uuid:new"][f"colors/{c}"] for c in ("red", "blue", "green")] == ["0", "1", "0"]


def test_group_paths_false_names_columns_by_field_name(world: World) -> None:
    files = read_zip(world.export("submissions.csv.zip", attachments="false",
                                  groupPaths="false").content)
    assert by_key(files[MAIN])["uuid:old"]["name"] == "Айгүл"
    assert "grp-name" not in files[MAIN][0]


def test_the_plain_csv_is_the_zips_main_table(world: World) -> None:
    response = world.export("submissions.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="consult.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    zipped = read_zip(world.export("submissions.csv.zip", attachments="false").content)[MAIN]
    assert rows == zipped
    assert rows[0]["KEY"] == "uuid:new"  # newest first, as Central exports


def test_the_xlsx_opens_and_holds_what_the_csv_holds(world: World) -> None:
    response = world.export("submissions.xlsx", lang="ky")
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["consult", "rep", "inner"]
    sheet = list(book["consult"].iter_rows(values_only=True))
    labels, names, data = sheet[0], sheet[1], sheet[2:]
    assert labels[names.index("age")] == "Жашы"
    assert labels[names.index("score")] == "Балл"  # no Kyrgyz label: the default language's
    csv_rows = by_key(read_zip(world.export("submissions.csv.zip",
                                            attachments="false").content)[MAIN])
    for row in data:
        cells = dict(zip(names, row, strict=True))
        expected = csv_rows[cells["KEY"]]
        for name in ("age", "grp-name", "phone", "colors", "district", "FormVersion"):
            assert _text(cells[name]) == expected[name], name
    old = dict(zip(names, next(r for r in data if r[names.index("KEY")] == "uuid:old"),
                   strict=True))
    assert old["age"] == 34 and old["score"] == 7.5  # typed numbers, not text
    middle = dict(zip(names, next(r for r in data if r[names.index("KEY")] == "uuid:middle"),
                      strict=True))
    assert middle["grp-name"] == "'=HYPERLINK(\"http://evil\")"


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell)


def test_labels_true_writes_choice_labels_in_the_chosen_language(world: World) -> None:
    book = openpyxl.load_workbook(io.BytesIO(
        world.export("submissions.xlsx", lang="en", labels="true").content), read_only=True)
    rows = list(book["consult"].iter_rows(values_only=True))
    names = rows[1]
    by_instance = {r[names.index("KEY")]: dict(zip(names, r, strict=True)) for r in rows[2:]}
    assert by_instance["uuid:old"]["colors"] == "Red; Green"
    assert by_instance["uuid:new"]["district"] == "Nookat"
    assert rows[0][names.index("colors")] == "Colors"


def test_the_geojson_is_a_feature_collection_of_answered_geopoints(world: World) -> None:
    response = world.export("submissions.geojson")
    assert response.headers["content-type"] == "application/geo+json"
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == {"uuid:old", "uuid:middle"}  # the newest has no location
    old = features["uuid:old"]
    assert old["type"] == "Feature"
    assert old["geometry"] == {"type": "Point", "coordinates": [72.7985, 40.5283, 1020.0]}
    assert old["properties"]["grp-name"] == "Айгүл" and old["properties"]["age"] == 34


def test_an_unknown_geopoint_is_a_bad_request(world: World) -> None:
    response = world.export("submissions.geojson", geopoint="nowhere")
    assert response.status_code == 400
    assert response.json()["code"] == "export.option_invalid"


def test_the_full_zip_carries_the_submissions_files_under_media(client: Any, odk: Setup) -> None:
    xml = instance_xml(photo="door.jpg", instance_id="uuid:with-photo")
    parts = [("xml_submission_file", ("submission.xml", xml, "text/xml")),
             ("door.jpg", ("door.jpg", b"\xff\xd8 a door", "image/jpeg"))]
    sent = client.post(f"/v1/projects/{odk.project_id}/submission", files=parts,
                       headers={**OPENROSA, **odk.manager})
    assert sent.status_code == 201, sent.text
    response = client.get(f"/v1/projects/{odk.project_id}/forms/open_day/submissions.csv.zip",
                          headers=odk.manager)
    assert response.status_code == 200
    assert 'filename="open_day.zip"' in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == ["media/door.jpg", "open_day-rec.csv", "open_day.csv"]
        assert archive.read("media/door.jpg") == b"\xff\xd8 a door"
        main = list(csv.DictReader(io.StringIO(archive.read("open_day.csv").decode())))
    assert main[0]["photo"] == "door.jpg" and main[0]["AttachmentsPresent"] == "1"
