"""One submission's data document turned into typed rows of every export table."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forms.export.cells import Cell, as_date, as_number, as_text, geo_part, utc
from forms.export.plan import Column, ExportPlan, Table
from forms.schema import Field, Translations

# A value document: absolute field path -> answer; a repeat's path -> list of such documents.
Document = Mapping[str, Any]
Rows = dict[str, list[list[Cell]]]
_Getter = Callable[[Document, "SubmissionRow", str, str], Cell]

# Joins the choice labels of a select multiple answer; labels can hold spaces, so the
# space that separates choice names would be ambiguous.
LABEL_SEPARATOR = "; "
MESSAGE_SEPARATOR = "; "


@dataclass(frozen=True)
class SubmissionRow:
    """What the server reads for one submission: its metadata and its current data document."""

    instance_id: str
    submission_date: datetime
    data: Document
    submitter_id: int | str | None = None
    submitter_name: str | None = None
    attachments_present: int = 0
    attachments_expected: int = 0
    status: str | None = None  # Central: only set for encrypted submissions it cannot read
    review_state: str | None = None  # None means received, as in Central
    device_id: str | None = None
    edits: int = 0
    form_version: str | None = None
    validation_status: str | None = None
    validation_messages: tuple[str, ...] = ()
    conflict: bool = False


_META: Mapping[str, Callable[[SubmissionRow], Cell]] = {
    "SubmissionDate": lambda s: utc(s.submission_date),
    "KEY": lambda s: s.instance_id,
    "SubmitterID": lambda s: s.submitter_id,
    "SubmitterName": lambda s: s.submitter_name,
    "AttachmentsPresent": lambda s: s.attachments_present,
    "AttachmentsExpected": lambda s: s.attachments_expected,
    "Status": lambda s: s.status,
    "ReviewState": lambda s: s.review_state,
    "DeviceID": lambda s: s.device_id,
    "Edits": lambda s: s.edits,
    "FormVersion": lambda s: s.form_version,
    "ValidationStatus": lambda s: s.validation_status,
    "ValidationMessages": lambda s: MESSAGE_SEPARATOR.join(s.validation_messages) or None,
    "Conflict": lambda s: 1 if s.conflict else 0,
}


def rows_for_submission(plan: ExportPlan, submission: SubmissionRow) -> Rows:
    """Every table's rows for one submission, keyed by table name (the main table has one row).

    Cells are typed: numbers for integer and decimal questions and geopoint parts, dates
    for date questions, text otherwise (datetimes stay ISO text: spreadsheets cannot keep
    their time zone). Repeat rows carry Central's KEY and PARENT_KEY, e.g.
    "uuid:…/children/child[2]/toy[1]". With `plan.labels`, select answers become choice
    labels in the plan's language (several joined with LABEL_SEPARATOR).
    """
    compiled = _compiled(plan)
    rows: Rows = {table.name: [] for table in plan.tables}
    main = compiled[0]
    rows[main.name].append([get(submission.data, submission, submission.instance_id, "")
                            for get in main.getters])
    # Tables come depth first, so a repeat's parent instances are known before its own.
    instances: dict[str | None, list[tuple[Document, str]]] = {
        None: [(submission.data, submission.instance_id)]
    }
    for table in compiled[1:]:
        found: list[tuple[Document, str]] = []
        for parent, parent_key in instances.get(table.parent, ()):
            items = parent.get(table.path or "")
            if not isinstance(items, list):
                continue
            for index, item in enumerate(items, start=1):
                if not isinstance(item, Mapping):
                    continue
                key = f"{parent_key}/{table.segment}[{index}]"
                found.append((item, key))
                rows[table.name].append([get(item, submission, key, parent_key)
                                         for get in table.getters])
        instances[table.path] = found
    return rows


@dataclass(frozen=True)
class _CompiledTable:
    name: str
    path: str | None
    parent: str | None
    segment: str  # the repeat's path below its parent's, e.g. "children/child"
    getters: tuple[_Getter, ...]


def _compiled(plan: ExportPlan) -> tuple[_CompiledTable, ...]:
    cached: tuple[_CompiledTable, ...] | None = plan.__dict__.get("_compiled_rows")
    if cached is None:
        cached = tuple(_compile_table(plan, table) for table in plan.tables)
        # The plan is frozen, so what is compiled from it never goes stale.
        object.__setattr__(plan, "_compiled_rows", cached)
    return cached


def _compile_table(plan: ExportPlan, table: Table) -> _CompiledTable:
    parent_path = table.parent_repeat_path or plan.root_path
    segment = (table.repeat_path or "")[len(parent_path) + 1 :]
    getters = tuple(_getter(plan, column) for column in table.columns)
    return _CompiledTable(table.name, table.repeat_path, table.parent_repeat_path, segment,
                          getters)


def _getter(plan: ExportPlan, column: Column) -> _Getter:
    if column.kind == "meta":
        meta = _META[column.header]
        return lambda data, sub, key, parent: meta(sub)
    if column.kind == "key":
        return lambda data, sub, key, parent: key
    if column.kind == "parent_key":
        return lambda data, sub, key, parent: parent
    path = column.path or ""
    if column.kind == "geo":
        part = column.part
        return lambda data, sub, key, parent: geo_part(data.get(path), part)
    if column.kind == "choice":
        return _choice_getter(path, column.choice or "")
    return _value_getter(plan, path, column.field)


def _choice_getter(path: str, choice: str) -> _Getter:
    def get(data: Document, sub: SubmissionRow, key: str, parent: str) -> Cell:
        value = data.get(path)
        chosen = value.split() if isinstance(value, str) else value or ()
        # Central fills every split column, answered or not: 1 when chosen, else 0.
        return 1 if choice in chosen else 0

    return get


def _value_getter(plan: ExportPlan, path: str, field: Field | None) -> _Getter:
    convert = _converter(plan, field)
    if path == f"{plan.root_path}/meta/instanceID":
        # A document may leave the instanceID out; it is the submission's own.
        return lambda data, sub, key, parent: convert(data.get(path) or sub.instance_id)

    # Answers that already have the column's type skip the converter: this is the hot path.
    ready = str if convert is as_text else int if convert is as_number else None

    def get(data: Document, sub: SubmissionRow, key: str, parent: str) -> Cell:
        value = data.get(path)
        if value.__class__ is ready:
            return None if value == "" else value
        return None if value is None or value == "" else convert(value)

    return get


def _converter(plan: ExportPlan, field: Field | None) -> Callable[[Any], Cell]:
    if field is None:
        return as_text
    if plan.labels and (field.is_select_one or field.is_select_multiple):
        return _label_converter(plan, field)
    if field.data_type in ("int", "integer", "decimal") or field.type in ("integer", "decimal"):
        return as_number
    if field.data_type == "date" or field.type == "date":
        return as_date
    return as_text


def _label_converter(plan: ExportPlan, field: Field) -> Callable[[Any], Cell]:
    labels = {c.name: _label(c.labels, plan.lang, plan.default_language, c.name)
              for c in field.choices}

    def convert(value: Any) -> Cell:
        names: Sequence[Any] = value.split() if isinstance(value, str) else value
        if not isinstance(names, list | tuple):
            names = [names]
        return LABEL_SEPARATOR.join(labels.get(str(name), str(name)) for name in names)

    return convert


def _label(texts: Translations, lang: str | None, default: str, fallback: str) -> str:
    for code in (lang, default):
        text = texts.get(code or "", "").strip()
        if text:
            return text
    return next((t.strip() for t in texts.values() if t.strip()), fallback)
