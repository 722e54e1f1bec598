"""XLSX cells of date-time and time answers are typed, read back with openpyxl."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, time
from typing import Any

import openpyxl

from forms.convert import convert_definition
from forms.export import SubmissionRow, csv_stream, geojson_stream, plan_export, xlsx_stream
from forms.schema import FormSchema

MD = b"""
| survey |
| | type | name | label |
| | start | started | |
| | dateTime | met_at | Meeting began |
| | time | opens | Office opens |
| | geopoint | loc | Location |
| | begin repeat | visit | Visit |
| | dateTime | at | Visited at |
| | end repeat | | |

| settings |
| | form_id | version |
| | times | 1 |
"""


def schema() -> FormSchema:
    return convert_definition(MD, "times.md").schema


ANSWERS = {
    "/data/started": "2026-03-01T09:55:12.345+06:00",
    "/data/met_at": "2026-03-01T10:15:00.000+06:00",  # 04:15 UTC
    "/data/opens": "08:30:00.000+06:00",
    "/data/loc": [40.5, 72.8, 900.0, 5.0],
    "/data/visit": [{"/data/visit/at": "2026-03-02T23:30:00.000-01:00"}],  # 00:30 UTC next day
}
ROW = SubmissionRow(instance_id="uuid:t", data=ANSWERS,
                    submission_date=datetime(2026, 3, 8, 9, 30, tzinfo=UTC))


def _sheets(rows: list[SubmissionRow]) -> dict[str, list[dict[str, Any]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_stream(plan_export([schema()]),
                                                                       rows))))
    tables = {}
    for sheet in workbook.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        tables[sheet.title] = [dict(zip(values[1], row, strict=True)) for row in values[2:]]
    return tables


def test_date_time_answers_are_date_time_cells_in_utc() -> None:
    sheets = _sheets([ROW])
    main, visit = sheets["times"][0], sheets["visit"][0]

    assert main["met_at"] == datetime(2026, 3, 1, 4, 15)
    assert main["started"] == datetime(2026, 3, 1, 3, 55, 12, 345000)
    assert visit["at"] == datetime(2026, 3, 3, 0, 30)
    assert main["SubmissionDate"] == datetime(2026, 3, 8, 9, 30)  # the same zone


def test_time_answers_are_time_cells_as_the_clock_showed() -> None:
    assert _sheets([ROW])["times"][0]["opens"] == time(8, 30)


def test_cells_carry_a_date_time_or_time_number_format() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_stream(plan_export([schema()]),
                                                                       [ROW]))))
    sheet = workbook["times"]
    headers = [cell.value for cell in sheet[2]]
    met_at = sheet.cell(3, headers.index("met_at") + 1)
    opens = sheet.cell(3, headers.index("opens") + 1)

    assert met_at.is_date and "h" in met_at.number_format and "d" in met_at.number_format
    assert opens.is_date and opens.number_format.startswith("h")


def test_answers_that_are_no_date_time_stay_text_and_blanks_stay_blank() -> None:
    odd = SubmissionRow(instance_id="uuid:odd", submission_date=ROW.submission_date, data={
        "/data/met_at": "yesterday at noon", "/data/opens": "=1+1", "/data/started": ""})
    main = _sheets([odd])["times"][0]

    assert main["met_at"] == "yesterday at noon"
    assert main["opens"] == "'=1+1"  # still neutralised
    assert main["started"] is None


def test_csv_and_geojson_keep_the_answers_as_sent() -> None:
    plan = plan_export([schema()])
    text = b"".join(csv_stream(plan, [ROW])).decode()
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    feature = json.loads(b"".join(geojson_stream(plan, [ROW])))["features"][0]

    assert row["met_at"] == "2026-03-01T10:15:00.000+06:00"
    assert row["opens"] == "08:30:00.000+06:00"
    assert feature["properties"]["met_at"] == "2026-03-01T10:15:00.000+06:00"
