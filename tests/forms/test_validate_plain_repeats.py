"""Validation's shortcut (forms.validate_plain) on forms with repeats, nested ones included:
generated forms and documents, validated with and without it, give the same outcome.

The generators of tests/sync/test_validation_plain_path.py make forms without repeats (or
with one the shortcut used to refuse); these add repeats at the top, inside a group and
inside another repeat, conditions read in an entry (`.`, `../name`), conditions the shortcut
must leave to the XPath engine (position(), current(), paths into repeats, count()), jr:count,
choice filters with extra columns, and documents whose entries are valid or not (unknown keys,
keys of the wrong level, entries that are not mappings, repeats that are not lists).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Collection
from typing import Any

import pytest

from forms import validate
from forms.schema import Choice, Field, FormSchema
from forms.validate_plain import plainly_valid
from tests.forms.test_examples_filled import open_day, schema_of
from tests.forms.test_validate import make_choices, make_field, make_schema

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
TOP_CONDITIONS = [
    None, "", "true()", "false()", ". >= 0", ". >= 0 and . < 120", ". > 200", ". != ''",
    "../age >= 18", "/data/age < 50 or /data/topic = 'water'", ". <= today()",
]
# Conditions of questions inside a repeat entry: most read the entry, some the document.
ENTRY_CONDITIONS = [
    None, "", "true()", "false()", ". >= 0", ". < 100", ". != ''", "../item >= 0",
    "../note = 'x'", "../note != 'y' and . >= 0", "/data/age > 10", "/data/age < 18",
    "../rg/x = 'x'", ". = ../item", "../label = 'a'", "/data/topic = 'water' or ../item > 3",
]
# Relevance of a repeat (decided per entry): an entry is a group, so only absolute paths to
# questions outside repeats are plain; the rest goes to the XPath engine.
REPEAT_RELEVANCE = [
    None, "", "true()", "false()", "/data/age > 10", "/data/topic = 'water'", "/data/age > 40",
]
# Conditions the shortcut leaves to the XPath engine, anywhere.
ENGINE_CONDITIONS = [
    "/data/rep/item = 1", "count(/data/rep) > 0", "/data/nope = 1", "../sub/n = 1",
    "position() = 1", "current()/../item > 0", "count(../sub) >= 0", "../nope = 1",
    "../age > 1", ". != ''", "/data/rep/sub/n = 1", "/data/grp = ''",
]
LABELS = (Choice("a", {"en": "A"}, {"kind": "odd"}), Choice("b", {"en": "B"}, {"kind": "even"}),
          Choice("c", {"en": "C"}))  # "c" has no kind: a filter naming it cannot be written
FILTERS = ["kind = 'odd'", "kind != 'none'", "kind = ../note", "name != 'b'", "kind = /data/topic"]


def _condition(rng: random.Random, pool: list[str | None]) -> str | None:
    return rng.choice(ENGINE_CONDITIONS if rng.random() < 0.06 else pool)


def _conditions(rng: random.Random, pool: list[str | None]) -> dict[str, Any]:
    return {name: _condition(rng, pool) for name in ("relevant", "required", "constraint")
            if rng.random() < 0.35}


def _entry_fields(rng: random.Random, base: str, nested: bool) -> tuple[Field, ...]:
    fields = [
        make_field(f"{base}/item", "integer", **_conditions(rng, ENTRY_CONDITIONS)),
        make_field(f"{base}/note", "text", **_conditions(rng, ENTRY_CONDITIONS)),
        make_field(f"{base}/label", "select one", choices=LABELS,
                   **({"choice_filter": rng.choice(FILTERS)} if rng.random() < 0.5 else {}),
                   **_conditions(rng, ENTRY_CONDITIONS)),
        make_field(f"{base}/rg", "group", relevant=rng.choice([None, "../note = 'x'", "true()"]),
                   children=(make_field(f"{base}/rg/x", "text",
                                        **_conditions(rng, ENTRY_CONDITIONS)),)),
    ]
    if nested:
        fields.append(make_field(
            f"{base}/sub", "repeat", relevant=_condition(rng, REPEAT_RELEVANCE),
            children=(make_field(f"{base}/sub/n", "integer",
                                 **_conditions(rng, ENTRY_CONDITIONS)),)))
    return tuple(rng.sample(fields, rng.randint(1, len(fields))))


def _repeat(rng: random.Random) -> Field:
    """/data/rep at the top, or inside the group /data/grp (its keys are still /data/rep/...:
    the field's path is what the document keys by)."""
    extra: dict[str, Any] = {"relevant": _condition(rng, REPEAT_RELEVANCE)}
    if rng.random() < 0.3:
        extra["bind"] = {"jr:count": rng.choice(["/data/age", "2"])}
    children = _entry_fields(rng, "/data/rep", nested=rng.random() < 0.6)
    return make_field("/data/rep", "repeat", children=children, **extra)


def _schema(rng: random.Random) -> FormSchema:
    fields = [
        make_field("/data/age", "integer", **_conditions(rng, TOP_CONDITIONS)),
        make_field("/data/topic", "select one", choices=make_choices("water", "odd", "x"),
                   **_conditions(rng, TOP_CONDITIONS)),
        make_field("/data/when", "date", **_conditions(rng, TOP_CONDITIONS)),
    ]
    top = rng.sample(fields, rng.randint(1, 3))
    repeat = _repeat(rng)
    if rng.random() < 0.3:  # a repeat inside a group: only the group's relevance hides it
        repeat = make_field("/data/grp", "group", relevant=_condition(rng, TOP_CONDITIONS),
                            children=(repeat,))
    meta = make_field("/data/meta", "group", children=(make_field("/data/meta/instanceID"),))
    return make_schema(*top, repeat, meta)


ENTRY_VALUES = {
    "item": [None, "", 0, 1, 5, -3, 150, "7", 1.5, True],
    "note": [None, "", "x", "y", 3],
    "label": [None, "a", "b", "c", "z", 1],
    "rg/x": [None, "x", "y", 4],
}
USUAL_ENTRY = {"item": 1, "note": "x", "label": "a", "rg/x": "x"}


def _entry(rng: random.Random, base: str, depth: int, known: Collection[str]) -> Any:
    """An entry answering the questions the form has, now and then another one."""
    if rng.random() < 0.02:
        return rng.choice(["entry", 3, None, ["x"]])  # not a mapping
    entry: dict[str, Any] = {}
    for name, usual in USUAL_ENTRY.items():
        if rng.random() < (0.9 if f"{base}/{name}" in known else 0.01):
            entry[f"{base}/{name}"] = usual if rng.random() < 0.9 else rng.choice(
                ENTRY_VALUES[name])
    if depth == 0 and rng.random() < (0.7 if f"{base}/sub" in known else 0.01):
        entry[f"{base}/sub"] = [{f"{base}/sub/n": rng.choice([1, 1, 1, 1, 1, 2, None, "q"])}
                                for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.05:
            entry[f"{base}/sub"] = rng.choice(["no", {"x": 1}, [{"/data/rep/item": 1}]])
    odd = rng.random()
    if odd < 0.04:
        entry[rng.choice(["/data/age", f"{base}/zzz", f"{base}/rg", f"{base}/sub/n"])] = 1
    elif odd < 0.08:
        entry[rng.choice([f"{base}/@id", "/data/meta/instanceID"])] = "meta"
    return entry


def _document(rng: random.Random, known: Collection[str]) -> dict[str, Any]:
    doc: dict[str, Any] = {"/data/meta/instanceID": "uuid:1"}
    for key, usual, others in [("/data/age", 34, [None, 5, 130, "12", -1]),
                               ("/data/topic", "water", [None, "odd", "lake", 3]),
                               ("/data/when", "2026-01-01", [None, "2030-05-05", 5])]:
        if rng.random() < (0.9 if key in known else 0.02):
            doc[key] = usual if rng.random() < 0.85 else rng.choice(others)
    roll = rng.random()
    if roll < 0.85:
        doc["/data/rep"] = [_entry(rng, "/data/rep", 0, known) for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4]))]
    elif roll < 0.9:
        doc["/data/rep"] = rng.choice(["no", {"/data/rep/item": 1}, 3, None])
    if rng.random() < 0.03:
        doc[rng.choice(["/data/rep/item", "/data/rep/sub", "/data/grp", "/data/rep/@x"])] = 1
    return doc


def _full_run(schema: FormSchema, doc: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patched:
        patched.setattr(validate, "plainly_valid", lambda *_: False)
        return validate.validate_submission(schema, doc, now=NOW)


def test_the_shortcut_gives_the_full_runs_outcome_on_forms_with_repeats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(20261201)
    taken = clean = cases = with_entries = nested = 0
    for _ in range(250):
        schema = _schema(rng)
        for _ in range(16):
            doc = _document(rng, schema.fields_by_path())
            full = _full_run(schema, doc, monkeypatch)
            plain = plainly_valid(schema, doc, NOW)
            cases += 1
            clean += full.valid and not full.not_checked
            if plain:
                taken += 1
                entries = doc.get("/data/rep") or []
                with_entries += bool(entries)
                nested += any(isinstance(e, dict) and e.get("/data/rep/sub") for e in entries)
                assert full.valid and not full.not_checked, (schema, doc, full)
            assert validate.validate_submission(schema, doc, now=NOW) == full
    # Taken often, with entries too; not always (the full run also decides conditions it cannot).
    assert cases == 4000
    assert taken > 700 and with_entries > 350 and nested > 80 and clean > taken, (
        taken, with_entries, nested, clean)


def _rep_schema(repeat_relevant: str | None = None, **item: Any) -> FormSchema:
    return make_schema(
        make_field("/data/age", "integer"),
        make_field("/data/rep", "repeat", relevant=repeat_relevant, children=(
            make_field("/data/rep/item", "integer", **item),
            make_field("/data/rep/note"),
            make_field("/data/rep/sub", "repeat", children=(make_field("/data/rep/sub/n"),)),
        )),
    )


def test_entries_are_read_in_their_own_scope() -> None:
    schema = _rep_schema(required="true()", constraint=". > 0 and ../note != 'bad'")
    doc = {"/data/age": 3, "/data/rep": [
        {"/data/rep/item": 1, "/data/rep/note": "fine", "/data/rep/sub": [{"/data/rep/sub/n": "a"}]},
        {"/data/rep/item": 2, "/data/rep/sub": []},
    ]}
    assert plainly_valid(schema, doc, None)
    assert not plainly_valid(schema, {**doc, "/data/rep": [{"/data/rep/note": "bad"}]}, None)
    second_bad = {"/data/rep/item": 2, "/data/rep/note": "bad"}
    assert not plainly_valid(schema, {**doc, "/data/rep": [doc["/data/rep"][0], second_bad]}, None)


def test_misplaced_keys_and_malformed_entries_are_left_to_the_full_run() -> None:
    schema = _rep_schema("false()")  # even where no entry is relevant
    entry = {"/data/rep/item": 1}
    for doc in [{"/data/rep/item": 1}, {"/data/rep": [{"/data/age": 1}]}, {"/data/rep": "x"},
                {"/data/rep": [entry, "x"]}, {"/data/rep": [{"/data/rep/sub": [{"n": 1}]}]},
                {"/data/rep": [{"/data/rep/sub": {"/data/rep/sub/n": 1}}]}]:
        assert not plainly_valid(schema, doc, None), doc
        assert not validate.validate_submission(schema, doc).valid, doc
    assert plainly_valid(schema, {"/data/rep": [entry, {"/data/rep/@id": "1"}]}, None)


def test_conditions_that_need_the_xpath_engine_are_left_to_it() -> None:
    for condition in ["position() = 1", "current()/../note = ''", "/data/rep/note = ''",
                      "count(../sub) = 0", "../sub/n = 1"]:
        schema = _rep_schema(constraint=condition)
        assert not plainly_valid(schema, {"/data/rep": [{"/data/rep/item": 1}]}, None)
        assert plainly_valid(schema, {"/data/rep": []}, None)  # no entry, nothing to decide


def test_the_open_day_consultation_takes_the_shortcut() -> None:
    schema = schema_of("open_day_consultation")
    doc = open_day("ru")
    assert doc["/data/recommendation"]  # entries, one of them reading ../addressee
    assert plainly_valid(schema, doc, None)
    assert validate.validate_submission(schema, doc) == validate.ValidationResult(True)
    wrong_pair = open_day("ru", **{"location/rayon": "leylek"})  # a rayon of another oblast
    assert not plainly_valid(schema, wrong_pair, None)
    entries = [*doc["/data/recommendation"], {"/data/recommendation/addressee": "other"}]
    assert not plainly_valid(schema, {**doc, "/data/recommendation": entries}, None)
