"""Validate a submission document against its form schema; problems are reported, never raised."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from dataclasses import field as _default
from typing import Any
from xml.etree.ElementTree import Element, SubElement

from forms.answer_types import is_empty, serialise, type_problem, unknown_choices, value_kind
from forms.choice_filter import choice_condition
from forms.schema import Field, FormSchema
from forms.validate_plain import is_meta as _is_meta
from forms.validate_plain import plainly_valid
from forms.validate_plain_checks import FALSE_LITERALS as _FALSE
from forms.validate_plain_checks import TRUE_LITERALS as _TRUE
from forms.validate_plain_checks import today_text
from forms.validation_messages import message
from forms.xpath import FormContext, NotEvaluable, evaluate_boolean, make_context, node_of
from forms.xpath_simple import simple_condition


@dataclass(frozen=True)
class Issue:
    """One problem with a submission: where (with 1-based repeat positions), what, and why.

    `message` is in the language validation ran in; `messages` holds the same message in
    every language of the form, so that each reader can be shown their own.
    """

    path: str
    code: str  # unknown_field, type_error, not_in_choices, choice_filter, required, constraint
    message: str
    messages: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class NotChecked:
    """An expression the engine could not evaluate; it is never counted as a failure."""

    path: str
    expression: str
    reason: str


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of validating one submission."""

    valid: bool
    issues: tuple[Issue, ...] = ()
    not_checked: tuple[NotChecked, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The outcome as stored beside a version and shown in its JSON and exports.

        Each issue has `message` (the language validation ran in, the form's default unless
        asked otherwise) and `messages`, keyed by language code: readers pick theirs with
        forms.validation_messages.issue_message.
        """
        return {
            "status": "valid" if self.valid else "invalid",
            "issues": [{"path": i.path, "code": i.code, "message": i.message,
                        "messages": dict(i.messages)} for i in self.issues],
            "notChecked": [{"path": n.path, "expression": n.expression, "reason": n.reason}
                           for n in self.not_checked],
        }


@dataclass
class _Slot:
    """One node of the instance: a question, a group, or one entry of a repeat."""

    field: Field
    path: str  # with repeat positions, e.g. /data/rep[2]/q
    value: Any = None
    children: list[_Slot] = _default(default_factory=list)
    element: Element | None = None  # set when the instance tree is built
    scope: Mapping[Any, Any] = _default(default_factory=dict)  # the values around it


@dataclass
class _Run:
    """What one validation run needs, and what it has found so far."""

    schema: FormSchema
    lang: str
    fields: Mapping[str, Field]
    doc: Mapping[str, Any]
    now: dt.datetime | None
    languages: tuple[str, ...] = ()  # every language of the form, for Issue.messages
    slots: list[_Slot] = field(default_factory=list)
    context: FormContext | None = None
    issues: list[Issue] = field(default_factory=list)
    not_checked: list[NotChecked] = field(default_factory=list)

    def report(self, path: str, code: str, **values: str) -> None:
        self.report_text(path, code, lambda lang: message(code, lang, **values))

    def report_text(self, path: str, code: str, text: Callable[[str], str]) -> None:
        """An issue whose message in a language is `text(language)`."""
        texts = {lang: text(lang) for lang in self.languages}
        own = texts.get(self.lang) or text(self.lang)
        self.issues.append(Issue(path, code, own, texts))


def validate_submission(
    schema: FormSchema,
    doc: Mapping[str, Any],
    *,
    lang: str | None = None,
    now: dt.datetime | None = None,
) -> ValidationResult:
    """Check `doc` (values keyed by absolute field path) against `schema`.

    Reports unknown fields, type errors, values outside the choice list, missing required
    values of relevant fields and failing constraints, in `lang` (default: the form's
    default language), each also in every language of the form. Expressions the engine
    cannot evaluate are listed in `not_checked` and never count as failures. Never raises
    for any document.
    """
    if isinstance(doc, Mapping) and plainly_valid(schema, doc, now):
        return _VALID  # what the run below would find, at a fraction of its cost
    run = _Run(
        schema,
        lang or schema.default_language,
        schema.fields_by_path(),
        doc if isinstance(doc, Mapping) else {},
        now,
        tuple(dict.fromkeys((*schema.languages, schema.default_language))),
    )
    run.slots = _build_level(run, schema.children, doc, f"/{schema.root_name}")
    for slot in run.slots:
        _check(run, slot, outer_relevant=True)
    return ValidationResult(not run.issues, tuple(run.issues), tuple(run.not_checked))


_VALID = ValidationResult(True)


# -- the instance tree, built from the document so that XPath sees what a device would send


def _build_level(run: _Run, fields: tuple[Field, ...], scope: Any, path: str) -> list[_Slot]:
    """Slots for `fields`, whose values are keyed in `scope` (the document or a repeat entry)."""
    if not isinstance(scope, Mapping):
        scope = {}
    expected: set[str] = set()
    slots = [s for f in fields for s in _build_field(run, f, scope, path, expected)]
    for key in scope:
        if key not in expected and not _is_meta(run.schema, key):
            run.report(_positioned(key, fields, path), "unknown_field")
    return slots


def _build_field(
    run: _Run, f: Field, scope: Mapping[Any, Any], path: str, expected: set[str]
) -> list[_Slot]:
    here = f"{path}/{f.name}"
    if f.is_repeat:
        expected.add(f.path)
        return _build_repeat(run, f, scope.get(f.path), here)
    slot = _Slot(f, here, scope=scope)
    if f.is_group:
        for child in f.children:
            slot.children += _build_field(run, child, scope, here, expected)
    else:
        expected.add(f.path)
        slot.value = scope.get(f.path)
    return [slot]


def _build_repeat(run: _Run, repeat: Field, entries: Any, path: str) -> list[_Slot]:
    """One slot per repeat entry, each its own element, as in an XForms instance."""
    if entries is not None and not isinstance(entries, list):
        run.report(path, "type_error", kind="repeat")
    slots = []
    for position, entry in enumerate(entries if isinstance(entries, list) else [], start=1):
        slot = _Slot(repeat, f"{path}[{position}]")
        if not isinstance(entry, Mapping):
            run.report(slot.path, "type_error", kind="repeat")
        slot.children = _build_level(run, repeat.children, entry, slot.path)
        slots.append(slot)
    return slots


def _instance_tree(run: _Run) -> Element:
    """The instance as XML elements, one per slot, for the XPath engine."""
    root = Element(run.schema.root_name)

    def attach(parent: Element, slots: list[_Slot]) -> None:
        for slot in slots:
            slot.element = SubElement(parent, slot.field.name)
            if slot.field.is_group:
                attach(slot.element, slot.children)
            else:
                slot.element.text = serialise(slot.value)

    attach(root, run.slots)
    return root


def _positioned(key: Any, fields: tuple[Field, ...], path: str) -> str:
    """Where an unexpected key sits: inside a repeat entry, keep the entry's position."""
    text = str(key)
    if fields and "[" in path:
        base = fields[0].path.rsplit("/", 1)[0]
        if text.startswith(base + "/"):
            return path + text[len(base) :]
    return text


# -- checking, in form order; a non-relevant group hides everything below it


def _check(run: _Run, slot: _Slot, outer_relevant: bool | None) -> None:
    """`outer_relevant` is None when an enclosing relevance could not be evaluated."""
    relevant = _decide(run, slot, slot.field.relevant, default=True)
    if relevant is False:
        return
    relevant = None if relevant is None or outer_relevant is None else True
    if slot.field.is_group:
        for child in slot.children:
            _check(run, child, relevant)
    else:
        _check_answer(run, slot, relevant)


def _check_answer(run: _Run, slot: _Slot, relevant: bool | None) -> None:
    f = slot.field
    if is_empty(slot.value):
        # Required cannot be judged when relevance is unknown; that is listed as not checked.
        if relevant and _decide(run, slot, f.required, default=False):
            run.report(slot.path, "required")
        return
    kind = value_kind(f)
    if type_problem(kind, slot.value):
        run.report(slot.path, "type_error", kind=kind)
        return
    unknown = unknown_choices(f, kind, slot.value)
    for name in unknown:
        run.report(slot.path, "not_in_choices", value=name[:100])
    if f.choice_filter and not unknown and kind in ("select1", "select"):
        _check_choice_filter(run, slot, kind)
    if f.constraint and _decide(run, slot, f.constraint, default=True) is False:
        run.report_text(slot.path, "constraint", lambda lang: _constraint_message(run, f, lang))


def _check_choice_filter(run: _Run, slot: _Slot, kind: str) -> None:
    """Each chosen option must pass the question's choice_filter, given the other answers."""
    f = slot.field
    for name in [slot.value] if kind == "select1" else list(slot.value):
        choice = f.choices_by_name.get(name)
        if choice is None:  # a list from a file: its columns are not known here
            continue
        condition = choice_condition(f.choice_filter or "", choice.name, choice.extra)
        if condition is None:
            reason = "the filter names a column the choice list does not have"
            run.not_checked.append(NotChecked(slot.path, f.choice_filter or "", reason))
        elif _decide(run, slot, condition, default=True) is False:
            run.report(slot.path, "choice_filter", value=name[:100])


def _decide(run: _Run, slot: _Slot, expression: str | None, *, default: bool) -> bool | None:
    """The boolean value of a bind expression at `slot`, or None when it cannot be evaluated."""
    if expression is None or expression.strip() == "":
        return default
    text = expression.strip()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    simple = _simple_decision(run, slot, text)
    if simple is not None:
        return simple
    if run.context is None:  # built on first need: most submissions never need it
        run.context = make_context(
            _instance_tree(run), now=run.now, choice_label=lambda p, v: _choice_label(run, p, v)
        )
    assert slot.element is not None
    try:
        return evaluate_boolean(text, run.context, node_of(run.context, slot.element))
    except NotEvaluable as problem:
        run.not_checked.append(NotChecked(slot.path, expression, problem.reason))
        return None


def _simple_decision(run: _Run, slot: _Slot, expression: str) -> bool | None:
    """The value of a condition on answers and literals, or None for other expressions."""
    condition = simple_condition(expression)
    if condition is None:
        return None
    # Today's date only for a condition that may name today() (local time costs a lookup).
    today = today_text(run.now) if "today(" in expression else ""
    return condition.decide(lambda path: _answer_text(run, slot, path), today)


def _answer_text(run: _Run, slot: _Slot, path: str) -> str | None:
    """The text of the one answer `path` names from `slot`, or None when it is not one answer.

    `.` must be a question (a group's string value joins its descendants); `../name` a
    question beside it, in the same repeat entry if any; an absolute path a question outside
    every repeat, which the instance holds exactly once.
    """
    if path == ".":
        return None if slot.field.is_group else serialise(slot.value)
    if path.startswith("../"):
        sibling = run.fields.get(slot.field.path.rsplit("/", 1)[0] + path[2:])
        if sibling is None or sibling.is_group or slot.field.is_group:
            return None
        return serialise(slot.scope.get(sibling.path))
    target = run.fields.get(path)
    if target is None or target.is_group or _inside_repeat(run.fields, target.path):
        return None
    return serialise(run.doc.get(target.path))


def _inside_repeat(fields: Mapping[str, Field], path: str) -> bool:
    parts = path.split("/")
    for end in range(3, len(parts)):
        outer = fields.get("/".join(parts[:end]))
        if outer is not None and outer.is_repeat:
            return True
    return False


def _constraint_message(run: _Run, f: Field, lang: str) -> str:
    """The form's constraint message in `lang`, else in its default language, else any of
    the form's, else Kenesh's generic one in `lang`."""
    texts = f.constraint_messages
    for code in (lang, run.schema.default_language, "default"):
        if texts.get(code):
            return texts[code]
    return next((t for t in texts.values() if t), message("constraint", lang))


def _choice_label(run: _Run, path: str, value: str) -> str:
    """jr:choice-name(): the label of `value` in the field's choice list, in the run's language."""
    f = run.fields.get(path)
    choice = f.choices_by_name.get(value) if f else None
    if choice is None:
        return ""
    for lang in (run.lang, run.schema.default_language, "default"):
        if choice.labels.get(lang):
            return choice.labels[lang]
    return next(iter(choice.labels.values()), value)
