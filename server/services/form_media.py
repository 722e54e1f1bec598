"""Form media: the file slots a definition declares, filled by uploads and carried to new drafts."""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from server import errors
from server.errors import Problem
from server.models import Blob, FormAttachment, FormDef
from server.models.base import iso, utcnow


def create_slots(
    session: Session,
    form_def: FormDef,
    media_types: Mapping[str, str],
    *,
    carry_from: FormDef | None = None,
    prefilled: Mapping[str, tuple[Blob, str]] | None = None,
) -> list[FormAttachment]:
    """One slot per declared file. Files `carry_from` already has (same name and type) come
    along, so a new draft keeps the media of the version it replaces; `prefilled` files
    (a generated itemsets.csv) are filled in directly."""
    assert form_def.id is not None
    previous = {a.name: a for a in list_attachments(session, carry_from.id)} if carry_from else {}
    prefilled = prefilled or {}
    slots: list[FormAttachment] = []
    for name, kind in media_types.items():
        slot = FormAttachment(form_def_id=form_def.id, name=name, type=kind)
        if name in prefilled:
            blob, content_type = prefilled[name]
            slot.blob_id, slot.content_type, slot.updated_at = blob.id, content_type, utcnow()
        elif (old := previous.get(name)) is not None and old.type == kind and old.blob_id:
            slot.blob_id, slot.content_type, slot.updated_at = (
                old.blob_id, old.content_type, old.updated_at,
            )
        session.add(slot)
        slots.append(slot)
    session.flush()
    return slots


def copy_slots(session: Session, source: FormDef, target: FormDef) -> None:
    """Give `target` the same slots, filled the same way, as `source` (a copied definition)."""
    assert source.id is not None and target.id is not None
    for old in list_attachments(session, source.id):
        session.add(
            FormAttachment(
                form_def_id=target.id, name=old.name, type=old.type, blob_id=old.blob_id,
                content_type=old.content_type, updated_at=old.updated_at,
            )
        )
    session.flush()


def list_attachments(session: Session, form_def_id: int | None) -> list[FormAttachment]:
    """Every slot of a definition, by name."""
    if form_def_id is None:
        return []
    return list(
        session.exec(
            select(FormAttachment)
            .where(FormAttachment.form_def_id == form_def_id)
            .order_by(col(FormAttachment.name))
        )
    )


def list_attachments_with_blobs(
    session: Session, form_def_id: int | None
) -> list[tuple[FormAttachment, Blob | None]]:
    """Every slot of a definition with its blob (for JSON listings and the OpenRosa manifest)."""
    if form_def_id is None:
        return []
    rows = session.exec(
        select(FormAttachment, Blob)
        .join(Blob, Blob.id == FormAttachment.blob_id, isouter=True)  # type: ignore[arg-type]
        .where(FormAttachment.form_def_id == form_def_id)
        .order_by(col(FormAttachment.name))
    )
    return [(attachment, blob) for attachment, blob in rows]


def get_attachment(session: Session, form_def_id: int, name: str) -> FormAttachment:
    """The slot `name` of a definition; 404 when the definition declares no such file."""
    found = session.exec(
        select(FormAttachment).where(
            FormAttachment.form_def_id == form_def_id, FormAttachment.name == name
        )
    ).first()
    if found is None:
        raise Problem(errors.FORM_ATTACHMENT_UNKNOWN, f"The form declares no file named {name!r}.")
    return found


def get_attachment_file(
    session: Session, form_def_id: int, name: str
) -> tuple[FormAttachment, Blob]:
    """A slot and its content; 404 when it is not declared or has not been uploaded yet."""
    attachment = get_attachment(session, form_def_id, name)
    blob = session.get(Blob, attachment.blob_id) if attachment.blob_id else None
    if blob is None:
        raise Problem(errors.NOT_FOUND, f"The file {name!r} has not been uploaded.")
    return attachment, blob


def fill_attachment(
    session: Session, attachment: FormAttachment, blob: Blob, content_type: str | None
) -> None:
    """Put uploaded content into a slot (replacing what was there)."""
    attachment.blob_id = blob.id
    attachment.content_type = content_type or guess_content_type(attachment.name)
    attachment.updated_at = utcnow()
    session.add(attachment)
    session.flush()


def clear_attachment(session: Session, attachment: FormAttachment) -> None:
    """Empty a slot; 404 when it is already empty (as ODK Central)."""
    if attachment.blob_id is None:
        raise Problem(errors.NOT_FOUND, f"The file {attachment.name!r} has not been uploaded.")
    attachment.blob_id = None
    attachment.content_type = None
    attachment.updated_at = utcnow()
    session.add(attachment)
    session.flush()


def served_content_type(attachment: FormAttachment, blob: Blob) -> str:
    """The Content-Type a download of this slot carries."""
    return attachment.content_type or blob.content_type or guess_content_type(attachment.name)


def guess_content_type(name: str) -> str:
    """A content type from a file name, for uploads that sent none."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def attachment_json(attachment: FormAttachment, blob: Blob | None) -> dict[str, Any]:
    """ODK Central's form attachment JSON."""
    data: dict[str, Any] = {
        "name": attachment.name,
        "type": attachment.type,
        "hash": blob.md5 if blob is not None else None,
        "exists": attachment.blob_id is not None,
        "blobExists": attachment.blob_id is not None,
        "datasetExists": False,
    }
    if attachment.updated_at is not None:
        data["updatedAt"] = iso(attachment.updated_at)
    return data
