"""Accounts: sessions, app users, roles, assignments, scopes, grants, login failures, audits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from server.models.base import UTCDateTime, utcnow


def _actor_fk(ondelete: str = "CASCADE", **kw: Any) -> Column[Any]:
    return Column(Integer, ForeignKey("actors.id", ondelete=ondelete), **kw)


def _project_fk(**kw: Any) -> Column[Any]:
    return Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), **kw)


class AuthSession(SQLModel, table=True):
    """A credential: a web user's signed-in session (JWT jti) or an app user's key."""

    __tablename__ = "sessions"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    actor_id: int = Field(sa_column=_actor_fk(nullable=False, index=True))
    # Only app user keys are stored: web sessions are JWTs that carry the id (jti) instead.
    token: str | None = Field(default=None, sa_column=Column(String(64), unique=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class AppUser(SQLModel, table=True):
    """A phone's identity in one project (ODK Central's app user, "field_key")."""

    __tablename__ = "app_users"

    actor_id: int = Field(sa_column=_actor_fk(primary_key=True))
    project_id: int = Field(sa_column=_project_fk(nullable=False, index=True))
    created_by: int | None = Field(default=None, sa_column=_actor_fk("SET NULL"))


class ProjectRole(SQLModel, table=True):
    """A web user's role in a project: manager, analyst or collector (one per project)."""

    __tablename__ = "project_roles"

    project_id: int = Field(sa_column=_project_fk(primary_key=True))
    actor_id: int = Field(sa_column=_actor_fk(primary_key=True, index=True))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    granted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class FormAssignment(SQLModel, table=True):
    """A form an app user may see and fill, keyed by xmlFormId (the form may be re-created)."""

    __tablename__ = "form_assignments"

    project_id: int = Field(sa_column=_project_fk(primary_key=True))
    xml_form_id: str = Field(sa_column=Column(String(255), primary_key=True))
    actor_id: int = Field(sa_column=_actor_fk(primary_key=True, index=True))
    role: str = Field(default="app-user", sa_column=Column(String(16), nullable=False))


class ProjectScope(SQLModel, table=True):
    """How a project restricts the records collectors and app users see (absent: no restriction)."""

    __tablename__ = "project_scopes"

    project_id: int = Field(sa_column=_project_fk(primary_key=True))
    mode: str = Field(default="none", sa_column=Column(String(24), nullable=False))
    field: str | None = Field(default=None, sa_column=Column(String(255)))


class ActorScope(SQLModel, table=True):
    """The location values (e.g. ayil aimaks) one actor may see in one project."""

    __tablename__ = "actor_scopes"

    project_id: int = Field(sa_column=_project_fk(primary_key=True))
    actor_id: int = Field(sa_column=_actor_fk(primary_key=True))
    scope_values: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class PersonalDataGrant(SQLModel, table=True):
    """A manager's permission for an analyst to see personal data of sensitive forms."""

    __tablename__ = "personal_data_grants"

    project_id: int = Field(sa_column=_project_fk(primary_key=True))
    actor_id: int = Field(sa_column=_actor_fk(primary_key=True))
    granted_by: int | None = Field(default=None, sa_column=_actor_fk("SET NULL"))
    granted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class LoginFailure(SQLModel, table=True):
    """One failed sign-in, counted per email and per client address within a time window."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_failed_at", "email", "failed_at"),
        Index("ix_login_failures_client_address_failed_at", "client_address", "failed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(320), nullable=False))
    client_address: str = Field(sa_column=Column(String(64), nullable=False))
    failed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class Audit(SQLModel, table=True):
    """An append-only log entry: who did what to which target, when, in which request."""

    __tablename__ = "audits"
    __table_args__ = (Index("ix_audits_action_logged_at", "action", "logged_at"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, sa_column=_actor_fk("SET NULL", index=True))
    action: str = Field(sa_column=Column(String(64), nullable=False))
    target: str | None = Field(default=None, sa_column=Column(String(255)))
    details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    request_id: str | None = Field(default=None, sa_column=Column(String(64)))
    logged_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True)
    )
