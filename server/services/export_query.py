"""The export's query: filters as SQL where they can be, rows streamed from a server-side cursor.

A parsed $filter is split into its top-level conjuncts. A conjunct that only compares a
submission column (`__id`, `__system/*`) with a literal becomes SQL; anything else (form fields,
which live in the JSON document, date functions, `or`/`not` mixing both kinds) is evaluated in
Python with forms.odata's `matches_values` on each streamed row, with the same three-valued
logic. Both kinds together give exactly the rows the whole filter matches.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from threading import Event
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, cast, func, null, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from forms.export import SubmissionRow
from forms.odata import And, Call, Compare, Constant, FilterExpr, Member, matches_values
from forms.validation_messages import issue_message
from server.models import Actor, FormDef, Submission, SubmissionAttachment, SubmissionDef

FORM_VERSION_MEMBER = "__system/formVersion"  # Kenesh's addition to Central's filter fields
STREAM_BATCH = 1000  # rows per fetch from the server-side cursor
_FLIPPED = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
_DATES = ("__system/submissionDate", "__system/updatedAt", "__system/deletedAt")


def _member_column(name: str) -> Any:
    return {
        "__id": Submission.instance_id,
        "__system/submissionDate": Submission.created_at,
        "__system/updatedAt": Submission.updated_at,
        "__system/deletedAt": Submission.deleted_at,
        "__system/submitterId": Submission.submitter_id,
        "__system/reviewState": Submission.review_state,
        FORM_VERSION_MEMBER: FormDef.version,
    }.get(name)


@dataclass(frozen=True)
class SplitFilter:
    """A $filter as SQL conditions plus what is left for Python (None: nothing)."""

    sql: tuple[ColumnElement[bool], ...]
    residual: FilterExpr | None


def split_filter(expr: FilterExpr | None) -> SplitFilter:
    """SQL for the conjuncts that compare a submission column with a literal; the rest stays."""
    if expr is None:
        return SplitFilter((), None)
    sql: list[ColumnElement[bool]] = []
    rest: list[FilterExpr] = []
    for conjunct in _conjuncts(expr):
        clause = _compare_sql(conjunct)
        if clause is None:
            rest.append(conjunct)
        else:
            sql.append(clause)
    residual: FilterExpr | None = None
    for part in rest:
        residual = part if residual is None else And(residual, part)
    return SplitFilter(tuple(sql), residual)


def _conjuncts(expr: FilterExpr) -> list[FilterExpr]:
    if isinstance(expr, And):
        return [*_conjuncts(expr.left), *_conjuncts(expr.right)]
    return [expr]


def _compare_sql(expr: FilterExpr) -> ColumnElement[bool] | None:
    if not isinstance(expr, Compare):
        return None
    op, left, right = expr.op, expr.left, expr.right
    if isinstance(left, Constant | Call) and isinstance(right, Member):
        op, left, right = _FLIPPED[op], right, left
    if not isinstance(left, Member) or left.path is not None:
        return None
    column = _member_column(left.name)
    value = _literal(left.name, right)
    if column is None or value is _UNTRANSLATABLE:
        return None
    if op == "eq":
        return column.is_not_distinct_from(value)  # type: ignore[no-any-return]
    if op == "ne":
        return column.is_distinct_from(value)  # type: ignore[no-any-return]
    if value is None:
        return None  # an ordering against null is never true: let Python say so
    return {"lt": column < value, "le": column <= value, "gt": column > value,
            "ge": column >= value}[op]


_UNTRANSLATABLE = object()


def _literal(member: str, operand: Any) -> Any:
    """The operand as a value of the member's column type, or _UNTRANSLATABLE."""
    if isinstance(operand, Call):
        return datetime.now(UTC) if operand.function == "now" and member in _DATES \
            else _UNTRANSLATABLE
    if not isinstance(operand, Constant):
        return _UNTRANSLATABLE
    value = operand.value
    if value is None:
        return None
    if member in _DATES:
        return _as_instant(value)
    if member == "__system/submitterId":
        return value if isinstance(value, int) and not isinstance(value, bool) else _UNTRANSLATABLE
    # Text columns: other literal types compare by Python's coercion rules instead.
    return value if isinstance(value, str) else _UNTRANSLATABLE


def _as_instant(value: Any) -> Any:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        # A date compared with an instant is its midnight in UTC, as forms.odata evaluates it.
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return _UNTRANSLATABLE


# ---------------------------------------------------------------------------------------------
# The query


_Current = aliased(SubmissionDef, name="current_def")


def export_query(form_id: int, where: Sequence[ColumnElement[bool]], *,
                 include_deleted: bool = False, change_times: bool = True) -> Select[Any]:
    """Every column a SubmissionRow needs, one row per live submission, newest first (Central).

    Without `change_times`, updated_at and deleted_at come back as None: only a Python
    $filter reads them, and converting them costs time on every row.
    """
    expected = (select(func.count()).select_from(SubmissionAttachment)
                .where(SubmissionAttachment.submission_def_id == _Current.id)
                .correlate(_Current).scalar_subquery())
    present = (select(func.count()).select_from(SubmissionAttachment)
               .where(SubmissionAttachment.submission_def_id == _Current.id,
                      col(SubmissionAttachment.blob_id).is_not(None))
               .correlate(_Current).scalar_subquery())
    times: tuple[Any, Any] = ((Submission.updated_at, Submission.deleted_at) if change_times
                              else (null(), null()))
    query = (
        select(
            Submission.instance_id, Submission.created_at, *times, Submission.submitter_id, Actor.display_name,
            Submission.review_state, Submission.device_id, Submission.version,
            Submission.conflict, FormDef.version, _Current.data,
            # As text: most submissions share a few validation documents, decoded once each.
            cast(_Current.validation, Text),
            _Current.id, present, expected,
        )
        .join(_Current, and_(col(_Current.submission_id) == Submission.id,
                             col(_Current.current).is_(True)))
        .join(FormDef, col(FormDef.id) == _Current.form_def_id)
        .outerjoin(Actor, col(Actor.id) == Submission.submitter_id)
        .where(Submission.form_id == form_id, *where)
        .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
    )
    if not include_deleted:
        query = query.where(col(Submission.deleted_at).is_(None))
    return query  # type: ignore[no-any-return]


@dataclass(frozen=True)
class StreamedRow:
    """One exported submission and the id of its current version (to find its files)."""

    row: SubmissionRow
    definition_id: int


class ExportCancelled(Exception):  # noqa: N818 - a signal, not an error
    """The export was stopped from outside (its client went away) before its last row."""


def stream_rows(session: Session, query: Select[Any], residual: FilterExpr | None,
                now: datetime | None = None, stop: Event | None = None,
                lang: str | None = None) -> Generator[StreamedRow, None, None]:
    """Rows from a server-side cursor (a named cursor on PostgreSQL), filtered by `residual`.

    Validation messages are given in `lang` where the stored outcome has it, else in the
    language they were stored in (the form's default).

    `stop` is looked at before every row read, whether or not the row is then passed on:
    once it is set, ExportCancelled is raised and no further row is read. A writer may read
    many rows before it has bytes to send (a compressor, a filter that keeps few rows, a
    GeoJSON export of rows without locations), so output alone would not notice.
    """
    connection = session.connection()
    result = connection.execute(query.execution_options(yield_per=STREAM_BATCH))
    moment = now or datetime.now(UTC)
    validations = _Validations(lang)
    stopped = stop.is_set if stop is not None else _never
    try:
        for record in result:
            if stopped():
                raise ExportCancelled
            if residual is not None and not _passes(residual, record, moment):
                continue
            yield StreamedRow(_submission_row(record, validations), record[13])
    finally:
        result.close()


def _never() -> bool:
    return False


_Validation = tuple[str | None, tuple[str, ...]]  # status, messages
_VALIDATIONS_KEPT = 256


class _Validations:
    """Stored validation outcomes read as (status, messages in `lang`), by their JSON text.

    Most submissions share a few outcomes (valid; the same missing answer), so each text
    is decoded once.
    """

    def __init__(self, lang: str | None) -> None:
        self.lang = lang
        self._kept: dict[str | None, _Validation] = {}

    def of(self, text: str | None) -> _Validation:
        validation = self._kept.get(text)
        if validation is None:
            if len(self._kept) >= _VALIDATIONS_KEPT:
                self._kept.clear()
            validation = self._kept[text] = _validation(text, self.lang)
        return validation


def _submission_row(record: Any, validations: _Validations) -> SubmissionRow:
    (instance_id, created_at, _updated, _deleted, submitter_id, submitter_name, review_state,
     device_id, version, conflict, form_version, data, validation_text, _def_id, present,
     expected) = record
    validation = validations.of(validation_text)
    return SubmissionRow(
        instance_id=instance_id, submission_date=created_at, data=data or {},
        submitter_id=submitter_id, submitter_name=submitter_name,
        attachments_present=present or 0, attachments_expected=expected or 0,
        review_state=review_state, device_id=device_id, edits=max(version - 1, 0),
        form_version=form_version, validation_status=validation[0],
        validation_messages=validation[1], conflict=bool(conflict),
    )


def _validation(text: str | None, lang: str | None) -> _Validation:
    document = (json.loads(text) if text else None) or {}
    return document.get("status"), tuple(
        issue_message(issue, lang) for issue in document.get("issues", ())
        if isinstance(issue, Mapping))


def _passes(expr: FilterExpr, record: Any, now: datetime) -> bool:
    data = record[11] or {}
    system = {
        "__id": record[0], "__system/submissionDate": record[1],
        "__system/updatedAt": record[2], "__system/deletedAt": record[3],
        "__system/submitterId": record[4], "__system/reviewState": record[6],
        FORM_VERSION_MEMBER: record[10],
    }
    return matches_values(
        expr, lambda m: system.get(m.name) if m.path is None else data.get(m.path), now=now
    )


def observed_choices(session: Session, query: Select[Any],
                     paths: Sequence[str]) -> dict[str, list[str]]:
    """Every value of the select multiple questions at `paths` found in the exported rows.

    ODK Central names split select columns from the data, so values no version declares
    still get a column. This reads the documents once more before the export proper.
    """
    seen: dict[str, dict[str, None]] = {path: {} for path in paths}
    documents = query.with_only_columns(col(_Current.data)).order_by(None)
    result = session.connection().execute(documents.execution_options(yield_per=STREAM_BATCH))
    try:
        for (data,) in result:
            for path in paths:
                _collect(data or {}, path, seen[path])
    finally:
        result.close()
    return {path: list(values) for path, values in seen.items() if values}


def _collect(data: Mapping[str, Any], path: str, into: dict[str, None]) -> None:
    value = data.get(path)
    if isinstance(value, str):
        value = value.split()
    if isinstance(value, list):
        for item in value:
            into.setdefault(str(item), None)
    for nested in data.values():  # the question may sit inside a repeat
        if isinstance(nested, list) and nested and isinstance(nested[0], Mapping):
            for instance in nested:
                _collect(instance, path, into)
