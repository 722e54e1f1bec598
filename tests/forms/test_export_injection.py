"""Spreadsheet formula injection: text is neutralised in CSV and XLSX, numbers never are."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.export import SubmissionRow, neutralise, plan_export, rows_for_submission, xlsx_stream
from forms.export.cells import FORMULA_TRIGGERS, float_text
from forms.export.csv_writer import csv_stream, write_csv_rows
from forms.schema import Field, FormSchema

TRIGGERS = sorted(FORMULA_TRIGGERS)
texts = st.one_of(
    st.text(),
    st.builds(lambda t, rest: t + rest, st.sampled_from(TRIGGERS), st.text()),
)
# XML cannot carry C0 control characters (XLSX strips them) and normalises a bare CR.
xml_texts = texts.map(  # XML 1.0's Char production, which an XLSX cell can hold
    lambda t: "".join(
        c for c in t
        if (c >= " " or c in "\t\n") and not "\ud800" <= c <= "\udfff" and c not in "\ufffe\uffff"
    )
)


def make_form(**overrides: object) -> FormSchema:
    """A one-version form with a text, an integer and a decimal question."""
    values: dict[str, object] = {
        "form_id": "inj", "version": "1", "title": "Injection", "root_name": "data",
        "languages": ("en",), "default_language": "en",
        "children": (
            Field("/data/note", "note", "text", labels={"en": "Note"}),
            Field("/data/count", "count", "integer", data_type="int"),
            Field("/data/amount", "amount", "decimal", data_type="decimal"),
        ),
    }
    values.update(overrides)
    return FormSchema(**values)  # type: ignore[arg-type]


def make_submission(**data: object) -> SubmissionRow:
    return SubmissionRow("uuid:1", datetime(2026, 1, 1, tzinfo=UTC),
                         {f"/data/{k}": v for k, v in data.items()})


@given(texts)
def test_neutralised_text_never_starts_with_a_formula_trigger(text):
    safe = neutralise(text)

    assert safe in (text, "'" + text)
    assert not safe or safe[0] not in FORMULA_TRIGGERS
    assert (safe != text) == (bool(text) and text[0] in FORMULA_TRIGGERS)


@given(texts, st.integers(), st.floats(allow_nan=False, allow_infinity=False))
@settings(max_examples=200)
def test_csv_reads_back_neutralised_text_and_untouched_numbers(text, integer, decimal):
    data = b"".join(write_csv_rows([[text, integer, decimal]])).decode("utf-8")

    [row] = list(csv.reader(io.StringIO(data, newline="")))
    assert row == [neutralise(text), str(integer), float_text(decimal)]
    assert float(row[2]) == decimal


@given(st.integers(min_value=-(10**9), max_value=-1), st.floats(max_value=-1e-6, min_value=-1e9))
@settings(max_examples=50)
def test_negative_numbers_from_number_questions_are_never_escaped(count, amount):
    plan = plan_export([make_form()])
    text = b"".join(csv_stream(plan, [make_submission(count=count, amount=amount,
                                                       note=str(count))])).decode()
    row = dict(zip(plan.main.headers, list(csv.reader(io.StringIO(text)))[1], strict=True))

    assert row["count"] == str(count)
    assert float(row["amount"]) == amount
    # The same digits typed into a text question are text, and text is escaped.
    assert row["note"] == "'" + str(count)


def test_a_zero_answer_is_zero_and_an_empty_text_answer_is_empty():
    plan = plan_export([make_form()])
    [row] = rows_for_submission(plan, make_submission(note="", count=0, amount=0.0))["inj"]

    assert row[1:4] == [None, 0, 0.0]


def test_numbers_sent_as_text_for_a_number_question_become_numbers():
    plan = plan_export([make_form()])
    [row] = rows_for_submission(plan, make_submission(count="-7", amount="-0.5"))["inj"]

    assert row[2:4] == [-7, -0.5]


@given(st.lists(xml_texts, min_size=1, max_size=8))
@settings(max_examples=25, deadline=None)
def test_xlsx_holds_neutralised_text_as_text_cells(notes):
    plan = plan_export([make_form()])
    submissions = [make_submission(note=note, count=-1) for note in notes]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_stream(plan, submissions))))["inj"]

    cells = [row[1] for row in sheet.iter_rows(min_row=3)]
    assert [c.value for c in cells] == [neutralise(n) or None for n in notes]
    assert all(c.data_type in ("s", "n") for c in cells)  # never "f", a formula
    assert [row[2].value for row in sheet.iter_rows(min_row=3)] == [-1] * len(notes)


def test_xlsx_drops_characters_xml_cannot_hold_instead_of_failing() -> None:
    plan = plan_export([make_form()])
    notes = ["a\ufffeb", "c\x01d\uffff", "e\ud800f"]
    submissions = [make_submission(note=note, count=1) for note in notes]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_stream(plan, submissions))))["inj"]
    assert [row[1].value for row in sheet.iter_rows(min_row=3)] == ["ab", "cd", "ef"]
