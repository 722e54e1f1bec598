"""One submission's data document turned into typed rows of every export table."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, Generic, TypeVar

from forms.answer_types import value_kind
from forms.export.cells import (
    Cell,
    as_date,
    as_datetime,
    as_number,
    as_text,
    as_time,
    geo_part,
    utc,
)
from forms.export.plan import Column, ExportPlan, Table
from forms.schema import Field, Translations

# A value document: absolute field path -> answer; a repeat's path -> list of such documents.
Document = Mapping[str, Any]
Rows = dict[str, list[list[Cell]]]
T = TypeVar("T")
# Reads one cell from (document, submission, KEY, PARENT_KEY).
Getter = Callable[[Document, "SubmissionRow", str, str], T]
_Getter = Getter[Cell]

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


# attrgetter where a cell is an attribute as it is: it costs less than a lambda per cell.
META_CELLS: Mapping[str, Callable[[SubmissionRow], Cell]] = {
    "SubmissionDate": lambda s: utc(s.submission_date),
    "KEY": attrgetter("instance_id"),
    "SubmitterID": attrgetter("submitter_id"),
    "SubmitterName": attrgetter("submitter_name"),
    "AttachmentsPresent": attrgetter("attachments_present"),
    "AttachmentsExpected": attrgetter("attachments_expected"),
    "Status": attrgetter("status"),
    "ReviewState": attrgetter("review_state"),
    "DeviceID": attrgetter("device_id"),
    "Edits": attrgetter("edits"),
    "FormVersion": attrgetter("form_version"),
    "ValidationStatus": attrgetter("validation_status"),
    "ValidationMessages": lambda s: MESSAGE_SEPARATOR.join(s.validation_messages) or None,
    "Conflict": lambda s: 1 if s.conflict else 0,
}


def rows_for_submission(plan: ExportPlan, submission: SubmissionRow) -> Rows:
    """Every table's rows for one submission, keyed by table name (the main table has one row).

    Cells are typed: numbers for integer and decimal questions and geopoint parts, dates
    for date questions, text otherwise (dateTime and time answers stay ISO text, as sent;
    sheet_tables types them for spreadsheets). Repeat rows carry Central's KEY and PARENT_KEY, e.g.
    "uuid:…/children/child[2]/toy[1]". With `plan.labels`, select answers become choice
    labels in the plan's language (several joined with LABEL_SEPARATOR).
    """
    tables = typed_tables(plan)
    rows: Rows = {table.name: [] for table in tables}
    append_rows(tables, submission, [rows[table.name] for table in tables])
    return rows


def typed_tables(plan: ExportPlan) -> tuple[CompiledTable[Cell], ...]:
    """`plan`'s tables with a typed cell getter per column (made once per plan)."""
    return compiled_tables(plan, "_compiled_rows", typed_getter)


def sheet_tables(plan: ExportPlan) -> tuple[CompiledTable[Cell], ...]:
    """Like typed_tables, with dateTime and time answers typed too, for spreadsheets.

    A dateTime answer becomes a datetime with its offset (the XLSX writer turns it to UTC),
    a time answer the time of day as answered; CSV and GeoJSON keep both as the text sent.
    """
    return compiled_tables(plan, "_compiled_sheet", sheet_getter)


def sheet_getter(plan: ExportPlan, column: Column) -> _Getter:
    """typed_getter, but dateTime and time answers read as datetime and time cells."""
    field = column.field
    kind = value_kind(field) if column.kind == "value" and field is not None else ""
    convert = {"dateTime": as_datetime, "time": as_time}.get(kind)
    if convert is None:
        return typed_getter(plan, column)
    return _value_getter(plan, column.path or "", convert)


@dataclass(frozen=True)
class CompiledTable(Generic[T]):
    """A table's cell getters, each made once per plan: building rows is the hot path."""

    name: str
    path: str | None
    parent: str | None
    segment: str  # the repeat's path below its parent's, e.g. "children/child"
    getters: tuple[Getter[T], ...]

    def main_row(self, submission: SubmissionRow) -> list[T]:
        """The main table's row of `submission`."""
        data, key = submission.data, submission.instance_id
        return [get(data, submission, key, "") for get in self.getters]


def compiled_tables(
    plan: ExportPlan, cache: str, getter: Callable[[ExportPlan, Column], Getter[T]]
) -> tuple[CompiledTable[T], ...]:
    """`plan`'s tables with a `getter(plan, column)` per column, kept on the plan as `cache`."""
    cached: tuple[CompiledTable[T], ...] | None = plan.__dict__.get(cache)
    if cached is None:
        cached = tuple(_compile_table(plan, table, getter) for table in plan.tables)
        # The plan is frozen, so what is compiled from it never goes stale.
        object.__setattr__(plan, cache, cached)
    return cached


def append_rows(tables: Sequence[CompiledTable[T]], submission: SubmissionRow,
                into: Sequence[list[list[T]]]) -> None:
    """Append one submission's rows of each table to the list at the same index of `into`.

    Repeat rows carry Central's KEY and PARENT_KEY, e.g. "uuid:…/children/child[2]/toy[1]".
    """
    into[0].append(tables[0].main_row(submission))
    # Tables come depth first, so a repeat's parent instances are known before its own.
    instances: dict[str | None, list[tuple[Document, str]]] = {
        None: [(submission.data, submission.instance_id)]
    }
    for table, rows in zip(tables[1:], into[1:], strict=True):
        found: list[tuple[Document, str]] = []
        getters = table.getters
        for parent, parent_key in instances.get(table.parent, ()):
            items = parent.get(table.path or "")
            if not isinstance(items, list):
                continue
            for index, item in enumerate(items, start=1):
                if not isinstance(item, Mapping):
                    continue
                key = f"{parent_key}/{table.segment}[{index}]"
                found.append((item, key))
                rows.append([get(item, submission, key, parent_key) for get in getters])
        instances[table.path] = found


def _compile_table(
    plan: ExportPlan, table: Table, getter: Callable[[ExportPlan, Column], Getter[T]]
) -> CompiledTable[T]:
    parent_path = table.parent_repeat_path or plan.root_path
    segment = (table.repeat_path or "")[len(parent_path) + 1 :]
    getters = tuple(getter(plan, column) for column in table.columns)
    return CompiledTable(table.name, table.repeat_path, table.parent_repeat_path, segment,
                         getters)


def typed_getter(plan: ExportPlan, column: Column) -> _Getter:
    """How one column's typed cell is read from a document, its submission and its keys."""
    if column.kind == "meta":
        meta = META_CELLS[column.header]
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
    return _value_getter(plan, path, value_converter(plan, column.field))


def chosen_values(value: object) -> tuple[str, ...]:
    """The choices a select-multiple answer names, whatever shape a client sent it in."""
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return () if value is None else (str(value),)


def _choice_getter(path: str, choice: str) -> _Getter:
    def get(data: Document, sub: SubmissionRow, key: str, parent: str) -> Cell:
        # Central fills every split column, answered or not: 1 when chosen, else 0.
        return 1 if choice in chosen_values(data.get(path)) else 0

    return get


def _value_getter(plan: ExportPlan, path: str, convert: Callable[[Any], Cell]) -> _Getter:
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


def value_converter(plan: ExportPlan, field: Field | None) -> Callable[[Any], Cell]:
    """How an answer to `field` becomes a typed cell (as_text when the field is unknown)."""
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
