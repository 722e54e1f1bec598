"""Exports of a form's submissions (CSV zip, CSV, XLSX, GeoJSON): options, filters, audit, stream.

An export is prepared inside the request's short unit of work (form, versions, filters, the
audit row, committed before the first byte), then streamed from its own read-only unit of
work that lives exactly as long as the stream: `stream_export` is a generator whose
`finally` gives the connection back, also when the client goes away and the generator is
closed early.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from threading import Event
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from forms.export import (
    ExportPlan,
    SubmissionRow,
    csv_stream,
    csv_zip_stream,
    geojson_stream,
    plan_export,
    xlsx_stream,
)
from forms.export.plan import safe_file_stem
from forms.odata import (
    SUBMISSION_FILTER_FIELDS,
    FilterExpr,
    ODataFilterError,
    mentions,
    parse_filter,
    plan_odata,
)
from forms.schema import FormSchema
from server import errors
from server.db import unit_of_work
from server.errors import Problem
from server.models import Form, FormDef, Submission
from server.services.audit import record_audit
from server.services.export_media import media_files, with_media
from server.services.export_query import (
    FORM_VERSION_MEMBER,
    export_query,
    observed_choices,
    split_filter,
    stream_rows,
)
from server.services.forms import list_versions, load_schema

Format = Literal["csv.zip", "csv", "xlsx", "geojson"]
MEDIA_TYPES: Mapping[str, str] = {
    "csv.zip": "application/zip",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
REVIEW_STATES = ("received", "hasIssues", "edited", "approved", "rejected")

EXPORT_OPTION_INVALID = errors.register(
    "export.option_invalid", 400, "An export option is not valid."
)
EXPORT_FILTER_INVALID = errors.register(
    "export.filter_invalid", 400, "The $filter expression could not be parsed."
)
EXPORT_FILTER_UNSUPPORTED = errors.register(
    "export.filter_unsupported", 501, "The $filter expression uses what Kenesh does not support."
)
_LANG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class ExportOptions:
    """What the caller asked for; query parameters use ODK Central's names where it has them."""

    format: Format
    lang: str | None = None
    group_paths: bool = True
    split_select_multiples: bool = False
    deleted_fields: bool = False
    attachments: bool = False  # media files under media/ in a CSV zip
    labels: bool = False  # choice labels instead of choice names
    filter: str | None = None  # OData $filter text
    start: datetime | None = None  # submissionDate >= start
    end: datetime | None = None  # submissionDate < end (a date: the whole day included)
    version: str | None = None  # the form version the current submission version was filled in
    review_states: tuple[str, ...] = ()  # "received" stands for Central's null
    submitter_id: int | None = None
    geopoint: str | None = None  # GeoJSON: only this geopoint question (name or path)

    def audit_details(self) -> dict[str, Any]:
        """The options as the audit row keeps them (only the ones given)."""
        details = {k: v.isoformat() if isinstance(v, datetime) else v
                   for k, v in asdict(self).items()}
        details["review_states"] = list(self.review_states)
        return {k: v for k, v in details.items() if v not in (None, [], False) or k == "format"}


@dataclass(frozen=True)
class ExportJob:
    """A prepared export: everything the stream needs, none of it tied to a session."""

    form_id: int
    xml_form_id: str
    schemas: tuple[FormSchema, ...]  # published versions, oldest first
    options: ExportOptions
    where: tuple[ColumnElement[bool], ...]
    residual: FilterExpr | None  # the part of $filter evaluated in Python
    include_deleted: bool = False
    geopoint_path: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def filename(self) -> str:
        """ODK Central's names: {xmlFormId}.zip with media, .csv.zip without, .csv, .xlsx."""
        stem = safe_file_stem(self.xml_form_id)
        fmt = self.options.format
        if fmt == "csv.zip" and self.options.attachments:
            return f"{stem}.zip"
        return f"{stem}.{fmt}"

    @property
    def media_type(self) -> str:
        """The response's Content-Type."""
        return MEDIA_TYPES[self.options.format]


# ---------------------------------------------------------------------------------------------
# Options


def options_from_query(fmt: Format, query: Mapping[str, str]) -> ExportOptions:
    """Parse query parameters (Central's flags: only the word true is true); 400 when invalid."""
    lang = query.get("lang") or None
    if lang is not None and not _LANG.match(lang):
        raise Problem(EXPORT_OPTION_INVALID, f"lang {lang!r} is not a language code.")
    states = tuple(s.strip() for s in (query.get("reviewState") or "").split(",") if s.strip())
    unknown = [s for s in states if s not in REVIEW_STATES]
    if unknown:
        raise Problem(EXPORT_OPTION_INVALID,
                      f"reviewState must be among {', '.join(REVIEW_STATES)}; got {unknown[0]!r}.")
    return ExportOptions(
        format=fmt, lang=lang,
        group_paths=not _is_false(query.get("groupPaths")),
        split_select_multiples=_is_true(query.get("splitSelectMultiples")),
        deleted_fields=_is_true(query.get("deletedFields")),
        # Central puts media files into the CSV zip unless attachments=false.
        attachments=fmt == "csv.zip" and not _is_false(query.get("attachments")),
        labels=_is_true(query.get("labels")),
        filter=query.get("$filter") or None,
        start=_moment(query.get("start"), "start", end=False),
        end=_moment(query.get("end"), "end", end=True),
        version=query.get("version"),
        review_states=states,
        submitter_id=_integer(query.get("submitterId"), "submitterId"),
        geopoint=query.get("geopoint") or None,
    )


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _is_false(value: str | None) -> bool:
    return (value or "").strip().lower() == "false"


def _moment(text: str | None, name: str, *, end: bool) -> datetime | None:
    if not text:
        return None
    try:
        if "T" not in text:
            day = date.fromisoformat(text)
            # An end date includes its whole day: the bound is the next midnight (UTC).
            return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=int(end))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Problem(EXPORT_OPTION_INVALID,
                      f"{name} must be a date or an ISO 8601 date-time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _integer(text: str | None, name: str) -> int | None:
    if not text:
        return None
    if not text.strip().isdigit():
        raise Problem(EXPORT_OPTION_INVALID, f"{name} must be a number.")
    return int(text)


# ---------------------------------------------------------------------------------------------
# Preparing


def published_schemas(session: Session, form: Form) -> tuple[FormSchema, ...]:
    """The form's published versions as schemas, in publication order (newest last)."""
    definitions: list[FormDef] = list(reversed(list_versions(session, form)))
    if not definitions:
        raise Problem(errors.FORM_NOT_PUBLISHED)
    return tuple(load_schema(d) for d in definitions)


def prepare_export(session: Session, form: Form, options: ExportOptions,
                   visible: ColumnElement[bool] | None = None) -> ExportJob:
    """Check the options against the form and turn the filters into SQL (and a Python rest)."""
    schemas = published_schemas(session, form)
    expr = _parse_filter(options.filter, schemas)
    split = split_filter(expr)
    where = [*split.sql, *_option_clauses(options)]
    if visible is not None:
        where.append(visible)
    return ExportJob(
        form_id=form.id or 0, xml_form_id=form.xml_form_id, schemas=schemas, options=options,
        where=tuple(where), residual=split.residual,
        # As in Central's OData feed, deleted submissions show only when the filter asks.
        include_deleted=expr is not None and mentions(expr, "__system/deletedAt"),
        geopoint_path=_geopoint_path(options, schemas),
    )


def _parse_filter(text: str | None, schemas: tuple[FormSchema, ...]) -> FilterExpr | None:
    if text is None:
        return None
    try:
        return parse_filter(text, plan=plan_odata(schemas),
                            fields=SUBMISSION_FILTER_FIELDS | {FORM_VERSION_MEMBER})
    except ODataFilterError as exc:
        kind = EXPORT_FILTER_INVALID if exc.status == 400 else EXPORT_FILTER_UNSUPPORTED
        raise Problem(kind, exc.message, odataCode=exc.code) from None


def _option_clauses(options: ExportOptions) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    created = col(Submission.created_at)
    if options.start is not None:
        clauses.append(created >= options.start)
    if options.end is not None:
        clauses.append(created < options.end)
    if options.version is not None:
        clauses.append(col(FormDef.version) == options.version)
    if options.submitter_id is not None:
        clauses.append(col(Submission.submitter_id) == options.submitter_id)
    if options.review_states:
        named = [s for s in options.review_states if s != "received"]
        review = col(Submission.review_state)
        either = [review.in_(named)] if named else []
        if "received" in options.review_states:
            either.append(review.is_(None))
        clauses.append(either[0] if len(either) == 1 else either[0] | either[1])
    return clauses


def _geopoint_path(options: ExportOptions, schemas: tuple[FormSchema, ...]) -> str | None:
    wanted = options.geopoint
    if wanted is None or options.format != "geojson":
        return None
    for schema in reversed(schemas):
        for f in schema.walk():
            if f.type == "geopoint" and wanted in (f.path, f.name):
                return f.path
    raise Problem(EXPORT_OPTION_INVALID, f"The form has no geopoint question {wanted!r}.")


def audit_export(session: Session, actor_id: int | None, job: ExportJob,
                 request_id: str | None = None, **extra: Any) -> None:
    """The `export.download` audit row, with the options and filters used."""
    details = {"xmlFormId": job.xml_form_id, **job.options.audit_details(), **extra}
    record_audit(session, actor_id, "export.download", f"form:{job.xml_form_id}",
                 details=details, request_id=request_id)


# ---------------------------------------------------------------------------------------------
# Streaming


def count_rows(engine: Engine, job: ExportJob) -> int:
    """How many submissions the SQL part of the filters lets through (for a progress bar)."""
    with unit_of_work(engine, write=False) as uow:
        query = export_query(job.form_id, job.where, include_deleted=job.include_deleted)
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        return int(uow.session.connection().execute(counted).scalar_one())


def stream_export(engine: Engine, job: ExportJob, *, data_dir: Path | None = None,
                  progress: Callable[[int], None] | None = None,
                  stop: Event | None = None) -> Iterator[bytes]:
    """The export's bytes, read from a server-side cursor in a read-only unit of work.

    `progress(1)` is called for every submission written (the CLI's progress bar).
    Setting `stop` (from any thread) makes the generator raise ExportCancelled before the
    next row is read, even in the middle of producing a chunk; closing it early ends the
    query and gives the connection back.
    """
    with unit_of_work(engine, write=False) as uow:
        query = export_query(job.form_id, job.where, include_deleted=job.include_deleted,
                             change_times=job.residual is not None)
        plan = _plan(uow.session, job, query)
        streamed = stream_rows(uow.session, query, job.residual, job.now, stop,
                               job.options.lang)
        with_files = array("q")  # current version ids that have files, for media/
        want_files = job.options.attachments and data_dir is not None

        def submissions() -> Iterator[SubmissionRow]:
            for item in streamed:
                if want_files and item.row.attachments_present:
                    with_files.append(item.definition_id)
                if progress is not None:
                    progress(1)
                yield item.row

        try:
            yield from _write(job, plan, submissions(), with_files, uow.session, data_dir)
        finally:
            streamed.close()


def _plan(session: Session, job: ExportJob, query: Any) -> ExportPlan:
    options = job.options
    observed = None
    if options.split_select_multiples:
        paths = sorted({f.path for s in job.schemas for f in s.walk() if f.is_select_multiple})
        observed = observed_choices(session, query, paths) if paths else None
    return plan_export(
        job.schemas, lang=options.lang, group_paths=options.group_paths,
        split_select_multiples=options.split_select_multiples,
        deleted_fields=options.deleted_fields, labels=options.labels,
        observed_choices=observed,
    )


def _write(job: ExportJob, plan: ExportPlan, submissions: Iterator[SubmissionRow],
           with_files: array[int], session: Session, data_dir: Path | None) -> Iterator[bytes]:
    fmt = job.options.format
    if fmt == "csv":
        return csv_stream(plan, submissions)
    if fmt == "xlsx":
        return xlsx_stream(plan, submissions)
    if fmt == "geojson":
        return geojson_stream(plan, submissions, job.geopoint_path)
    chunks = csv_zip_stream(plan, submissions, job.xml_form_id)
    if not job.options.attachments or data_dir is None:
        return chunks
    # The files are known once every row has been read, when the CSV entries are complete.
    return with_media(chunks, lambda: media_files(session, with_files, data_dir))
