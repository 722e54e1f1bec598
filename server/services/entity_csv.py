"""Entity lists to phones: the CSV form attachment, its hash and ETag, and the integrity check.

Per-record scope applies: an officer's phone gets only the entities of its own ayil aimak
(or its own, per the project's scope mode), so a list of 100,000 activities downloads as the
few hundred the officer works with.
"""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import func
from sqlmodel import Session, col, select

from server.auth.principal import Principal
from server.models import Dataset, Entity, Form, FormAttachment, FormDef
from server.policy import Access
from server.services.entity_lists import property_names
from server.services.scope import RecordScope, load_scope, scope_filter

Scoped = tuple[Principal, RecordScope]


def scope_of(session: Session, access: Access) -> Scoped:
    """The caller and what it may see of the project's records."""
    return access.principal, load_scope(session, access)


def visible_clause(scoped: Scoped) -> Any:
    """The caller's scope as a condition on Entity (None: sees every entity)."""
    principal, scope = scoped
    return scope_filter(principal, scope, submitter_col=Entity.creator_id,
                        location_col=Entity.scope_value)


def _scope_key(scoped: Scoped) -> str:
    principal, scope = scoped
    if not scope.restricted:
        return "all"
    own = f"own:{principal.actor_id}" if scope.own else ""
    return f"{own}|{scope.field}|{','.join(sorted(scope.values))}"


def entity_list_etag(session: Session, dataset: Dataset, scoped: Scoped) -> str:
    """A hash that changes whenever the list (or the caller's view of it) may have changed.

    Every entity write stamps its row with the commit-ordered change number, so the largest
    number in the list moves with every create, edit, delete and restore; the properties and
    the caller's scope complete the key. One indexed MAX instead of hashing the file.
    """
    last = session.exec(
        select(func.max(Entity.change_seq)).where(Entity.dataset_id == dataset.id)
    ).one()
    key = f"{dataset.id}:{last}:{','.join(property_names(session, dataset))}:{_scope_key(scoped)}"
    return hashlib.md5(key.encode("utf-8"), usedforsecurity=False).hexdigest()


def entity_list_csv(session: Session, dataset: Dataset, scoped: Scoped) -> bytes:
    """name,label,__version,<properties>: the live entities the caller may see."""
    properties = property_names(session, dataset)
    query = select(Entity.uuid, Entity.label, Entity.version, Entity.data).where(
        Entity.dataset_id == dataset.id, col(Entity.deleted_at).is_(None)
    ).order_by(col(Entity.id))
    visible = visible_clause(scoped)
    if visible is not None:
        query = query.where(visible)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "label", "__version", *properties])
    for uuid, label, version, data in session.execute(query):
        writer.writerow([uuid, label, version, *(_text(data.get(p)) for p in properties)])
    return out.getvalue().encode("utf-8")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def integrity_xml(session: Session, dataset: Dataset, scoped: Scoped, ids: list[str]) -> str:
    """Which of the phone's entities are gone (deleted, or no longer in its scope); without
    `ids`, the state of every row the caller may see."""
    query = select(Entity.uuid, Entity.deleted_at, Entity.id).where(
        Entity.dataset_id == dataset.id)
    if ids:
        query = query.where(col(Entity.uuid).in_(ids))
    visible = visible_clause(scoped)
    if visible is not None and not ids:
        # Asked about no ids in particular, a scoped phone hears only of its own rows: the
        # uuids of other places' rows are none of its business.
        query = query.where(visible)
    shown: set[int] = set()
    if visible is not None:
        shown = {row[0] for row in session.execute(
            select(Entity.id).where(Entity.dataset_id == dataset.id, visible)
            .where(col(Entity.uuid).in_(ids) if ids else True)
        )}
    rows = []
    for uuid, deleted_at, row_id in session.execute(query.order_by(col(Entity.id))):
        gone = deleted_at is not None or (visible is not None and row_id not in shown)
        rows.append(f"<entity id={quoteattr(uuid)}><deleted>{escape(str(gone).lower())}"
                    "</deleted></entity>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<data><entities>'
            + "".join(rows) + "</entities></data>")


def linked_dataset(session: Session, project_id: int, attachment_name: str,
                   uploaded: bool) -> Dataset | None:
    """The entity list a form's file slot `<list>.csv` reads, when nothing was uploaded to it."""
    if uploaded or not attachment_name.endswith(".csv"):
        return None
    from server.services.entity_lists import find_dataset

    return find_dataset(session, project_id, attachment_name[: -len(".csv")])


def slot_dataset(session: Session, definition: FormDef, name: str) -> Dataset | None:
    """The entity list a definition's file slot `name` is served from: a `<list>.csv` slot
    left empty, naming a list of the form's project (else None)."""
    form = session.get(Form, definition.form_id)
    slot = session.exec(select(FormAttachment).where(
        FormAttachment.form_def_id == definition.id, FormAttachment.name == name)).first()
    if form is None or slot is None:
        return None
    return linked_dataset(session, form.project_id, name, uploaded=slot.blob_id is not None)


def manifest_entry(session: Session, access: Access, dataset: Dataset, download_url: str,
                   integrity_url: str) -> str:
    """The OpenRosa manifest's mediaFile for an entity list, its hash scoped to the caller."""
    etag = entity_list_etag(session, dataset, scope_of(session, access))
    return (f'<mediaFile type="entityList"><filename>{escape(dataset.name)}.csv</filename>'
            f"<hash>md5:{etag}</hash><downloadUrl>{escape(download_url)}</downloadUrl>"
            f"<integrityUrl>{escape(integrity_url)}</integrityUrl></mediaFile>")


def csv_download(session: Session, access: Access, dataset: Dataset,
                 if_none_match: str | None) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) of a download of the list's CSV: 304 when the ETag matches."""
    scoped = scope_of(session, access)
    etag = entity_list_etag(session, dataset, scoped)
    headers = {"ETag": f'"{etag}"'}
    if etag in (if_none_match or ""):
        return 304, b"", headers
    return 200, entity_list_csv(session, dataset, scoped), headers
