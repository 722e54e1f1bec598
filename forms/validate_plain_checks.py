"""The plain validation walk (forms.validate_plain) compiled once per schema: a check per field.

What the walk would ask of a field on every submission is settled when the schema is first
seen: whether a condition is a constant (absent, empty, `true()`, `no`, ...), which compiled
condition decides it, which answer each of its paths reads, which type check its answers
need and whether they are checked against a choice list. A check then only reads answers.
Each check answers as the walk's `passes` did: True only when the full validation would find
no issue and leave nothing unchecked for the field (and what it holds); False at any doubt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from forms.answer_types import is_empty, serialise, type_check, value_kind
from forms.choice_filter import choice_condition
from forms.schema import Field
from forms.validate_plain_compile import Reader, bound_condition

TRUE_LITERALS = frozenset(("true()", "true", "yes", "1"))
FALSE_LITERALS = frozenset(("false()", "false", "no", "0", ""))
_UNSEEN: Any = object()  # an option whose filter condition is not compiled yet


class Reading:
    """What a check reads besides the mapping its field's answer is in: the whole document
    (absolute paths read it) and today's date, worked out at most once per submission."""

    __slots__ = ("doc", "now", "today")

    def __init__(self, doc: Mapping[str, Any], now: dt.datetime | None) -> None:
        self.doc, self.now = doc, now
        self.today: str | None = None

    def today_text(self) -> str:
        """The date today() means for this submission."""
        if self.today is None:
            self.today = today_text(self.now)
        return self.today


def today_text(now: dt.datetime | None) -> str:
    """The date today() means: that of `now`, else of the local clock."""
    return (now or dt.datetime.now().astimezone()).date().isoformat()


# (scope, reading) -> whether the field passes; scope is the document or a repeat's entry.
Check = Callable[[Mapping[Any, Any], Reading], bool]
# (scope, reading) -> a condition's value, None when only the XPath engine could decide it.
Decision = Callable[[Mapping[Any, Any], Reading], "bool | None"]


class Form:
    """What the checks of one schema share: its fields by path and those inside a repeat."""

    __slots__ = ("fields", "in_repeats")

    def __init__(self, fields: Mapping[str, Field], in_repeats: frozenset[str]) -> None:
        self.fields, self.in_repeats = fields, in_repeats


def field_check(f: Field, form: Form) -> Check:
    """The check of `f` (and, for a group or repeat, of what it holds)."""
    if f.is_repeat:
        return _repeat_check(f, form)
    relevant = decision(f, f.relevant, True, form)
    if relevant is None:
        return _doubt
    if relevant is False:
        return _passes
    inner = _group_check(f, form) if f.is_group else _question_check(f, form)
    if relevant is True:
        return inner

    def check(scope: Mapping[Any, Any], reading: Reading) -> bool:
        outcome = relevant(scope, reading)
        return outcome is not None and (not outcome or inner(scope, reading))

    return check


def _passes(scope: Mapping[Any, Any], reading: Reading) -> bool:
    return True


def _doubt(scope: Mapping[Any, Any], reading: Reading) -> bool:
    return False


def _all_of(checks: tuple[Check, ...]) -> Check:
    def check(scope: Mapping[Any, Any], reading: Reading) -> bool:
        for one in checks:
            if not one(scope, reading):
                return False
        return True

    return check


def _group_check(f: Field, form: Form) -> Check:
    return _all_of(tuple(field_check(child, form) for child in f.children))


def _repeat_check(f: Field, form: Form) -> Check:
    """No entry, no slot: the repeat's relevance is asked of each entry, never of the repeat,
    and a relevant entry's fields are read in it."""
    path, relevant = f.path, _as_decision(decision(f, f.relevant, True, form))
    fields = _all_of(tuple(field_check(child, form) for child in f.children))

    def check(scope: Mapping[Any, Any], reading: Reading) -> bool:
        entries = scope.get(path)
        if entries is None:
            return True
        for entry in entries:
            outcome = relevant(entry, reading)
            if outcome is None or (outcome and not fields(entry, reading)):
                return False
        return True

    return check


def _question_check(f: Field, form: Form) -> Check:
    """An answered question: its type, its choices, its choice filter, its constraint; an
    unanswered one: whether it is required."""
    path, kind = f.path, value_kind(f)
    required = decision(f, f.required, False, form)
    constraint = decision(f, f.constraint, True, form) if f.constraint else True
    wrong_type = type_check(kind)
    selects = kind in ("select1", "select")
    known = f.choices_by_name if selects and f.choices and not f.itemset_file else None
    chosen_pass = _filter_check(f, form) if selects and f.choice_filter else None

    def check(scope: Mapping[Any, Any], reading: Reading) -> bool:
        value: Any = scope.get(path)
        if is_empty(value):
            outcome = required(scope, reading) if callable(required) else required
            return outcome is False
        if wrong_type(value):
            return False
        if known is not None or chosen_pass is not None:
            names = [value] if kind == "select1" else list(value)
            if known is not None and any(name not in known for name in names):
                return False
            if chosen_pass is not None and not all(chosen_pass(n, scope, reading) for n in names):
                return False
        outcome = constraint(scope, reading) if callable(constraint) else constraint
        return outcome is True

    return check


def _filter_check(f: Field, form: Form) -> Callable[[str, Mapping[Any, Any], Reading], bool]:
    """Whether a chosen option passes the field's choice filter (forms.validate's
    _check_choice_filter); each option's condition compiled when first chosen."""
    decisions: dict[str, bool | None | Decision] = {}

    def passes(name: str, scope: Mapping[Any, Any], reading: Reading) -> bool:
        choice = f.choices_by_name.get(name)
        if choice is None:  # a list from a file: the full run skips it too
            return True
        found = decisions.get(name, _UNSEEN)
        if found is _UNSEEN:
            condition = choice_condition(f.choice_filter or "", choice.name, choice.extra)
            found = decisions[name] = (
                None if condition is None else decision(f, condition, True, form)
            )
        outcome = found(scope, reading) if callable(found) else found
        return outcome is True

    return passes


def decision(f: Field, expression: str | None, default: bool, form: Form) -> bool | None | Decision:
    """forms.validate._decide without the XPath engine, as a constant when the expression is
    one (absent or empty: `default`), else as a Decision; None when the engine is needed."""
    if expression is None:
        return default
    text = expression.strip()
    if text == "":
        return default
    if text in TRUE_LITERALS or text in FALSE_LITERALS:
        return text in TRUE_LITERALS
    # SimpleCondition.decide's outcome, each of its paths read by a reader chosen here.
    return bound_condition(text, lambda path: _answer_reader(f, path, form), _today)


def _today(scope: Mapping[Any, Any], reading: Reading) -> str:
    return reading.today_text()


def _as_decision(found: bool | None | Decision) -> Decision:
    if callable(found):
        return found
    return lambda scope, reading: found


def _answer_reader(f: Field, path: str, form: Form) -> Reader:
    """forms.validate._answer_text for a path of a condition on `f`, resolved once: `.` and
    `../name` read the scope `f` is read in, an absolute path the document."""
    if path == ".":
        key: str | None = None if f.is_group else f.path
        return _nothing if key is None else lambda scope, reading: serialise(scope.get(key))
    if path.startswith("../"):
        sibling = form.fields.get(f.path.rsplit("/", 1)[0] + path[2:])
        if sibling is None or sibling.is_group or f.is_group:
            return _nothing
        key = sibling.path
        return lambda scope, reading: serialise(scope.get(key))
    target = form.fields.get(path)
    if target is None or target.is_group or target.path in form.in_repeats:
        return _nothing
    key = target.path
    return lambda scope, reading: serialise(reading.doc.get(key))


def _nothing(scope: Mapping[Any, Any], reading: Reading) -> None:
    return None
