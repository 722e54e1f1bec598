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
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from sqlalchemy import ARRAY, String, bindparam, cast, exists, func, null
from sqlmodel import Session, col, select

from forms.instance import ParsedInstance
from server import errors
from server.driver_sql import DriverStatement, attach, attached, compiled_for, detached
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

    def attached_to(self, session: Session) -> SubmissionTarget:
        """This target with its form and version in the session (read with attach=False)."""
        return replace(
            self, form=attach(session, self.form), form_def=attach(session, self.form_def)
        )


def target_definition(
    session: Session, project_id: int, parsed: ParsedInstance, actor_id: int | None = None,
    shas: Sequence[str] = (), *, attach: bool = True,
) -> SubmissionTarget:
    """The target of a parsed submission sent by `actor_id` with files of these `shas`; 404
    for an unknown form or version (also without a version attribute, as on ODK Central).

    `attach=False`: the form and version are left out of the session (their columns read, the
    version's XForm and schema not readable until `attached_to`), for a caller that only reads
    them: adding two rows to a session is a sizeable part of a phone's submission."""
    version = None if parsed.version is None else parsed.version or EMPTY_VERSION_TOKEN
    wanted = "" if version in (None, EMPTY_VERSION_TOKEN) else version
    params = {
        "project_id": project_id, "xml_form_id": parsed.form_id or "", "version": wanted,
        "actor_id": actor_id, "instance_id": parsed.instance_id or "", "shas": list(shas),
    }
    row = compiled_for(_TARGETS, _target_query, session).first(session, params)
    if row is None or row[_FORM_COLUMNS.index("current_def_id")] is None:
        raise Problem(errors.NOT_FOUND, f"Form {parsed.form_id!r} does not exist in this project.")
    if version is None:
        raise Problem(errors.NOT_FOUND, "The submission has no version attribute on its root.")
    row_of = partial(attached, session) if attach else detached
    form = row_of(Form, dict(zip(_FORM_COLUMNS, row, strict=False)))
    def_values = row[len(_FORM_COLUMNS) : len(_FORM_COLUMNS) + len(_DEF_COLUMNS)]
    if def_values[0] is None:  # no published version of that name
        raise Problem(errors.NOT_FOUND, f"Form {form.xml_form_id!r} has no version {version!r}.")
    form_def = row_of(FormDef, dict(zip(_DEF_COLUMNS, def_values, strict=True)))
    assigned, existing_def_id, scope_field, blobs = row[len(_FORM_COLUMNS) + len(_DEF_COLUMNS) :]
    known = dict(_sha_and_id(entry) for entry in blobs or ())
    return SubmissionTarget(form, form_def, bool(assigned), existing_def_id, scope_field, known)


def _sha_and_id(entry: str) -> tuple[str, int]:
    sha, _, blob_id = entry.partition(" ")
    return sha, int(blob_id)


# Every column of the form, and of its version but the XForm and its schema (tens of kB each,
# loaded if read: load_schema knows the schema by row); the driver runs the statement.
_FORM_COLUMNS = [column.key for column in Form.__table__.columns]  # type: ignore[attr-defined]
_DEF_COLUMNS = [
    column.key for column in FormDef.__table__.columns  # type: ignore[attr-defined]
    if column.key not in ("xml", "form_schema")
]
_TARGETS: dict[str, DriverStatement] = {}


def _target_query(dialect: str) -> Any:
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
            *(Form.__table__.c[name] for name in _FORM_COLUMNS),  # type: ignore[attr-defined]
            *(FormDef.__table__.c[name] for name in _DEF_COLUMNS),  # type: ignore[attr-defined]
            assigned.label("assigned"),
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
    )
