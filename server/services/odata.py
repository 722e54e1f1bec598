"""OData feeds of a form's submissions: the plan across versions, pages of rows, counts.

Rows come in Central's order (newest submission first: createdAt desc, id desc). Every page
is a keyset read from the $skiptoken's submission, so page n costs what page 1 costs, on the
main table and on repeat tables alike: a repeat page loads submissions in that order, in
batches, only until it holds $top rows (plus one to know whether a next page exists).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from forms.odata import (
    MAIN_TABLE,
    FilterExpr,
    ODataError,
    ODataPlan,
    ODataRecord,
    ODataTable,
    Paging,
    Selection,
    matches,
    mentions,
    next_link,
    page,
    parse_expand,
    parse_filter,
    parse_paging,
    parse_select,
    plan_odata,
    repeat_rows,
    submission_row,
)
from server import errors
from server.errors import Problem
from server.models import Actor, Form, FormDef, Submission, SubmissionAttachment, SubmissionDef
from server.services.forms import list_versions, load_schema
from server.services.odata_sql import filter_clause, needs_python

# Central's OData problem codes; the catalogue keys them by Central's own code.
_TITLES = {
    "400.18": "The OData filter expression could not be parsed.",
    "400.23": "The OData $select names an unknown property.",
    "400.24": "The OData $select uses features this server does not support.",
    "400.35": "Invalid $skiptoken.",
    "501.4": "The OData filter uses features this server does not support.",
    "501.5": "The OData filter references fields this server cannot filter on.",
    "501.6": "The OData $expand expression is not supported.",
    "501.11": "$select together with $expand is not supported.",
}
for _code, _title in _TITLES.items():
    errors.register(_code, int(_code.split(".")[0]), _title)

_BATCH = 200  # submissions read per query when rows are made in Python (repeats, form fields)
_PLANS: dict[tuple[str, ...], ODataPlan] = {}
_PLAN_CACHE_SIZE = 64


def odata_problem(error: ODataError) -> Problem:
    """The problem+json answer of an OData refusal, under Central's code (e.g. 400.18)."""
    code = error.code if error.code in _TITLES else None
    kind = errors.problem_type(code) if code else errors.register(
        error.code, error.status, "The OData request is not supported."
    )
    return Problem(kind, error.message, message=error.message)


def form_plan(session: Session, form: Form) -> ODataPlan:
    """The OData plan of every published version of the form (404 when none is published)."""
    versions = list(reversed(list_versions(session, form)))  # oldest first
    if not versions:
        raise Problem(errors.NOT_FOUND, f"Form {form.xml_form_id!r} has no published version.")
    key = tuple(d.sha256 for d in versions)
    plan = _PLANS.get(key)
    if plan is None:
        plan = plan_odata([load_schema(d) for d in versions])
        if len(_PLANS) >= _PLAN_CACHE_SIZE:  # definitions are immutable: any entry may go
            _PLANS.pop(next(iter(_PLANS)))
        _PLANS[key] = plan
    return plan


@dataclass(frozen=True)
class TableQuery:
    """One OData read of one table, its query options parsed."""

    table: ODataTable
    paging: Paging
    filter: FilterExpr | None
    selection: Selection | None
    expand: bool
    wkt: bool

    @property
    def in_python(self) -> bool:
        """True when the filter names form fields, which only Python can evaluate."""
        return needs_python(self.filter)


def parse_table_query(plan: ODataPlan, table_name: str, query: Mapping[str, str]) -> TableQuery:
    """The table and query options of a request; 404 for an unknown table, Central's codes
    (400.18, 501.4, ...) for options Kenesh refuses."""
    try:
        table = plan.table(table_name)
    except KeyError:
        raise Problem(errors.NOT_FOUND, f"The form has no table {table_name!r}.") from None
    try:
        expand = parse_expand(query.get("$expand"))
        text = query.get("$filter")
        return TableQuery(
            table=table,
            paging=parse_paging(query),
            filter=parse_filter(text, plan=plan) if text is not None and text.strip() else None,
            selection=parse_select(plan, table.name, query.get("$select"), expand=expand),
            expand=expand,
            wkt=(query.get("$wkt") or "").lower() == "true",
        )
    except ODataError as error:
        raise odata_problem(error) from None


_KEYED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\('((?:[^']|'')*)'\)$")


@dataclass(frozen=True)
class Navigation:
    """A navigation link followed: Submissions('id')/group/repeat('row')/inner."""

    instance_id: str
    table_name: str  # "Submissions.group.repeat.inner"
    parent_id: str | None  # the keyed repeat row the rows belong to, if any


def parse_navigation(path: str) -> Navigation | None:
    """The parts of a navigation path as rows link them; None when it is not one."""
    head, *rest = path.split("/")
    keyed = _KEYED.match(head)
    if keyed is None or keyed.group(1) != MAIN_TABLE or not rest:
        return None
    names, parent = [], None
    for index, segment in enumerate(rest):
        inner = _KEYED.match(segment)
        if inner is not None and index < len(rest) - 1:
            names.append(inner.group(1))
            parent = inner.group(2)
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", segment):
            names.append(segment)
        else:
            return None
    unquoted = keyed.group(2).replace("''", "'")
    return Navigation(unquoted, ".".join([MAIN_TABLE, *names]), parent)


@dataclass(frozen=True)
class Links:
    """Where the request was sent: for @odata.context and @odata.nextLink."""

    service_root: str  # "https://host/v1/projects/1/forms/survey.svc"
    request_url: str  # the table's URL without its query
    query: Sequence[tuple[str, str]]  # the decoded query parameters, in order


def read_table(
    session: Session, form: Form, plan: ODataPlan, query: TableQuery, *,
    visible: ColumnElement[bool] | None, links: Links,
) -> dict[str, Any]:
    """One page of a table: Central's JSON body with value, context, nextLink and count."""
    scan = _Scan(session, form, plan, query, visible)
    if query.table.repeat is None and not query.in_python:
        rows, token, more = scan.main_page_in_sql()
    else:
        rows, token, more = scan.page_in_python()
    count = scan.count() if query.paging.count else None
    url = next_link(links.request_url, links.query, remaining=int(more), token=token)
    return page(links.service_root, query.table.name, rows, next_url=url, count=count)


_Row = dict[str, Any]
_Page = tuple[list[_Row], dict[str, str] | None, bool]


class _Scan:
    """The submissions a read may see, in Central's order, and the rows they make."""

    def __init__(self, session: Session, form: Form, plan: ODataPlan, query: TableQuery,
                 visible: ColumnElement[bool] | None) -> None:
        self.session, self.form, self.plan, self.query = session, form, plan, query
        self.dialect = session.get_bind().dialect.name
        self.now = datetime.now(UTC)
        self.where = self._where(visible)

    def _where(self, visible: ColumnElement[bool] | None) -> list[Any]:
        where: list[Any] = [Submission.form_id == self.form.id]
        # Central shows deleted submissions only to a filter that asks about deletedAt.
        if not mentions(self.query.filter, "__system/deletedAt"):
            where.append(col(Submission.deleted_at).is_(None))
        if visible is not None:
            where.append(visible)
        if self.query.filter is not None and not self.query.in_python:
            where.append(filter_clause(self.query.filter, self.dialect, self.now))
        return where

    def main_page_in_sql(self) -> _Page:
        paging = self.query.paging
        where = [*self.where, *self._after(inclusive=False)]
        found = self._records(where, offset=paging.skip,
                              limit=None if paging.top is None else paging.top + 1)
        more = paging.top is not None and len(found) > paging.top
        found = found[: paging.top] if more else found
        rows = [self._main_row(record) for _id, record in found]
        return rows, ({"instanceId": found[-1][1].instance_id} if found else None), more

    def page_in_python(self) -> _Page:
        paging, token = self.query.paging, self.query.paging.skiptoken or {}
        rows: list[_Row] = []
        last: dict[str, str] | None = None
        skip = paging.skip
        resume = token.get("repeatId") if self.query.table.repeat is not None else None
        for record in self._stream(inclusive=resume is not None):
            for row in self._rows_of(record):
                if resume is not None:  # rows up to the token's row were sent already
                    resume = None if row["__id"] == resume else resume
                    continue
                if skip:
                    skip -= 1
                    continue
                if paging.top is not None and len(rows) >= paging.top:
                    return rows, last, True
                rows.append(row)
                last = self._token(record, row)
            resume = None  # the token's row is gone (edited away): go on from the next record
        return rows, last, False

    def count(self) -> int:
        """Every row the filter matches, paging aside (Central's @odata.count)."""
        if self.query.table.repeat is None and not self.query.in_python:
            total = self.session.exec(
                select(func.count()).select_from(Submission).where(*self.where)
            ).one()
            return int(total)
        return sum(len(self._rows_of(r)) for r in self._stream(inclusive=False, resume=False))

    def _rows_of(self, record: ODataRecord) -> list[_Row]:
        if self.query.in_python and self.query.filter is not None \
                and not matches(self.query.filter, record, now=self.now):
            return []
        if self.query.table.repeat is None:
            return [self._main_row(record)]
        return repeat_rows(self.plan, record, self.query.table.name, wkt=self.query.wkt,
                           expand=self.query.expand, select=self.query.selection)

    def _main_row(self, record: ODataRecord) -> _Row:
        return submission_row(self.plan, record, wkt=self.query.wkt, expand=self.query.expand,
                              select=self.query.selection)

    def _token(self, record: ODataRecord, row: _Row) -> dict[str, str]:
        if self.query.table.repeat is None:
            return {"instanceId": record.instance_id}
        # Central's token names the repeat row; the submission makes resuming a keyset read.
        return {"instanceId": record.instance_id, "repeatId": row["__id"]}

    def _stream(self, *, inclusive: bool, resume: bool = True) -> Iterator[ODataRecord]:
        """The visible records in Central's order, from the skiptoken's record on, in batches."""
        after = self._after(inclusive=inclusive) if resume else []
        while True:
            batch = self._records([*self.where, *after], offset=0, limit=_BATCH)
            yield from (record for _id, record in batch)
            if len(batch) < _BATCH:
                return
            last_id, last = batch[-1]
            after = self._after_key(last.submission_date, last_id, inclusive=False)

    def _after(self, *, inclusive: bool) -> list[Any]:
        """The keyset condition that starts a page at the skiptoken's submission."""
        token = self.query.paging.skiptoken
        if token is None:
            return []
        instance_id = token.get("instanceId")
        found = self.session.exec(
            select(Submission.created_at, Submission.id).where(
                Submission.form_id == self.form.id, Submission.instance_id == instance_id
            )
        ).first() if isinstance(instance_id, str) else None
        if found is None:
            raise odata_problem(ODataError("400.35", "Invalid $skiptoken"))
        return self._after_key(found[0], found[1], inclusive=inclusive)

    @staticmethod
    def _after_key(created_at: datetime, row_id: int | None, *, inclusive: bool) -> list[Any]:
        same = col(Submission.id) <= row_id if inclusive else col(Submission.id) < row_id
        return [or_(col(Submission.created_at) < created_at,
                    and_(col(Submission.created_at) == created_at, same))]

    def _records(
        self, where: list[Any], *, offset: int, limit: int | None
    ) -> list[tuple[int, ODataRecord]]:
        """(submission id, record) of the matching submissions, one query plus one for files."""
        query = (
            select(  # type: ignore[call-overload,misc]  # more columns than sqlmodel types
                Submission.id, Submission.instance_id, Submission.created_at,
                Submission.updated_at, Submission.submitter_id, Submission.review_state,
                Submission.device_id, Submission.version, Submission.deleted_at,
                SubmissionDef.id, SubmissionDef.data, FormDef.version, Actor.display_name,
            )
            .join(SubmissionDef, and_(col(SubmissionDef.submission_id) == Submission.id,
                                      col(SubmissionDef.current).is_(True)))
            .join(FormDef, col(FormDef.id) == SubmissionDef.form_def_id)
            .outerjoin(Actor, col(Actor.id) == Submission.submitter_id)
            .where(*where)
            .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
            .offset(offset)
        )
        found = list(self.session.exec(query if limit is None else query.limit(limit)))
        files = _attachment_counts(self.session, [r[9] for r in found])
        return [(r[0], _record(r, files.get(r[9], (0, 0)))) for r in found]


def _record(row: Any, files: tuple[int, int]) -> ODataRecord:
    (_id, instance_id, created_at, updated_at, submitter_id, review_state, device_id, version,
     deleted_at, _def_id, data, form_version, submitter_name) = row
    return ODataRecord(
        instance_id=instance_id, data=data or {}, submission_date=created_at,
        updated_at=updated_at, submitter_id=submitter_id, submitter_name=submitter_name,
        attachments_present=files[0], attachments_expected=files[1], review_state=review_state,
        device_id=device_id, edits=max(0, (version or 1) - 1), form_version=form_version,
        deleted_at=deleted_at,
    )


def _attachment_counts(session: Session, def_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(present, expected) files of each submission version."""
    if not def_ids:
        return {}
    rows = session.exec(
        select(col(SubmissionAttachment.submission_def_id),
               func.count(col(SubmissionAttachment.blob_id)), func.count())
        .where(col(SubmissionAttachment.submission_def_id).in_(def_ids))
        .group_by(col(SubmissionAttachment.submission_def_id))
    )
    return {def_id: (int(present), int(expected)) for def_id, present, expected in rows}
