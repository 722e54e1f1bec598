"""The example forms filled in as officers would, in each language, and validated by Kenesh."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from forms.convert import ConvertedForm, convert_definition
from forms.examples.build import HERE
from forms.schema import FormSchema
from forms.validate import ValidationResult, validate_submission

LANGS = ("ky", "ru", "en")
Doc = dict[str, Any]


@cache
def converted(name: str) -> ConvertedForm:
    path = HERE / f"{name}.xlsx"
    form = convert_definition(path.read_bytes(), path.name)
    assert form.warnings == ()
    return form


def schema_of(name: str) -> FormSchema:
    return converted(name).schema


def validated(name: str, doc: Doc, lang: str) -> ValidationResult:
    return validate_submission(schema_of(name), doc, lang=lang)


def messages(result: ValidationResult) -> dict[str, str]:
    return {issue.path: issue.message for issue in result.issues}


FREE_TEXT = {
    "recommendation": {
        "ky": "Суу бөлүштүрүү комиссиясына аялдарды киргизүү",
        "ru": "Включить женщин в комиссию по распределению воды",
        "en": "Include women in the water distribution commission",
    },
    "activity": {
        "ky": "Айылдык кеңешке талапкер аялдар үчүн лидерлик мектеби",
        "ru": "Школа лидерства для женщин — кандидатов в айылный кенеш",
        "en": "Leadership school for women candidates to the ayil kenesh",
    },
    "note": {
        "ky": "Экинчи сабак өттү, 18 аял катышты",
        "ru": "Прошло второе занятие, пришли 18 женщин",
        "en": "Second session held, 18 women attended",
    },
    "incident": {
        "ky": "Сугат суусу үчүн эки айылдын тургундарынын ортосунда талаш чыкты",
        "ru": "Между жителями двух сёл возник спор из-за поливной воды",
        "en": "Residents of two villages argued over irrigation water",
    },
}


def open_day(lang: str, **changes: Any) -> Doc:
    """A consultation in Ak-Say, Batken rayon, with 54 participants."""
    counts = {"girls_14_17": 6, "boys_14_17": 4, "women_18_29": 12, "men_18_29": 5}
    counts |= {"women_30_59": 15, "men_30_59": 7, "women_60_plus": 3, "men_60_plus": 2}
    doc: Doc = {
        "/data/consultation_date": "2026-09-21",
        "/data/location/oblast": "batken",
        "/data/location/rayon": "batken_rayon",
        "/data/location/ayil_aimak": "ak_say",
        "/data/location/gps": (39.9613, 70.5216, 1050.0, 8.0),
        "/data/organiser": "women_initiative_group",
        **{f"/data/participants/{name}": n for name, n in counts.items()},
        "/data/participants/participants_total": 54,
        "/data/participants/participants_with_disabilities": 2,
        "/data/topics": ["cross_border", "natural_resources", "political_participation"],
        "/data/recommendation": [
            {
                "/data/recommendation/text": FREE_TEXT["recommendation"][lang],
                "/data/recommendation/addressee": "lsg",
            },
            {
                "/data/recommendation/text": FREE_TEXT["recommendation"][lang],
                "/data/recommendation/addressee": "other",
                "/data/recommendation/addressee_other": "UNDP",
            },
        ],
        "/data/photo_1": "1764432000123.jpg",
    }
    doc |= {f"/data/{path}": value for path, value in changes.items()}
    # The phone sends the calculated sum with the answers, as ODK Collect does.
    doc["/data/participants/counted_total"] = sum(
        doc[f"/data/participants/{name}"] for name in counts
    )
    return doc


def lap_activity(lang: str, **changes: Any) -> Doc:
    """An activity of Kulundu's local action plan under NAP task 1.1."""
    doc: Doc = {
        "/data/location/oblast": "batken",
        "/data/location/rayon": "leylek",
        "/data/location/ayil_aimak": "kulundu",
        "/data/goal": "goal_1",
        "/data/task": "task_1_1",
        "/data/activity_name": FREE_TEXT["activity"][lang],
        "/data/responsible": "women_initiative_group",
        "/data/due_date": "2026-12-20",
        "/data/budget_planned": 45000.0,
        "/data/budget_spent": 12500.5,
        "/data/status": "in_progress",
        "/data/progress": 30,
        "/data/women_participants": 18,
    }
    return doc | {f"/data/{path}": value for path, value in changes.items()}


def lap_update(lang: str, **changes: Any) -> Doc:
    """An officer's update of one activity entity."""
    doc: Doc = {
        "/data/activity": "0f5c9a4e-2b1d-4c8e-9a37-6d2f1b0e8c41",
        "/data/status": "completed",
        "/data/progress": 100,
        "/data/budget_spent": 44800.0,
        "/data/update_note": FREE_TEXT["note"][lang],
    }
    return doc | {f"/data/{path}": value for path, value in changes.items()}


def incident(lang: str, **changes: Any) -> Doc:
    """A water dispute in Kara-Suu rayon, referred to the police and the LSG, with consent."""
    doc: Doc = {
        "/data/incident_type": "water_dispute",
        "/data/incident_date": "2026-06-14",
        "/data/location/oblast": "osh",
        "/data/location/rayon": "kara_suu",
        "/data/location/ayil_aimak": "kashkar_kyshtak",
        "/data/affected/girls_0_17": 0,
        "/data/affected/boys_0_17": 1,
        "/data/affected/women_18_29": 2,
        "/data/affected/men_18_29": 3,
        "/data/affected/women_30_59": 1,
        "/data/affected/men_30_59": 4,
        "/data/affected/women_60_plus": 0,
        "/data/affected/men_60_plus": 0,
        "/data/referral_made": "yes",
        "/data/referral_to": ["police", "lsg"],
        "/data/consent_recorded": "yes",
        "/data/description": FREE_TEXT["incident"][lang],
    }
    return doc | {f"/data/{path}": value for path, value in changes.items()}


FILLED = {
    "open_day_consultation": open_day,
    "local_action_plan_activity": lap_activity,
    "update_lap_activity": lap_update,
    "incident_report": incident,
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", FILLED)
def test_a_realistic_submission_of_each_example_is_valid_in_each_language(
    name: str, lang: str
) -> None:
    result = validated(name, FILLED[name](lang), lang)
    assert result.issues == ()
    assert result.valid
    assert result.not_checked == ()  # every constraint and relevance really was evaluated


def test_each_example_declares_kyrgyz_russian_and_english_with_english_as_default() -> None:
    for name in FILLED:
        assert set(schema_of(name).languages) == set(LANGS)
        assert schema_of(name).default_language == "en"


def test_kenesh_treats_the_incident_report_and_only_it_as_sensitive() -> None:
    assert [name for name in FILLED if converted(name).sensitive] == ["incident_report"]


def test_activity_forms_create_and_update_the_same_entity_list_offline() -> None:
    create = converted("local_action_plan_activity").entity
    update = converted("update_lap_activity").entity
    assert create is not None and update is not None
    assert (create.dataset, create.creates, update.dataset, update.updates) == (
        "lap_activities", True, "lap_activities", True,
    )  # fmt: skip
    assert {"ayil_aimak", "status", "progress", "budget_spent"} <= set(create.properties)
    assert {"status", "progress", "budget_spent"} <= set(update.properties)
    assert converted("update_lap_activity").media == ("lap_activities.csv",)


TOTAL_MESSAGE = {
    "ky": "Жалпы сан жынысы жана жашы боюнча сандардын суммасына барабар болушу керек.",
    "ru": "Общее число должно равняться сумме чисел по полу и возрасту.",
    "en": "The total must equal the sum of the counts by sex and age.",
}


@pytest.mark.parametrize("lang", LANGS)
def test_participants_that_do_not_add_up_to_the_total_fail_with_the_forms_own_message(
    lang: str,
) -> None:
    doc = open_day(lang, **{"participants/participants_total": 60})
    result = validated("open_day_consultation", doc, lang)
    assert not result.valid
    assert messages(result) == {"/data/participants/participants_total": TOTAL_MESSAGE[lang]}
    assert [issue.code for issue in result.issues] == ["constraint"]


def test_more_participants_with_disabilities_than_participants_is_flagged() -> None:
    doc = open_day("ru", **{"participants/participants_with_disabilities": 55})
    assert messages(validated("open_day_consultation", doc, "ru")) == {
        "/data/participants/participants_with_disabilities": (
            "Число не может быть отрицательным или больше общего числа участников."
        )
    }


def test_a_negative_count_is_flagged_in_kyrgyz() -> None:
    doc = open_day("ky", **{"participants/men_60_plus": -2, "participants/participants_total": 50})
    assert messages(validated("open_day_consultation", doc, "ky")) == {
        "/data/participants/men_60_plus": "Сан терс боло албайт."
    }


def test_a_completed_activity_must_be_at_one_hundred_percent() -> None:
    result = validated("update_lap_activity", lap_update("en", progress=80), "en")
    assert messages(result) == {
        "/data/progress": "Enter a percentage from 0 to 100; a completed activity is at 100."
    }


def test_progress_above_one_hundred_is_flagged_when_creating_an_activity() -> None:
    result = validated("local_action_plan_activity", lap_activity("ky", progress=120), "ky")
    assert list(messages(result)) == ["/data/progress"]


def test_an_open_day_without_the_organiser_specified_as_other_is_incomplete() -> None:
    result = validated("open_day_consultation", open_day("en", organiser="other"), "en")
    assert [(i.path, i.code) for i in result.issues] == [("/data/organiser_other", "required")]


def test_a_phone_number_in_an_incident_description_is_flagged() -> None:
    doc = incident("ru", description="Позвонить по номеру 0555123456")
    assert messages(validated("incident_report", doc, "ru")) == {
        "/data/description": "Удалите номера телефонов или документов."
    }


def test_an_incident_without_consent_needs_no_description() -> None:
    doc = incident("en", consent_recorded="no")
    del doc["/data/description"]
    assert validated("incident_report", doc, "en").valid


def test_referral_destinations_are_required_only_when_a_referral_was_made() -> None:
    doc = incident("ky", referral_made="yes")
    del doc["/data/referral_to"]
    assert list(messages(validated("incident_report", doc, "ky"))) == ["/data/referral_to"]
    doc["/data/referral_made"] = "no"
    assert validated("incident_report", doc, "ky").valid
