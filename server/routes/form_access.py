"""Shared plumbing of the form routes: who may see which definition and which submission, the
audit entry of a change, uploads, file responses."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from server.models import Blob, Form, FormDef, Submission
from server.policy import Access, authorize_form_definition
from server.services import forms as form_service
from server.services.audit import form_target, record_audit
from server.services.form_upload import Upload
from server.services.scope import submission_scope
from server.services.submissions import get_submission
from server.settings import Settings
from server.storage import iter_blob

V1 = "/v1"
KEY_PREFIX = "/v1/key/{token}"  # ODK Collect's app user URLs; the same routes answer there


def check_readable(access: Access, form: Form, definition: FormDef | None) -> None:
    """403 unless the policy lets the caller see this definition of the form."""
    published = definition is not None and definition.published_at is not None
    authorize_form_definition(access, published=published, closed=form.state == "closed")


def readable_form(session: Session, access: Access, project_id: int, xml_form_id: str) -> Form:
    """The form, checked readable through the definition `GET …/forms/{id}` shows."""
    form = form_service.get_form(session, project_id, xml_form_id)
    check_readable(access, form, form_service.shown_definition(session, form))
    return form


def readable_submission(
    session: Session, access: Access, project_id: int, xml_form_id: str, instance_id: str, *,
    deleted: bool = False,
) -> tuple[Form, Submission]:
    """The readable form and, within the caller's record scope, its submission (404 otherwise,
    as for an unknown id); with `deleted`, one in the trash."""
    form = readable_form(session, access, project_id, xml_form_id)
    submission = get_submission(
        session, form, unquote(instance_id), visible=submission_scope(session, access, form),
        deleted=deleted,
    )
    return form, submission


def audit_form(
    session: Session, access: Access, action: str, project_id: int, xml_form_id: str,
    details: dict[str, Any] | None = None, request_id: str | None = None,
) -> None:
    """Put the caller's `action` on the form on the record (target project:…/form:…)."""
    target = form_target(project_id, xml_form_id)
    record_audit(session, access.principal.actor_id, action, target, details, request_id)


def is_true(value: str | None) -> bool:
    """ODK Central's isTrue for query flags: only the word true (any case) is true."""
    return (value or "").strip().lower() == "true"


async def read_upload(request: Request) -> Upload | None:
    """The request body as a form definition, or None for an empty body."""
    content = await request.body()
    if not content.strip():
        return None
    return Upload(
        content=content,
        content_type=request.headers.get("content-type"),
        form_id_fallback=request.headers.get("x-xlsform-formid-fallback"),
    )


def xml_response(definition: FormDef) -> Response:
    """The XForm, byte for byte as stored."""
    return Response(content=definition.xml, media_type="application/xml")


def blob_response(
    request: Request, settings: Settings, blob: Blob, filename: str, content_type: str
) -> Response:
    """A stored file with ODK Central's ETag (its md5) and 304 on a matching If-None-Match."""
    etag = f'"{blob.md5}"'
    if blob.md5 in (request.headers.get("if-none-match") or ""):
        return Response(status_code=304, headers={"ETag": etag})
    headers = {"ETag": etag, "Content-Disposition": content_disposition(filename)}
    if blob.size is not None:
        headers["Content-Length"] = str(blob.size)
    return StreamingResponse(
        iter_blob(settings.data_dir, blob.path), media_type=content_type, headers=headers
    )


def content_disposition(filename: str) -> str:
    """attachment; filename="…"; filename*=UTF-8''… (RFC 6266, as ODK Central sends it)."""
    from urllib.parse import quote

    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"

