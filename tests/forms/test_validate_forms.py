"""Validation of submissions to real XLSForms: inline markdown forms and Kenesh's example forms."""

# ruff: noqa: E501  (markdown XLSForm tables are read as tables, not wrapped)

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from forms.convert import convert_definition
from forms.schema import Field, FormSchema
from forms.validate import validate_submission

EXAMPLES = Path(__file__).parents[2] / "forms" / "examples"
NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)

MEETING = """
| survey   |
|          | type                    | name      | label::English (en) | label::Russian (ru) | required | relevant            | constraint                         | constraint_message::English (en) | constraint_message::Russian (ru) | constraint_message::Kyrgyz (ky) |
|          | date                    | held_on   | Held on             | Дата                | yes      |                     | . <= today()                       | Not in the future                | Не в будущем                     | Келечекте эмес                  |
|          | integer                 | total     | Total               | Всего               | yes      |                     | . >= 0                             |                                  |                                  |                                 |
|          | integer                 | women     | Women               | Женщин              | yes      |                     | . <= ${total}                      | At most the total                | Не больше общего числа           | Жалпы сандан ашпайт             |
|          | select_multiple topic   | topics    | Topics              | Темы                | yes      | ${total} > 0        | count-selected(.) <= 2             | Two topics at most               | Не более двух тем                | Эң көп эки тема                 |
|          | begin_repeat            | rec       | Recommendation      | Рекомендация        |          |                     |                                    |                                  |                                  |                                 |
|          | text                    | text      | Text                | Текст               | yes      |                     | string-length(.) >= 5              | Too short                        | Слишком коротко                  | Өтө кыска                       |
|          | select_one addressee    | to        | To                  | Кому                | yes      |                     |                                    |                                  |                                  |                                 |
|          | text                    | to_other  | Other               | Другой              | yes      | ${to} = 'other'     |                                    |                                  |                                  |                                 |
|          | end_repeat              |           |                     |                     |          |                     |                                    |                                  |                                  |                                 |
| choices  |
|          | list_name | name     | label::English (en) | label::Russian (ru) |
|          | topic     | border   | Border              | Граница             |
|          | topic     | water    | Water               | Вода                |
|          | topic     | schools  | Schools             | Школы               |
|          | addressee | lsg      | Local government    | Айыл окмоту         |
|          | addressee | other    | Other               | Другое              |
| settings |
|          | form_id | version | default_language |
|          | meeting | 1       | English (en)     |
"""


@pytest.fixture(scope="module")
def meeting() -> FormSchema:
    return convert_definition(MEETING.encode(), "meeting.md").schema


def issues(schema: FormSchema, doc: dict[str, Any], lang: str = "en") -> list[tuple[str, str, str]]:
    result = validate_submission(schema, doc, lang=lang, now=NOW)
    assert result.not_checked == ()
    return [(i.path, i.code, i.message) for i in result.issues]


def test_a_good_meeting_report_converted_from_markdown_is_valid(meeting: FormSchema) -> None:
    doc = {
        "/data/held_on": "2024-04-30",
        "/data/total": 12,
        "/data/women": 7,
        "/data/topics": ["border", "water"],
        "/data/rec": [{"/data/rec/text": "Fix the canal", "/data/rec/to": "lsg"}],
        "/data/meta/instanceID": "uuid:6b1f0c1e-4c1e-4f7e-9a51-0d7b2f0a9c11",
    }
    assert issues(meeting, doc) == []


def test_each_broken_rule_of_a_converted_form_is_reported_in_russian(meeting: FormSchema) -> None:
    doc = {
        "/data/held_on": "2024-05-02",
        "/data/total": 3,
        "/data/women": 4,
        "/data/topics": ["border", "water", "schools"],
        "/data/rec": [
            {"/data/rec/text": "Fix the canal", "/data/rec/to": "lsg"},
            {"/data/rec/text": "Ok", "/data/rec/to": "other"},
        ],
    }
    assert issues(meeting, doc, lang="ru") == [
        ("/data/held_on", "constraint", "Не в будущем"),
        ("/data/women", "constraint", "Не больше общего числа"),
        ("/data/topics", "constraint", "Не более двух тем"),
        ("/data/rec[2]/text", "constraint", "Слишком коротко"),
        ("/data/rec[2]/to_other", "required", "Это поле обязательно."),
    ]


def test_relevance_from_a_converted_form_hides_a_required_question(meeting: FormSchema) -> None:
    doc = {"/data/held_on": "2024-04-30", "/data/total": 0, "/data/women": 0}
    assert issues(meeting, doc, lang="ky") == []


def test_the_open_day_consultation_filled_in_properly_is_valid_in_every_language() -> None:
    schema = _example("open_day_consultation")
    counts = [3, 2, 5, 4, 6, 5, 2, 1]
    doc: dict[str, Any] = {
        "/data/consultation_date": "2024-04-20",
        "/data/location/oblast": "batken",
        "/data/location/rayon": "batken_rayon",
        "/data/location/ayil_aimak": "ak_say",
        "/data/location/gps": [40.06, 70.82, 1020.0, 4.5],
        "/data/organiser": "ngo",
        "/data/participants/counted_total": str(sum(counts)),
        "/data/participants/participants_total": sum(counts),
        "/data/participants/participants_with_disabilities": 2,
        "/data/topics": ["radicalisation", "inter_ethnic"],
        "/data/recommendation": [
            {"/data/recommendation/text": "Youth centre", "/data/recommendation/addressee": "lsg"}
        ],
        "/data/photo_1": "1714550400000.jpg",
        "/data/meta/instanceID": "uuid:0f5e3d4c-2b1a-4c9d-8e7f-6a5b4c3d2e1f",
    }
    bands = ["girls_14_17", "boys_14_17", "women_18_29", "men_18_29"]
    bands += ["women_30_59", "men_30_59", "women_60_plus", "men_60_plus"]
    for band, count in zip(bands, counts, strict=True):
        doc[f"/data/participants/{band}"] = count
    for lang in ("ky", "ru", "en"):
        assert issues(schema, doc, lang=lang) == []
    doc["/data/participants/participants_total"] = sum(counts) + 1
    [(path, code, message)] = issues(schema, doc, lang="ky")
    assert (path, code) == ("/data/participants/participants_total", "constraint")
    assert message and message == _constraint_message(schema, path, "ky")


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.xlsx")))
def test_every_expression_of_every_example_form_can_be_evaluated(name: str) -> None:
    schema = _example(name)
    result = validate_submission(schema, _filled(schema.children), now=NOW)
    assert result.not_checked == ()
    assert not [i for i in result.issues if i.code in ("unknown_field", "type_error")]


def _example(name: str) -> FormSchema:
    path = EXAMPLES / f"{name}.xlsx"
    return convert_definition(path.read_bytes(), path.name).schema


def _constraint_message(schema: FormSchema, path: str, lang: str) -> str:
    field = schema.field_by_path(path)
    assert field is not None
    return field.constraint_messages[lang]


SAMPLES = {
    "int": 1,
    "decimal": 1.5,
    "date": "2024-04-01",
    "dateTime": "2024-04-01T10:00:00.000+06:00",
    "time": "10:00:00.000+06:00",
    "geopoint": [40.5, 72.8, 900.0, 5.0],
    "geotrace": [[40.5, 72.8], [40.6, 72.9]],
    "geoshape": [[40.5, 72.8], [40.6, 72.9], [40.5, 72.9], [40.5, 72.8]],
}


def _filled(fields: tuple[Field, ...]) -> dict[str, Any]:
    """Some well-typed answer for every question: enough to evaluate every expression."""
    doc: dict[str, Any] = {}
    for field in fields:
        if field.is_repeat:
            doc[field.path] = [_filled(field.children), _filled(field.children)]
        elif field.is_group:
            doc |= _filled(field.children)
        elif field.choices:
            first = field.choices[0].name
            doc[field.path] = [first] if field.is_select_multiple else first
        else:
            doc[field.path] = SAMPLES.get(field.data_type, "x")
    return doc
