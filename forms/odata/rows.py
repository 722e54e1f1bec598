"""Rows of the OData tables, shaped exactly as ODK Central's: main rows, repeat rows, entities."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from forms.odata.select import Selection
from forms.odata.tables import MAIN_TABLE, ODataPlan, ODataTable, as_plan, odata_name
from forms.odata.values import iso_instant, odata_value
from forms.schema import Field, FormSchema

Document = Mapping[str, Any]
Row = dict[str, Any]
PlanSource = ODataPlan | Sequence[FormSchema] | FormSchema


@dataclass(frozen=True)
class ODataRecord:
    """One submission as the server reads it: its logical id, current data and metadata."""

    instance_id: str  # the logical submission's id (the first version's instanceID)
    data: Document  # the current version's document, keyed by absolute field path
    submission_date: datetime
    updated_at: datetime | None = None
    submitter_id: int | str | None = None
    submitter_name: str | None = None
    attachments_present: int = 0
    attachments_expected: int = 0
    status: str | None = None  # Central: only set for encrypted submissions
    review_state: str | None = None  # None means received
    device_id: str | None = None
    edits: int = 0
    form_version: str | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class _Options:
    wkt: bool
    expand: bool
    selection: Selection | None

    def shows(self, field: Field) -> bool:
        return self.selection is None or field.path in self.selection.paths

    def shows_meta(self, key: str) -> bool:
        return self.selection is None or key in self.selection.metadata


@dataclass(frozen=True)
class _Context:
    """Where a repeat instance sits: Central hashes these parts into the row's __id."""

    parts: tuple[str, ...]  # "Submissions#<id>", "group#", "repeat#<index>", ...
    link: tuple[str, ...]  # navigation link segments, e.g. "Submissions('uuid%3A1')"

    def into_group(self, field: Field) -> _Context:
        return _Context((*self.parts, f"{field.name}#"), (*self.link, odata_name(field.name)))

    def into_instance(self, field: Field, index: int) -> tuple[_Context, str]:
        parts = (*self.parts, f"{field.name}#{index}")
        row_id = repeat_row_id(parts)
        return _Context(parts, (*self.link, f"{odata_name(field.name)}('{row_id}')")), row_id


def repeat_row_id(parts: Sequence[str]) -> str:
    """Central's __id of a repeat row: sha1 of its position, stable across edits and reads.

    `parts` are "Submissions#<instanceId>", then "<group>#" per group and "<repeat>#<n>"
    (n counted from 0 within the parent) per repeat, from the root down to the row.
    """
    return hashlib.sha1("%%".join(parts).encode("utf-8")).hexdigest()


def _root_context(instance_id: str) -> _Context:
    encoded = quote(instance_id, safe="-_.!~*'()")  # as JavaScript's encodeURIComponent
    return _Context((f"{MAIN_TABLE}#{instance_id}",), (f"{MAIN_TABLE}('{encoded}')",))


def submission_row(
    schemas_or_plan: PlanSource,
    record: ODataRecord,
    *,
    wkt: bool = False,
    expand: bool = False,
    select: Selection | None = None,
) -> Row:
    """The row of the Submissions table for one submission, as Central shapes it.

    Fields nest by group; every field of every version is present (null when unanswered);
    "__id" and "__system" follow; each answered repeat adds "<name>@odata.navigationLink",
    and with `expand` ($expand=*) also an inline array of its rows. `select` (from
    parse_select) keeps only the chosen properties, as Central's $select does.
    """
    plan = as_plan(schemas_or_plan)
    options = _Options(wkt, expand, select)
    row = _frame(plan.fields, record.data, options)
    if options.shows_meta("__id"):
        row["__id"] = record.instance_id
    system = _system_part(record, select)
    if system is not None:
        row["__system"] = system
    _attach_repeats(plan.fields, record.data, row, _root_context(record.instance_id), options)
    return row


def _system_part(record: ODataRecord, select: Selection | None) -> dict[str, Any] | None:
    system = system_fields(record)
    if select is None or "__system" in select.metadata:
        return system
    chosen = {key: value for key, value in system.items()
              if f"__system/{key}" in select.metadata}
    return chosen or None


def system_fields(record: ODataRecord) -> dict[str, Any]:
    """The "__system" object of a submission row, with Central's keys and types."""
    return {
        "submissionDate": iso_instant(record.submission_date),
        "updatedAt": iso_instant(record.updated_at),
        "deletedAt": iso_instant(record.deleted_at),
        # Central sends the actor id as a string "for future-proofing".
        "submitterId": None if record.submitter_id is None else str(record.submitter_id),
        "submitterName": record.submitter_name or None,
        "attachmentsPresent": record.attachments_present or 0,
        "attachmentsExpected": record.attachments_expected or 0,
        "status": record.status,
        "reviewState": record.review_state or None,
        "deviceId": record.device_id or None,
        "edits": record.edits,
        "formVersion": record.form_version,
    }


def _frame(fields: Sequence[Field], data: Document, options: _Options) -> Row:
    """Values and nested groups of one table level; repeats are added afterwards."""
    frame: Row = {}
    for f in fields:
        if f.is_repeat or not options.shows(f):
            continue
        name = odata_name(f.name)
        if f.is_group:
            frame[name] = _frame(f.children, data, options)
        else:
            frame[name] = odata_value(f, data.get(f.path), wkt=options.wkt)
    return frame


def _attach_repeats(
    fields: Sequence[Field], data: Document, into: Row, context: _Context, options: _Options
) -> None:
    for f in fields:
        if not f.is_group or not options.shows(f):
            continue
        name = odata_name(f.name)
        if not f.is_repeat:
            group = into.get(name)
            if isinstance(group, dict):
                _attach_repeats(f.children, data, group, context.into_group(f), options)
            continue
        instances = _instances(data, f)
        if not instances:
            continue  # Central links only repeats that were answered at least once
        into[f"{name}@odata.navigationLink"] = "/".join((*context.link, name))
        if options.expand:
            into[name] = [_expanded(f, index, item, context, options)
                          for index, item in instances]


def _expanded(
    repeat: Field, index: int, item: Document, context: _Context, options: _Options
) -> Row:
    inner, row_id = context.into_instance(repeat, index)
    row = _frame(repeat.children, item, options)
    row["__id"] = row_id
    _attach_repeats(repeat.children, item, row, inner, options)
    return row


def _instances(data: Document, repeat: Field) -> list[tuple[int, Document]]:
    items = data.get(repeat.path)
    if not isinstance(items, list):
        return []
    # Indexes count every instance, so ids stay those Central computes from the XML.
    return [(index, item) for index, item in enumerate(items) if isinstance(item, Mapping)]


def repeat_rows(
    schemas_or_plan: PlanSource,
    record: ODataRecord,
    table_name: str,
    *,
    wkt: bool = False,
    expand: bool = False,
    select: Selection | None = None,
) -> list[Row]:
    """Every row of the repeat table `table_name` in one submission, in document order.

    Each row has its fields, "__id" (see repeat_row_id) and the parent's id under Central's
    key: "__Submissions-id" for a repeat outside repeats, else "__Submissions-<path of the
    enclosing repeat joined by ->-id" holding that repeat row's __id.
    Raises KeyError when the form has no such table.
    """
    plan = as_plan(schemas_or_plan)
    table = plan.table(table_name)
    if table.repeat is None:
        raise KeyError(f"{table_name} is the main table; use submission_row")
    options = _Options(wkt, expand, select)
    rows = []
    for item, context, row_id, parent_id in _walk(table, table.chain, record.data,
                                                  _root_context(record.instance_id),
                                                  record.instance_id):
        row = _frame(table.repeat.children, item, options)
        if options.shows_meta("__id"):
            row["__id"] = row_id
        if table.parent_id_key and options.shows_meta(table.parent_id_key):
            row[table.parent_id_key] = parent_id
        _attach_repeats(table.repeat.children, item, row, context, options)
        rows.append(row)
    return rows


def _walk(
    table: ODataTable,
    chain: Sequence[Field],
    data: Document,
    context: _Context,
    parent_id: str,
) -> Iterator[tuple[Document, _Context, str, str]]:
    """(instance, its context, its id, its parent's id) for each instance of the table."""
    head, rest = chain[0], chain[1:]
    if not head.is_repeat:
        yield from _walk(table, rest, data, context.into_group(head), parent_id)
        return
    for index, item in _instances(data, head):
        inner, row_id = context.into_instance(head, index)
        if rest:
            yield from _walk(table, rest, item, inner, row_id)
        else:
            yield item, inner, row_id, parent_id


def entity_row(
    uuid: str,
    label: str | None,
    data: Mapping[str, str | None],
    system: Mapping[str, Any],
    *,
    properties: Sequence[str] | None = None,
    select: frozenset[str] | None = None,
) -> Row:
    """One row of an entity list's OData feed (…/datasets/{name}.svc/Entities), as Central's.

    `system` holds Central's keys: createdAt, creatorId, creatorName, updates, updatedAt,
    deletedAt, version, conflict (instants may be datetimes). Properties are strings, ""
    when unset, in the order of `properties` (the list's properties; default: `data`'s).
    `select` (from parse_entity_select) keeps only the chosen properties.
    """
    row: Row = {}
    if select is None or "__id" in select:
        row["__id"] = uuid
    if select is None or "label" in select:
        row["label"] = label
    metadata = _entity_system(system)
    if select is None or "__system" in select:
        row["__system"] = metadata
    else:
        chosen = {k: v for k, v in metadata.items() if f"__system/{k}" in select}
        if chosen:
            row["__system"] = chosen
    for name in properties if properties is not None else list(data):
        if select is None or name in select:
            value = data.get(name)
            row[odata_name(name)] = "" if value is None else value
    return row


_ENTITY_SYSTEM_KEYS = ("createdAt", "creatorId", "creatorName", "updates", "updatedAt",
                       "deletedAt", "version", "conflict")


def _entity_system(system: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _ENTITY_SYSTEM_KEYS:
        value = system.get(key)
        if key in ("createdAt", "updatedAt", "deletedAt"):
            value = iso_instant(value)
        elif key == "creatorId" and value is not None:
            value = str(value)
        elif key == "updates":
            value = value or 0
        out[key] = value
    return out
