"""Validating submissions against their form schema: what a reviewer sees for each problem."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from forms.schema import Choice, Field, FormSchema
from forms.validate import Issue, ValidationResult, validate_submission

DATA_TYPES = {"integer": "int", "text": "string", "select one": "string"}


def make_field(path: str, type: str = "text", **overrides: Any) -> Field:
    """A question (or group/repeat with `children=`) at an absolute path."""
    data_type = "" if type in ("group", "repeat") else DATA_TYPES.get(type, type)
    values: dict[str, Any] = {"data_type": data_type} | overrides
    return Field(path=path, name=path.rsplit("/", 1)[1], type=type, **values)


def make_choices(*names: str) -> tuple[Choice, ...]:
    return tuple(Choice(name, {"en": name.title(), "ru": name.upper()}) for name in names)


def make_schema(*fields: Field, default_language: str = "en") -> FormSchema:
    return FormSchema(
        form_id="open_day",
        version="1",
        title="Open day",
        root_name="data",
        languages=("ky", "ru", "en"),
        default_language=default_language,
        children=fields,
    )


def codes(result: ValidationResult) -> list[tuple[str, str]]:
    return [(issue.path, issue.code) for issue in result.issues]


AGE = make_field(
    "/data/age",
    "integer",
    required="true()",
    constraint=". >= 0 and . < 120",
    constraint_messages={
        "en": "Age must be 0 to 119",
        "ru": "Возраст от 0 до 119",
        "ky": "Жашы 0дөн 119га чейин",
    },
)
TOPIC = make_field("/data/topic", "select one", choices=make_choices("border", "water"))
TOPICS = make_field("/data/topics", "select all that apply", choices=make_choices("rve", "border"))
SCHEMA = make_schema(AGE, TOPIC, TOPICS)


def test_a_complete_valid_submission_has_no_issues() -> None:
    result = validate_submission(
        SCHEMA, {"/data/age": 34, "/data/topic": "water", "/data/topics": ["rve", "border"]}
    )
    assert result == ValidationResult(valid=True, issues=(), not_checked=())


def test_a_field_the_form_does_not_have_is_reported_but_openrosa_meta_is_accepted() -> None:
    doc = {
        "/data/age": 3,
        "/data/nickname": "x",
        "/data/meta/instanceID": "uuid:1",
        "/data/meta/instanceName": "Osh open day",
        "/data/meta/entity": None,
        "/data/@version": "1",
        "/data/meta/entity/@dataset": "households",
    }
    result = validate_submission(SCHEMA, doc)
    assert codes(result) == [("/data/nickname", "unknown_field")]
    assert result.issues[0].message == "This field is not part of the form."


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        (make_field("/data/q", "integer"), 12, "12a"),
        (make_field("/data/q", "integer"), -3, 2.5),
        (make_field("/data/q", "decimal"), 2.5, "2,5"),
        (make_field("/data/q", "date"), "2024-02-29", "2023-02-29"),
        (make_field("/data/q", "dateTime"), "2024-05-01T10:00:00.000+06:00", "yesterday"),
        (make_field("/data/q", "time"), "10:15:00.000+06:00", "25:00"),
        (make_field("/data/q", "geopoint"), [40.5, 72.8, 900.0, 5.0], [95.0, 72.8]),
        (make_field("/data/q", "geotrace"), [[40.5, 72.8], [40.6, 72.9]], [[40.5]]),
        (make_field("/data/q", "select all that apply", choices=make_choices("a")), ["a"], "a"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_type_error(field: Field, good: Any, bad: Any) -> None:
    schema = make_schema(field)
    assert validate_submission(schema, {"/data/q": good}).valid
    assert codes(validate_submission(schema, {"/data/q": bad})) == [("/data/q", "type_error")]


def test_type_error_messages_say_what_was_expected_in_the_requested_language() -> None:
    doc = {"/data/age": "thirty"}
    assert validate_submission(SCHEMA, doc).issues[0].message == (
        "Invalid value: expected a whole number."
    )
    assert "целое число" in validate_submission(SCHEMA, doc, lang="ru").issues[0].message
    assert "бүтүн сан" in validate_submission(SCHEMA, doc, lang="ky").issues[0].message


def test_choices_outside_the_list_are_reported_one_by_one() -> None:
    doc = {"/data/age": 1, "/data/topic": "fire", "/data/topics": ["rve", "floods", "x"]}
    result = validate_submission(SCHEMA, doc)
    assert (
        codes(result)
        == [("/data/topic", "not_in_choices")] + [("/data/topics", "not_in_choices")] * 2
    )
    assert result.issues[0].message == "“fire” is not one of the choices."


def test_choices_from_a_file_are_not_checked_because_the_form_does_not_hold_them() -> None:
    village = make_field("/data/village", "select one", itemset_file="villages.csv")
    assert validate_submission(make_schema(village), {"/data/village": "kara-suu"}).valid


def test_a_missing_required_answer_is_reported_and_a_given_one_passes() -> None:
    assert codes(validate_submission(SCHEMA, {})) == [("/data/age", "required")]
    assert codes(validate_submission(SCHEMA, {"/data/age": None})) == [("/data/age", "required")]
    assert validate_submission(SCHEMA, {"/data/age": 0}).valid


def test_required_can_be_an_expression() -> None:
    reason = make_field("/data/reason", required="/data/age > 60")
    schema = make_schema(make_field("/data/age", "integer"), reason)
    assert validate_submission(schema, {"/data/age": 30}).valid
    assert codes(validate_submission(schema, {"/data/age": 70})) == [("/data/reason", "required")]


def test_a_non_relevant_field_is_not_required_and_its_value_is_not_checked() -> None:
    schema = make_schema(
        make_field("/data/consent", "select one", choices=make_choices("yes", "no")),
        make_field("/data/age", "integer", required="true()", relevant="/data/consent = 'yes'"),
    )
    assert validate_submission(schema, {"/data/consent": "no"}).valid
    assert validate_submission(schema, {"/data/consent": "no", "/data/age": "old"}).valid
    assert codes(validate_submission(schema, {"/data/consent": "yes"})) == [
        ("/data/age", "required")
    ]


def test_a_non_relevant_group_hides_the_required_questions_inside_it() -> None:
    group = make_field(
        "/data/women",
        "group",
        relevant="/data/total > 0",
        children=(make_field("/data/women/count", "integer", required="true()"),),
    )
    schema = make_schema(make_field("/data/total", "integer"), group)
    assert validate_submission(schema, {"/data/total": 0}).valid
    assert codes(validate_submission(schema, {"/data/total": 5})) == [
        ("/data/women/count", "required")
    ]


def test_a_failing_constraint_shows_the_form_message_in_the_requested_language() -> None:
    doc = {"/data/age": 150}
    assert codes(validate_submission(SCHEMA, doc)) == [("/data/age", "constraint")]
    assert validate_submission(SCHEMA, doc, lang="ky").issues[0].message == "Жашы 0дөн 119га чейин"
    assert validate_submission(SCHEMA, doc, lang="ru").issues[0].message == "Возраст от 0 до 119"
    assert validate_submission(SCHEMA, doc, lang="en").issues[0].message == "Age must be 0 to 119"


def test_a_constraint_message_falls_back_to_the_default_language_then_any_then_generic() -> None:
    only_ru = make_field(
        "/data/q",
        "integer",
        constraint=". > 0",
        constraint_messages={"ru": "Больше нуля", "en": "Above zero"},
    )
    schema = make_schema(only_ru, default_language="ru")
    assert validate_submission(schema, {"/data/q": 0}, lang="ky").issues[0].message == "Больше нуля"
    only_en = make_schema(
        make_field(
            "/data/q", "integer", constraint=". > 0", constraint_messages={"en": "Above zero"}
        ),
        default_language="ru",
    )
    assert validate_submission(only_en, {"/data/q": 0}, lang="ky").issues[0].message == "Above zero"
    bare = make_schema(make_field("/data/q", "integer", constraint=". > 0"))
    assert validate_submission(bare, {"/data/q": 0}, lang="ky").issues[0] == Issue(
        "/data/q", "constraint", "Бул жооп форманын шартына туура келбейт."
    )


def test_generic_messages_exist_in_english_russian_and_kyrgyz() -> None:
    messages = [
        validate_submission(SCHEMA, {}, lang=lang).issues[0].message
        for lang in ("en", "ru", "ky", "fr")
    ]
    assert messages == [
        "This field is required.",
        "Это поле обязательно.",
        "Бул талаа милдеттүү.",
        "This field is required.",
    ]


def test_parts_that_must_add_up_to_the_total_are_checked_against_their_siblings() -> None:
    schema = make_schema(
        make_field("/data/total", "integer"),
        make_field("/data/women", "integer"),
        make_field("/data/men", "integer", constraint=". + /data/women = /data/total"),
    )
    assert validate_submission(schema, {"/data/total": 9, "/data/women": 5, "/data/men": 4}).valid
    failing = {"/data/total": 9, "/data/women": 5, "/data/men": 5}
    assert codes(validate_submission(schema, failing)) == [("/data/men", "constraint")]


REPEAT = make_field(
    "/data/rec",
    "repeat",
    children=(
        make_field("/data/rec/text", required="true()"),
        make_field("/data/rec/votes", "integer", constraint=". <= count(../../rec) * 10"),
        make_field("/data/rec/why", required="../votes > 5"),
    ),
)


def test_issues_inside_a_repeat_carry_the_position_of_the_entry() -> None:
    doc = {
        "/data/rec": [
            {"/data/rec/text": "More street lights", "/data/rec/votes": 3},
            {"/data/rec/votes": 31, "/data/rec/bogus": 1},
            {"/data/rec/text": "Youth centre", "/data/rec/votes": 9},
        ]
    }
    assert codes(validate_submission(make_schema(REPEAT), doc)) == [
        ("/data/rec[2]/bogus", "unknown_field"),
        ("/data/rec[2]/text", "required"),
        ("/data/rec[2]/votes", "constraint"),
        ("/data/rec[2]/why", "required"),
        ("/data/rec[3]/why", "required"),
    ]


def test_a_repeat_that_is_not_a_list_of_entries_is_a_type_error() -> None:
    result = validate_submission(make_schema(REPEAT), {"/data/rec": "lights"})
    assert codes(result) == [("/data/rec", "type_error")]


def test_an_expression_the_engine_cannot_evaluate_is_not_checked_rather_than_failed() -> None:
    schema = make_schema(
        make_field("/data/code", constraint="pulldata('codes', 'ok', 'code', .) = 'yes'"),
        make_field("/data/note", required="true()", relevant="digest(/data/code, 'MD5') = 'x'"),
    )
    result = validate_submission(schema, {"/data/code": "A1"})
    assert result.valid
    assert [(n.path, n.expression) for n in result.not_checked] == [
        ("/data/code", "pulldata('codes', 'ok', 'code', .) = 'yes'"),
        ("/data/note", "digest(/data/code, 'MD5') = 'x'"),
    ]
    assert "pulldata" in result.not_checked[0].reason


def test_today_is_taken_from_now_so_a_future_date_fails_its_constraint() -> None:
    visit = make_field("/data/visit", "date", constraint=". <= today()")
    schema, now = make_schema(visit), dt.datetime(2024, 5, 1, 12, 0)
    assert validate_submission(schema, {"/data/visit": "2024-05-01"}, now=now).valid
    future = validate_submission(schema, {"/data/visit": "2024-05-02"}, now=now)
    assert codes(future) == [("/data/visit", "constraint")]
