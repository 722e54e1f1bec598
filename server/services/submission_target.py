"""Where a submission goes: its form and published version, and what receiving it must know.

Receiving a submission needs four facts besides the form: the published version it was filled
in, whether the sender has the form assigned (app users), whether a version with its instanceID
already exists (a resend or a conflict rather than a new submission), and the project's scope
field (copied onto the record). On PostgreSQL each query is a network round trip, and every
phone's submission asks all four: they are read by one statement. There the blob rows of the
files that came with the request, when their content is stored already, are read with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, String, bindparam, cast, exists, func, null
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from forms.instance import ParsedInstance
from server import errors
from server.errors import Problem
from server.models import Blob, Form, FormAssignment, FormDef, ProjectScope, SubmissionDef
from server.services.forms import EMPTY_VERSION_TOKEN


@dataclass(frozen=True)
class SubmissionTarget:
    """The form and published version a submission was filled in, with what was read beside."""

    form: Form
    form_def: FormDef
    assigned: bool  # the sender has this form assigned (what an app user needs to submit)
    existing_def_id: int | None  # the version of this form that already has the instanceID
    scope_field: str | None  # the project's scope field, None when it scopes nothing
    # Blob ids by sha256, of content already stored (PostgreSQL only: SQLite has no trips).
    known_blobs: dict[str, int] = field(default_factory=dict)


def target_definition(
    session: Session, project_id: int, parsed: ParsedInstance, actor_id: int | None = None,
    shas: Sequence[str] = (),
) -> SubmissionTarget:
    """The target of a parsed submission sent by `actor_id` with files of these `shas`; 404
    for an unknown form or version (also without a version attribute, as on ODK Central)."""
    version = None if parsed.version is None else parsed.version or EMPTY_VERSION_TOKEN
    wanted = "" if version in (None, EMPTY_VERSION_TOKEN) else version
    params = {
        "project_id": project_id, "xml_form_id": parsed.form_id or "", "version": wanted,
        "actor_id": actor_id, "instance_id": parsed.instance_id or "", "shas": list(shas),
    }
    query = _target_query(session.get_bind().dialect.name)
    row = session.exec(query, params=params).first()
    form = None if row is None else row[0]
    if form is None or form.current_def_id is None:
        raise Problem(errors.NOT_FOUND, f"Form {parsed.form_id!r} does not exist in this project.")
    if version is None:
        raise Problem(errors.NOT_FOUND, "The submission has no version attribute on its root.")
    form_def, assigned, existing_def_id, scope_field, blobs = row[1:]
    if form_def is None:
        raise Problem(errors.NOT_FOUND, f"Form {form.xml_form_id!r} has no version {version!r}.")
    known = dict(_sha_and_id(entry) for entry in blobs or ())
    return SubmissionTarget(form, form_def, bool(assigned), existing_def_id, scope_field, known)


def _sha_and_id(entry: str) -> tuple[str, int]:
    sha, _, blob_id = entry.partition(" ")
    return sha, int(blob_id)


@cache
def _target_query(dialect: str) -> Any:
    # Built once: building the statement costs several times what running it does. The XForm
    # and its schema (tens of kB each) are not loaded: load_schema knows the schema by row.
    published = (
        (col(FormDef.form_id) == Form.id)
        & (FormDef.version == bindparam("version"))
        & col(FormDef.published_at).is_not(None)
    )
    assigned = exists().where(
        FormAssignment.project_id == Form.project_id,
        FormAssignment.xml_form_id == Form.xml_form_id,
        FormAssignment.actor_id == bindparam("actor_id"),
    )
    existing = select(SubmissionDef.id).where(
        SubmissionDef.form_id == Form.id, SubmissionDef.instance_id == bindparam("instance_id")
    )
    scope_field = select(ProjectScope.field).where(ProjectScope.project_id == Form.project_id)
    known_blobs: Any = null()
    if dialect == "postgresql":
        shas = bindparam("shas", type_=ARRAY(String))
        known_blobs = (
            select(func.array_agg(Blob.sha256 + " " + cast(Blob.id, String)))
            .where(Blob.sha256 == func.any(shas))
            .scalar_subquery()
        )
    return (
        select(  # type: ignore[call-overload]
            Form, FormDef, assigned.label("assigned"),
            existing.scalar_subquery().label("existing_def_id"),
            scope_field.scalar_subquery().label("scope_field"),
            known_blobs.label("known_blobs"),
        )
        .outerjoin(FormDef, published)
        .where(
            Form.project_id == bindparam("project_id"),
            Form.xml_form_id == bindparam("xml_form_id"),
            col(Form.deleted_at).is_(None),
        )
        .options(defer(FormDef.xml), defer(FormDef.form_schema))  # type: ignore[arg-type]
    )
