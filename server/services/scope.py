"""Per-record scope: which records a collector or app user may see (out of scope answers 404).

Every path that lets records leave the server (submission lists and reads, attachments, OData,
exports, the sync pull) loads the principal's RecordScope once with `load_scope` and applies it,
in SQL with `scope_filter` or in Python with `record_visible`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, false, or_
from sqlmodel import Session, select

from server.auth.principal import Principal
from server.driver_sql import DriverStatement, compiled_for
from server.models import ActorScope, ProjectScope, Submission
from server.policy import APP_USER, COLLECTOR, Access

SCOPE_MODES = ("none", "own", "location", "own_or_location")
SCOPED_ROLES = (COLLECTOR, APP_USER)


@dataclass(frozen=True)
class RecordScope:
    """What one principal may see of one project's records."""

    restricted: bool  # False: every record
    own: bool = False  # records the principal submitted
    field: str | None = None  # the location field path, e.g. /data/location/ayil_aimak
    values: frozenset[str] = frozenset()  # location values the principal may see

    @classmethod
    def everything(cls) -> RecordScope:
        return cls(restricted=False)


def effective_scope(role: str | None, mode: str, field: str | None, values: frozenset[str], *,
                    sensitive: bool = False) -> RecordScope:
    """The scope a role gets under a project's setting; sensitive forms are at least "own"."""
    if role not in SCOPED_ROLES:
        return RecordScope.everything()
    if sensitive and mode == "none":
        mode = "own"
    if mode == "none":
        return RecordScope.everything()
    by_location = mode in ("location", "own_or_location")
    return RecordScope(
        restricted=True, own=mode in ("own", "own_or_location"),
        field=field if by_location else None,
        values=values if by_location else frozenset(),
    )


def record_visible(principal: Principal, scope: RecordScope, submitter_id: int | None,
                   record_fields: Mapping[str, Any]) -> bool:
    """Whether a record (its submitter, its fields keyed by path) is in the principal's scope."""
    if not scope.restricted:
        return True
    if scope.own and submitter_id is not None and submitter_id == principal.actor_id:
        return True
    if scope.field is not None:
        value = location_value(record_fields, scope.field)
        return value is not None and value in scope.values
    return False


def location_value(record_fields: Mapping[str, Any], field: str) -> str | None:
    """The record's value of the scope field, normalised as scope values are (stripped text)."""
    value = record_fields.get(field)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def scope_filter(principal: Principal, scope: RecordScope, *, submitter_col: Any,
                 location_col: Any = None) -> ColumnElement[bool] | None:
    """A WHERE clause for the principal's scope (None: no restriction).

    `submitter_col` holds the submitting actor's id; `location_col` holds each record's value of
    the project's scope field (stored with `location_value` when the record is saved). A
    location scope without a location column sees nothing: the filter fails closed.
    """
    if not scope.restricted:
        return None
    clauses: list[ColumnElement[bool]] = []
    if scope.own:
        clauses.append(submitter_col == principal.actor_id)
    if scope.field is not None and scope.values and location_col is not None:
        clauses.append(location_col.in_(sorted(scope.values)))
    return or_(*clauses) if clauses else false()


def project_scope_setting(session: Session, project_id: int) -> tuple[str, str | None]:
    """The project's (mode, field); "none" when it was never set."""
    # Run by the driver (server/driver_sql.py): every submission and pushed batch reads it,
    # mostly for a project that never set a scope, where session.get would miss its identity
    # map and build a query each time.
    row = compiled_for(_SCOPE_SETTING, _scope_setting_query, session).first(
        session, {"project_id": project_id}
    )
    return (row[0], row[1]) if row else ("none", None)


_SCOPE_SETTING: dict[str, DriverStatement] = {}


def _scope_setting_query(_dialect: str) -> Any:
    c = ProjectScope.__table__.c  # type: ignore[attr-defined]
    return select(c.mode, c.field).where(
        c.project_id == bindparam("project_id", type_=c.project_id.type)
    )


def load_scope(session: Session, access: Access, *, sensitive: bool = False) -> RecordScope:
    """The RecordScope of the principal that `authorize` let into the project."""
    if access.project_id is None or access.role not in SCOPED_ROLES:
        return RecordScope.everything()  # as effective_scope answers, without reading settings
    mode, field = project_scope_setting(session, access.project_id)
    row = session.get(ActorScope, (access.project_id, access.principal.actor_id))
    values = frozenset(row.scope_values) if row else frozenset()
    return effective_scope(access.role, mode, field, values, sensitive=sensitive)


def submission_scope(session: Session, access: Access, form: Any) -> ColumnElement[bool] | None:
    """The caller's record scope over `form`'s submissions as a SQL condition (None: all)."""
    scope = load_scope(session, access, sensitive=bool(form.sensitive))
    return scope_filter(access.principal, scope, submitter_col=Submission.submitter_id,
                        location_col=Submission.scope_value)


def submission_in_scope(
    session: Session, access: Access, form: Any, submission: Submission
) -> bool:
    """Whether the submission is within the caller's record scope over `form`, by its stored
    scope value (as `submission_scope` compares it in SQL)."""
    scope = load_scope(session, access, sensitive=bool(form.sensitive))
    return submission_visible(access.principal, scope, submission)


def submission_visible(principal: Principal, scope: RecordScope, submission: Submission) -> bool:
    """`record_visible` for a stored submission: its stored scope value stands for its fields."""
    fields = {} if scope.field is None else {scope.field: submission.scope_value}
    return record_visible(principal, scope, submission.submitter_id, fields)
