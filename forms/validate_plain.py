"""Whether a submission is plainly valid: the common case of validation, decided cheaply.

``forms.validate`` builds a slot per instance node, an issue list and, when a condition needs
it, an XPath tree. Most submissions are valid and their forms' conditions simple; for them
this walk of the form answers the same "valid, nothing left unchecked" from the document
alone, with the same checks in the same order. It answers False whenever the full run could
say anything else (an issue, a condition it cannot decide, a repeat): the caller then runs
the full validation, which alone words issues. So its True is always the full run's outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from forms.answer_types import is_empty, serialise, type_problem, unknown_choices, value_kind
from forms.schema import Field, FormSchema
from forms.xpath_simple import simple_condition

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
    fields = schema.fields_by_path()
    expected = _expected(schema)
    if expected is None:
        return False  # repeats: their entries are validated one by one by the full run
    for key in doc:
        if key not in expected and not is_meta(schema, key):
            return False
    walk = _Walk(fields, doc, now)
    return all(walk.passes(f) for f in schema.children)


def _expected(schema: FormSchema) -> frozenset[str] | None:
    """The paths of the form's questions (computed once per schema); None if it has repeats."""
    found: frozenset[str] | None | bool = schema.__dict__.get("_plain_expected", False)
    if found is False:
        fields = list(schema.walk())
        found = None if any(f.is_repeat for f in fields) else frozenset(
            f.path for f in fields if not f.is_group
        )
        # The schema is frozen, so this can never go stale.
        object.__setattr__(schema, "_plain_expected", found)
    return found  # type: ignore[return-value]


class _Walk:
    """The full run's checks of one document without repeats, stopping at the first doubt."""

    __slots__ = ("fields", "doc", "now", "today")

    def __init__(self, fields: Mapping[str, Field], doc: Mapping[str, Any],
                 now: dt.datetime | None) -> None:
        self.fields, self.doc, self.now = fields, doc, now
        self.today: str | None = None

    def passes(self, f: Field) -> bool:
        """The field (and, for a group, what it holds) raises no issue and no doubt."""
        relevant = self.decide(f, f.relevant, True)
        if relevant is None:
            return False
        if not relevant:
            return True
        if f.is_group:
            return all(self.passes(child) for child in f.children)
        value = self.doc.get(f.path)
        if is_empty(value):
            return self.decide(f, f.required, False) is False
        kind = value_kind(f)
        if type_problem(kind, value) or unknown_choices(f, kind, value):
            return False
        if f.choice_filter and kind in ("select1", "select"):
            return False
        return not f.constraint or self.decide(f, f.constraint, True) is True

    def decide(self, f: Field, expression: str | None, default: bool) -> bool | None:
        """forms.validate._decide without the XPath engine: None where it would be needed."""
        if expression is None:
            return default
        text = expression.strip()
        if text == "":
            return default
        if text in TRUE_LITERALS or text in FALSE_LITERALS:
            return text in TRUE_LITERALS
        condition = simple_condition(text)
        if condition is None:
            return None
        # Today's date only for a condition that may name today() (local time costs a lookup).
        today = self.today_text() if "today(" in text else ""
        return condition.decide(lambda path: self.answer_text(f, path), today)

    def today_text(self) -> str:
        if self.today is None:
            self.today = today_text(self.now)
        return self.today

    def answer_text(self, f: Field, path: str) -> str | None:
        """forms.validate._answer_text for a document without repeats."""
        if path == ".":
            return None if f.is_group else serialise(self.doc.get(f.path))
        if path.startswith("../"):
            sibling = self.fields.get(f.path.rsplit("/", 1)[0] + path[2:])
            if sibling is None or sibling.is_group or f.is_group:
                return None
            return serialise(self.doc.get(sibling.path))
        target = self.fields.get(path)
        if target is None or target.is_group:
            return None
        return serialise(self.doc.get(target.path))


def today_text(now: dt.datetime | None) -> str:
    """The date today() means: that of `now`, else of the local clock."""
    return (now or dt.datetime.now().astimezone()).date().isoformat()
