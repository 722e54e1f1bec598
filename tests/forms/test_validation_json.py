"""The stored validation outcome: each problem's message in every language of the form."""

from __future__ import annotations

import pytest

from forms.validate import validate_submission
from forms.validation_messages import issue_message
from tests.forms.test_validate import SCHEMA, make_field, make_schema

# A missing required age, an unknown topic, a type error: generic messages; a failing
# constraint on the age: the form's own message in each language.
MISSING = {"/data/topic": "fire", "/data/topics": "rve"}
FAILING = {"/data/age": 130, "/data/topic": "border", "/data/topics": ["rve"]}


@pytest.mark.parametrize("doc", [MISSING, FAILING])
def test_every_issue_carries_its_message_in_each_language_of_the_form(doc: dict) -> None:
    stored = validate_submission(SCHEMA, doc).as_json()

    assert stored["status"] == "invalid" and stored["issues"]
    for lang in ("ky", "ru", "en"):
        asked = validate_submission(SCHEMA, doc, lang=lang).as_json()
        assert [i["messages"][lang] for i in stored["issues"]] == \
            [i["message"] for i in asked["issues"]]
    for issue in stored["issues"]:
        assert set(issue["messages"]) == {"ky", "ru", "en"}
        assert issue["message"] == issue["messages"]["en"]  # the form's default language


def test_constraint_messages_are_the_forms_own_in_each_language() -> None:
    issue = validate_submission(SCHEMA, FAILING).as_json()["issues"][0]

    assert issue["code"] == "constraint"
    assert issue["messages"] == {"ky": "Жашы 0дөн 119га чейин", "ru": "Возраст от 0 до 119",
                                 "en": "Age must be 0 to 119"}


def test_a_language_without_a_constraint_message_gets_the_default_languages() -> None:
    only_ru = make_schema(make_field("/data/q", "integer", constraint=". > 0",
                                     constraint_messages={"ru": "Больше нуля"}),
                          default_language="ru")
    bare = make_schema(make_field("/data/q", "integer", constraint=". > 0"))

    assert validate_submission(only_ru, {"/data/q": 0}).as_json()["issues"][0]["messages"] == {
        "ky": "Больше нуля", "ru": "Больше нуля", "en": "Больше нуля"}
    assert validate_submission(bare, {"/data/q": 0}).as_json()["issues"][0]["messages"] == {
        "ky": "Бул жооп форманын шартына туура келбейт.",
        "ru": "Ответ не соответствует условию формы.",
        "en": "This answer does not meet the form's condition.",
    }


def test_generic_messages_are_kenesh_catalogue_in_each_language() -> None:
    issue = validate_submission(SCHEMA, {"/data/age": 3, "/data/topic": "fire"}).as_json()

    assert issue["issues"][0]["messages"] == {
        "ky": "«fire» жооп варианттарынын арасында жок.",
        "ru": "«fire» нет среди вариантов ответа.",
        "en": "“fire” is not one of the choices.",
    }


def test_a_reader_gets_their_language_and_else_the_stored_message() -> None:
    issue = validate_submission(SCHEMA, MISSING).as_json()["issues"][0]
    stored_before_messages = {"path": "/data/age", "code": "required",
                              "message": "Это поле обязательно."}

    assert issue_message(issue, "ky") == "Бул талаа милдеттүү."
    assert issue_message(issue, "ru") == "Это поле обязательно."
    assert issue_message(issue, "uz") == issue_message(issue, None) == "This field is required."
    assert issue_message(stored_before_messages, "en") == "Это поле обязательно."
    assert issue_message({"messages": {"en": ""}, "message": "x"}, "en") == "x"


def test_a_valid_submission_stores_no_issues() -> None:
    doc = {"/data/age": 30, "/data/topic": "water", "/data/topics": ["rve"]}

    assert validate_submission(SCHEMA, doc).as_json() == {
        "status": "valid", "issues": [], "notChecked": []}
