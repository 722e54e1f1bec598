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

from forms.answer_types import is_empty, serialise, type_problem, unknown_choices, value_kind
from forms.choice_filter import choice_condition
from forms.schema import Field, FormSchema
from forms.validate_plain_compile import compiled_condition

# OpenRosa metadata a client may send although the form does not declare it.
META_NAMES = frozenset(
    "instanceID deprecatedID instanceName audit entity timeStart timeEnd userID deviceID".split()
)
TRUE_LITERALS = frozenset(("true()", "true", "yes", "1"))
FALSE_LITERALS = frozenset(("false()", "false", "no", "0", ""))


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
    walk = _Walk(plan, doc, now)
    return all(walk.passes(f, doc) for f in schema.children)


@dataclass(frozen=True, slots=True)
class _Level:
    """The keys a mapping (the document, or one repeat entry) may hold, and its repeats."""

    keys: frozenset[str]
    repeats: tuple[tuple[str, _Level], ...]  # (the repeat's path, the level of its entries)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the walk needs of a schema, computed once per schema."""

    fields: Mapping[str, Field]
    root: _Level
    in_repeats: frozenset[str]  # the paths of fields inside a repeat


def _plan(schema: FormSchema) -> _Plan:
    found: _Plan | None = schema.__dict__.get("_plain_plan")
    if found is None:
        fields = schema.fields_by_path()
        found = _Plan(fields, _level(schema.children), _paths_in_repeats(fields))
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


class _Walk:
    """The full run's checks of one document whose shape fits, stopping at the first doubt.

    `scope` is the mapping a field's answer is read from: the document, or the repeat entry
    the field is in (the full run's _Slot.scope).
    """

    __slots__ = ("plan", "doc", "now", "today")

    def __init__(self, plan: _Plan, doc: Mapping[str, Any], now: dt.datetime | None) -> None:
        self.plan, self.doc, self.now = plan, doc, now
        self.today: str | None = None

    def passes(self, f: Field, scope: Mapping[Any, Any]) -> bool:
        """The field (and, for a group, what it holds) raises no issue and no doubt."""
        if f.is_repeat:  # no entry, no slot: the repeat's relevance is never asked
            entries = scope.get(f.path)
            return entries is None or all(self.entry_passes(f, entry) for entry in entries)
        relevant = self.decide(f, scope, f.relevant, True)
        if relevant is None:
            return False
        if not relevant:
            return True
        if f.is_group:
            return all(self.passes(child, scope) for child in f.children)
        value = scope.get(f.path)
        if is_empty(value):
            return self.decide(f, scope, f.required, False) is False
        kind = value_kind(f)
        if type_problem(kind, value) or unknown_choices(f, kind, value):
            return False
        if f.choice_filter and kind in ("select1", "select"):
            if not self.filter_passes(f, scope, kind, value):
                return False
        return not f.constraint or self.decide(f, scope, f.constraint, True) is True

    def entry_passes(self, repeat: Field, entry: Mapping[Any, Any]) -> bool:
        """One entry of a repeat: its relevance, then (if relevant) its fields, read in it."""
        relevant = self.decide(repeat, entry, repeat.relevant, True)
        if relevant is None:
            return False
        return not relevant or all(self.passes(child, entry) for child in repeat.children)

    def filter_passes(self, f: Field, scope: Mapping[Any, Any], kind: str, value: Any) -> bool:
        """forms.validate._check_choice_filter finds every chosen option passes the filter."""
        for name in [value] if kind == "select1" else list(value):
            choice = f.choices_by_name.get(name)
            if choice is None:  # a list from a file: the full run skips it too
                continue
            condition = choice_condition(f.choice_filter or "", choice.name, choice.extra)
            if condition is None or self.decide(f, scope, condition, True) is not True:
                return False
        return True

    def decide(self, f: Field, scope: Mapping[Any, Any], expression: str | None,
               default: bool) -> bool | None:
        """forms.validate._decide without the XPath engine: None where it would be needed."""
        if expression is None:
            return default
        text = expression.strip()
        if text == "":
            return default
        if text in TRUE_LITERALS or text in FALSE_LITERALS:
            return text in TRUE_LITERALS
        condition = compiled_condition(text)  # SimpleCondition.decide's outcome, cheaper
        if condition is None:
            return None
        # Today's date only for a condition that may name today() (local time costs a lookup).
        today = self.today_text() if "today(" in text else ""
        return condition(lambda path: self.answer_text(f, scope, path), today)

    def today_text(self) -> str:
        if self.today is None:
            self.today = today_text(self.now)
        return self.today

    def answer_text(self, f: Field, scope: Mapping[Any, Any], path: str) -> str | None:
        """forms.validate._answer_text, the slot being `f` read in `scope`."""
        if path == ".":
            return None if f.is_group else serialise(scope.get(f.path))
        fields = self.plan.fields
        if path.startswith("../"):
            sibling = fields.get(f.path.rsplit("/", 1)[0] + path[2:])
            if sibling is None or sibling.is_group or f.is_group:
                return None
            return serialise(scope.get(sibling.path))
        target = fields.get(path)
        if target is None or target.is_group or target.path in self.plan.in_repeats:
            return None
        return serialise(self.doc.get(target.path))


def today_text(now: dt.datetime | None) -> str:
    """The date today() means: that of `now`, else of the local clock."""
    return (now or dt.datetime.now().astimezone()).date().isoformat()
