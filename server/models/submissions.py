"""Submissions: a logical record plus immutable versions (defs) keyed by instanceID."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from server.models.base import UTCDateTime, utcnow


class Submission(SQLModel, table=True):
    """One filled-in form, whatever its number of versions. Its id is its first instanceID."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("form_id", "instance_id"),
        # Live submissions only, so that a lookup by key (which must find deleted ones too) has
        # the unique constraint's index alone: see migrations/versions/0007_lookup_indexes.py.
        Index("ix_submissions_form_created", "form_id", "created_at",
              postgresql_where=text("deleted_at IS NULL"), sqlite_where=text("deleted_at IS NULL")),
        Index("ix_submissions_project_change_seq", "project_id", "change_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(sa_column=Column(Integer, ForeignKey("projects.id"), nullable=False))
    form_id: int = Field(sa_column=Column(Integer, ForeignKey("forms.id"), nullable=False))
    instance_id: str = Field(sa_column=Column(String(255), nullable=False))
    submitter_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("actors.id"))
    )
    device_id: str | None = Field(default=None, sa_column=Column(String(255)))
    user_agent: str | None = Field(default=None, sa_column=Column(String(512)))
    review_state: str | None = Field(default=None, sa_column=Column(String(16)))
    # The record's server version: 1 for the first def, +1 for every new def (edit or sync op).
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    conflict: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    # Per field: the write that set it (version, hlc, device, op); maintained by the sync engine.
    field_meta: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # Commit-ordered change number for the sync feed (see server/services/changes.py).
    change_seq: int | None = Field(default=None, sa_column=Column(BigInteger))
    # Value of the project's scope field (e.g. ayil aimak), copied here so scope filters are SQL.
    scope_value: str | None = Field(default=None, sa_column=Column(String(255), index=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class SubmissionDef(SQLModel, table=True):
    """One immutable version of a submission: its XML exactly as received, parsed and validated."""

    __tablename__ = "submission_defs"
    __table_args__ = (
        UniqueConstraint("form_id", "instance_id"),
        UniqueConstraint("submission_id", "version"),
        Index("ix_submission_defs_current", "submission_id", "current"),
    )

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(
        sa_column=Column(Integer, ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False)
    )
    form_id: int = Field(sa_column=Column(Integer, ForeignKey("forms.id"), nullable=False))
    form_def_id: int = Field(sa_column=Column(Integer, ForeignKey("form_defs.id"), nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    instance_id: str = Field(sa_column=Column(String(255), nullable=False))
    deprecated_id: str | None = Field(default=None, sa_column=Column(String(255)))
    instance_name: str | None = Field(default=None, sa_column=Column(String(255)))
    xml: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    validation: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    submitter_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("actors.id"))
    )
    device_id: str | None = Field(default=None, sa_column=Column(String(255)))
    user_agent: str | None = Field(default=None, sa_column=Column(String(512)))
    hlc: str | None = Field(default=None, sa_column=Column(String(64)))
    op_id: str | None = Field(default=None, sa_column=Column(String(64)))
    changed_fields: list[str] | None = Field(default=None, sa_column=Column(JSON))
    current: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class SubmissionAttachment(SQLModel, table=True):
    """A file a submission version references; blob_id is null until the file has arrived."""

    __tablename__ = "submission_attachments"

    submission_def_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("submission_defs.id", ondelete="CASCADE"), primary_key=True
        )
    )
    name: str = Field(sa_column=Column(String(255), primary_key=True))
    blob_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("blobs.id")))
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class SubmissionComment(SQLModel, table=True):
    """A reviewer's comment on a submission."""

    __tablename__ = "submission_comments"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    actor_id: int = Field(sa_column=Column(Integer, ForeignKey("actors.id"), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
