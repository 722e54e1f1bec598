"""Whether a submission is plainly valid: the common case of validation, decided cheaply.

``forms.validate`` builds a slot per instance node, an issue list and, when a condition needs
it, an XPath tree. Most submissions are valid and their forms' conditions simple; for them
this walk of the form answers the same "valid, nothing left unchecked" from the document
alone, with the same checks in the same order. It answers False whenever the full run could
say anything else (an issue, a condition it cannot decide): the caller then runs the full
validation, which alone words issues. So its True is always the full run's outcome.

Repeats are walked as the full run builds them: each entry of a repeat's list is a mapping
keyed like the document, whose keys are checked against the repeat's own questions whether
or not the entry is relevant; `.` and `../name` in a condition inside an entry read that
entry, an absolute path only a question outside every repeat (others, and position(),
current() and every other function but today(), are left to the full run's XPath engine).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forms.schema import Field, FormSchema
from forms.validate_plain_checks import Check, Form, Reading, field_check

# OpenRosa metadata a client may send although the form does not declare it.
META_NAMES = frozenset(
    "instanceID deprecatedID instanceName audit entity timeStart timeEnd userID deviceID".split()
)


def is_meta(schema: FormSchema, key: Any) -> bool:
    """OpenRosa metadata and XML attributes ("/data/@version"): carried, never validated."""
    parts = str(key).split("/")
    if any(part.startswith("@") for part in parts):
        return True
    return len(parts) > 3 and parts[1:3] == [schema.root_name, "meta"] and parts[3] in META_NAMES


def plainly_valid(schema: FormSchema, doc: Mapping[str, Any], now: dt.datetime | None) -> bool:
    """True only when the full validation of `doc` finds no issue and checks everything."""
    plan = _plan(schema)
    if not _fits(schema, plan.root, doc):
        return False
    reading = Reading(doc, now)
    for check in plan.checks:
        if not check(doc, reading):
            return False
    return True


@dataclass(frozen=True, slots=True)
class _Level:
    """The keys a mapping (the document, or one repeat entry) may hold, and its repeats."""

    keys: frozenset[str]
    repeats: tuple[tuple[str, _Level], ...]  # (the repeat's path, the level of its entries)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the walk needs of a schema, computed once per schema."""

    root: _Level
    checks: tuple[Check, ...]  # one per child of the root, in form order


def _plan(schema: FormSchema) -> _Plan:
    found: _Plan | None = schema.__dict__.get("_plain_plan")
    if found is None:
        fields = schema.fields_by_path()
        form = Form(fields, _paths_in_repeats(fields))
        found = _Plan(_level(schema.children), tuple(field_check(f, form) for f in schema.children))
        # The schema is frozen, so this can never go stale.
        object.__setattr__(schema, "_plain_plan", found)
    return found


def _level(fields: tuple[Field, ...]) -> _Level:
    """forms.validate._build_field's expected keys: questions through groups, and repeats."""
    keys: set[str] = set()
    repeats: list[tuple[str, _Level]] = []

    def visit(f: Field) -> None:
        if f.is_repeat:
            keys.add(f.path)
            repeats.append((f.path, _level(f.children)))
        elif f.is_group:
            for child in f.children:
                visit(child)
        else:
            keys.add(f.path)

    for f in fields:
        visit(f)
    return _Level(frozenset(keys), tuple(repeats))


def _paths_in_repeats(fields: Mapping[str, Field]) -> frozenset[str]:
    """The paths forms.validate._inside_repeat says True for: an ancestor path is a repeat."""
    inside = set()
    for path in fields:
        parts = path.split("/")
        for end in range(3, len(parts)):
            outer = fields.get("/".join(parts[:end]))
            if outer is not None and outer.is_repeat:
                inside.add(path)
                break
    return frozenset(inside)


def _fits(schema: FormSchema, level: _Level, scope: Mapping[Any, Any]) -> bool:
    """No unknown key, and every repeat a list of mappings that fit in turn (relevant or not:
    the full run builds every entry, and reports these before any condition is decided)."""
    keys = level.keys
    for key in scope:
        if key not in keys and not is_meta(schema, key):
            return False
    for path, inner in level.repeats:
        entries = scope.get(path)
        if entries is None:
            continue
        if not isinstance(entries, list):
            return False
        for entry in entries:
            if not isinstance(entry, Mapping) or not _fits(schema, inner, entry):
                return False
    return True
