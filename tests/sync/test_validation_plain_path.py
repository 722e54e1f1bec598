"""Validation's shortcut for plainly valid submissions (forms.validate_plain) gives exactly the
full run's outcome: generated forms and documents, validated with and without it."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from forms import validate
from forms.schema import Field, FormSchema
from forms.validate_plain import plainly_valid
from tests.forms.test_validate import make_choices, make_field, make_schema

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
CONDITIONS = [
    None, "", " ", "true()", "false()", "yes", "0", ". >= 0", ". >= 0 and . < 120", ". > 200",
    ". != ''", "../age >= 18", "/data/age < 50 or /data/topic = 'water'", "/data/g/inner = 'x'",
    "/data/nope = 1", ". <= today()", "today() > '2020-01-01'", "string-length(.) < 5",
    "count(/data/rep) = 0", "/data/g = 'x'", ". = ../topic", "(. > 1) and (/data/age > 1)",
]


def _field(rng: random.Random, path: str, kind: str) -> Field:
    extra: dict[str, Any] = {
        name: rng.choice(CONDITIONS) for name in ("relevant", "required", "constraint")
        if rng.random() < 0.4
    }
    if kind in ("select one", "select all that apply"):
        extra["choices"] = make_choices("water", "border", "x")
        if rng.random() < 0.2:
            extra["choice_filter"] = "name != 'x'"
    return make_field(path, kind, **extra)


def _schema(rng: random.Random) -> FormSchema:
    fields = [
        _field(rng, "/data/age", "integer"),
        _field(rng, "/data/topic", "select one"),
        _field(rng, "/data/topics", "select all that apply"),
        _field(rng, "/data/when", "date"),
        make_field("/data/g", "group", relevant=rng.choice(CONDITIONS),
                   children=(_field(rng, "/data/g/inner", "text"),)) if rng.random() < 0.5
        else make_field("/data/g", "group", children=(make_field("/data/g/inner"),)),
        make_field("/data/meta", "group", children=(make_field("/data/meta/instanceID"),)),
    ]
    if rng.random() < 0.2:
        fields.append(make_field("/data/rep", "repeat",
                                 children=(_field(rng, "/data/rep/item", "integer"),)))
    return make_schema(*rng.sample(fields[:4], rng.randint(1, 4)), *fields[4:])


VALUES = {
    "/data/age": [None, "", 0, 34, 130, -1, "12", 2**40, 1.5, True],
    "/data/topic": [None, "water", "border", "x", "lake", 3, ""],
    "/data/topics": [None, [], ["water"], ["water", "x"], ["lake"], "water"],
    "/data/when": [None, "2026-01-01", "2030-05-05", "01/01/2026", 5],
    "/data/g/inner": [None, "x", "y", "", 7],
    "/data/meta/instanceID": [None, "uuid:1"],
    "/data/meta/instanceName": ["a name"],
    "/data/rep": [[{"/data/rep/item": 1}], [], "no"],
    "/data/nickname": ["x"],
    "/data/@version": ["1"],
    "/data/g": ["x"],
}


# The values the forms above usually accept, most documents' values.
USUAL = {"/data/age": 34, "/data/topic": "water", "/data/topics": ["water"],
         "/data/when": "2026-01-01", "/data/g/inner": "x", "/data/meta/instanceID": "uuid:1"}


def _document(rng: random.Random) -> dict[str, Any]:
    doc = {k: v for k, v in USUAL.items() if rng.random() < 0.9}
    for key, values in VALUES.items():
        if rng.random() < (0.15 if key in USUAL else 0.03):
            doc[key] = rng.choice(values)
    return doc


def _full_run(schema: FormSchema, doc: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patched:
        patched.setattr(validate, "plainly_valid", lambda *_: False)
        return validate.validate_submission(schema, doc, now=NOW)


def test_the_shortcut_gives_the_full_runs_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(20261130)
    taken = clean = 0
    for _ in range(300):
        schema = _schema(rng)
        for _ in range(20):
            doc = _document(rng)
            full = _full_run(schema, doc, monkeypatch)
            plain = plainly_valid(schema, doc, NOW)
            clean += full.valid and not full.not_checked
            if plain:
                taken += 1
                assert full.valid and not full.not_checked, (schema, doc)
            assert validate.validate_submission(schema, doc, now=NOW) == full
    # Taken often, not only trivially (the full run also decides conditions it cannot).
    assert taken > 100 and clean > taken


def test_a_valid_submission_of_a_simple_form_takes_the_shortcut() -> None:
    schema = make_schema(
        make_field("/data/age", "integer", required="true()", constraint=". >= 0"),
        make_field("/data/topic", "select one", choices=make_choices("water")),
        make_field("/data/meta", "group", children=(make_field("/data/meta/instanceID"),)),
    )
    doc = {"/data/age": 3, "/data/topic": "water", "/data/meta/instanceID": "uuid:1"}
    assert plainly_valid(schema, doc, None)
    assert not plainly_valid(schema, {**doc, "/data/age": -1}, None)
    assert not plainly_valid(schema, {**doc, "/data/other": 1}, None)
