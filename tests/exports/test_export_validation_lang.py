"""Validation messages in the reader's language: ?lang= picks them in every export format."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import openpyxl
import pytest
from sqlalchemy import update

from server.models import SubmissionDef
from tests.exports.conftest import INVALID, MESSAGES, World

DEFAULT = "ru"  # the form's default language


def _csv_message(world: World, **params: str) -> str:
    response = world.export("submissions.csv", **params)
    assert response.status_code == 200, response.text
    rows = {r["KEY"]: r for r in csv.DictReader(io.StringIO(response.text, newline=""))}
    return rows["uuid:invalid"]["ValidationMessages"]


def _xlsx_message(world: World, **params: str) -> Any:
    response = world.export("submissions.xlsx", **params)
    assert response.status_code == 200, response.text
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["consult"]
    rows = sheet.iter_rows(values_only=True)
    next(rows)  # the labels
    headers = next(rows)
    found = {row[headers.index("KEY")]: row for row in rows}
    return found["uuid:invalid"][headers.index("ValidationMessages")]


def _geojson_message(world: World, **params: str) -> Any:
    response = world.export("submissions.geojson", **params)
    assert response.status_code == 200, response.text
    features = {f["id"]: f for f in json.loads(response.content)["features"]}
    return features["uuid:invalid"]["properties"]["ValidationMessages"]


READERS = [_csv_message, _xlsx_message, _geojson_message]


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_validation_messages_are_in_the_requested_language(world: World, read: Any,
                                                           lang: str) -> None:
    world.submit(INVALID)

    assert read(world, lang=lang) == MESSAGES[lang]


@pytest.mark.parametrize("read", READERS)
def test_without_lang_or_in_a_language_the_form_lacks_they_are_in_the_default(
        world: World, read: Any) -> None:
    world.submit(INVALID)

    assert read(world) == MESSAGES[DEFAULT]
    assert read(world, lang="uz") == MESSAGES[DEFAULT]


@pytest.mark.parametrize("read", READERS)
def test_outcomes_stored_before_messages_per_language_still_export(world: World,
                                                                   read: Any) -> None:
    world.submit(INVALID)
    old = {"status": "invalid", "notChecked": [], "issues": [
        {"path": "/data/colors", "code": "not_in_choices", "message": "старый текст"}]}
    with world.engine.begin() as conn:
        conn.execute(update(SubmissionDef).where(SubmissionDef.instance_id == "uuid:invalid")
                     .values(validation=old))

    assert read(world, lang="en") == "старый текст"


def test_the_submission_json_carries_the_messages_in_every_language(world: World) -> None:
    world.submit(INVALID)
    response = world.client.get(world.url("submissions/uuid:invalid"), headers=world.manager)

    assert response.status_code == 200, response.text
    issue, = response.json()["validation"]["issues"]
    assert issue["message"] == MESSAGES[DEFAULT]
    assert issue["messages"] == MESSAGES


@pytest.mark.parametrize("lang", ["ky", "en", "uz"])
def test_the_submission_json_and_list_show_the_message_in_lang(world: World, lang: str) -> None:
    world.submit(INVALID)
    one = world.client.get(world.url("submissions/uuid:invalid"), params={"lang": lang},
                           headers=world.manager)
    listed = world.client.get(world.url("submissions"), params={"lang": lang},
                              headers=world.manager)

    expected = MESSAGES.get(lang, MESSAGES[DEFAULT])  # a language the form lacks: its default
    issue, = one.json()["validation"]["issues"]
    assert issue["message"] == expected and issue["messages"] == MESSAGES
    [row] = [r for r in listed.json() if r["instanceId"] == "uuid:invalid"]
    assert row["validation"]["issues"][0]["message"] == expected
