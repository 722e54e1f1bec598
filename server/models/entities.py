"""Entity lists (ODK datasets): lists, properties, entities with immutable versions, the backlog."""

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
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from server.models.base import UTCDateTime, utcnow


class Dataset(SQLModel, table=True):
    """An entity list of a project, named as forms name it (`lap_activities`)."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    )
    name: str = Field(sa_column=Column(String(255), nullable=False))
    # Entities from submissions are created only once the submission is approved.
    approval_required: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class DatasetProperty(SQLModel, table=True):
    """A property of an entity list; entity data holds one string per property."""

    __tablename__ = "dataset_properties"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(
        sa_column=Column(Integer, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False)
    )
    name: str = Field(sa_column=Column(String(255), nullable=False))
    published_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class DatasetForm(SQLModel, table=True):
    """A published form that writes to an entity list: its actions and the properties it sets."""

    __tablename__ = "dataset_forms"

    dataset_id: int = Field(
        sa_column=Column(Integer, ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    )
    form_id: int = Field(
        sa_column=Column(Integer, ForeignKey("forms.id", ondelete="CASCADE"), primary_key=True)
    )
    actions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    properties: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Entity(SQLModel, table=True):
    """One entity: its current label and data, and the merge state of the sync engine."""

    __tablename__ = "entities"
    __table_args__ = (
        UniqueConstraint("dataset_id", "uuid"),
        Index("ix_entities_dataset_change_seq", "dataset_id", "change_seq"),
        Index("ix_entities_dataset_scope", "dataset_id", "scope_value"),
        Index("ix_entities_project_change_seq", "project_id", "change_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(sa_column=Column(Integer, ForeignKey("projects.id"), nullable=False))
    dataset_id: int = Field(
        sa_column=Column(Integer, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False)
    )
    uuid: str = Field(sa_column=Column(String(64), nullable=False))
    label: str = Field(default="", sa_column=Column(Text, nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The server version: the same number in REST, OData, the CSV and the sync feed.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    # ODK's conflict: null, "soft" (concurrent edits of other properties) or "hard".
    conflict: str | None = Field(default=None, sa_column=Column(String(8)))
    # Fields with an open Kenesh conflict (the sync feed's conflict flag is "any").
    conflict_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Who wrote each field, and concurrent writes (sync.records.meta_to_json).
    field_meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    hlc: str | None = Field(default=None, sa_column=Column(String(64)))
    creator_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("actors.id")))
    # Value of the project's scope field (e.g. the ayil aimak), so scope filters are SQL.
    scope_value: str | None = Field(default=None, sa_column=Column(String(255)))
    change_seq: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class EntityDef(SQLModel, table=True):
    """One immutable version of an entity, with where it came from and how it was merged."""

    __tablename__ = "entity_defs"
    __table_args__ = (
        UniqueConstraint("entity_id", "version"),
        Index("ix_entity_defs_branch", "entity_id", "branch_id", "branch_base_version"),
        Index("ix_entity_defs_submission", "submission_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(
        sa_column=Column(Integer, ForeignKey("entities.id", ondelete="CASCADE"), nullable=False)
    )
    version: int = Field(sa_column=Column(Integer, nullable=False))
    current: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    label: str = Field(default="", sa_column=Column(Text, nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    data_received: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    deleted: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    base_version: int | None = Field(default=None, sa_column=Column(Integer))
    trunk_version: int | None = Field(default=None, sa_column=Column(Integer))
    branch_id: str | None = Field(default=None, sa_column=Column(String(64)))
    branch_base_version: int | None = Field(default=None, sa_column=Column(Integer))
    conflicting_properties: list[str] | None = Field(default=None, sa_column=Column(JSON))
    conflict: str | None = Field(default=None, sa_column=Column(String(8)))
    source: str = Field(default="api", sa_column=Column(String(16), nullable=False))
    submission_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("submissions.id", ondelete="SET NULL"))
    )
    submission_def_id: int | None = Field(default=None, sa_column=Column(Integer))
    creator_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("actors.id")))
    user_agent: str | None = Field(default=None, sa_column=Column(String(512)))
    device_id: str | None = Field(default=None, sa_column=Column(String(255)))
    hlc: str | None = Field(default=None, sa_column=Column(String(64)))
    op_id: str | None = Field(default=None, sa_column=Column(String(64)))
    changed_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class EntitySubmission(SQLModel, table=True):
    """What an entity-writing submission did: applied, held in the backlog, or failed (why)."""

    __tablename__ = "entity_submissions"
    __table_args__ = (
        Index("ix_entity_submissions_held", "status", "entity_uuid", "branch_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    submission_def_id: int = Field(sa_column=Column(Integer, nullable=False))
    dataset_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("datasets.id", ondelete="CASCADE"))
    )
    entity_uuid: str | None = Field(default=None, sa_column=Column(String(64)))
    # applied | held | error | skipped (approval required, not yet approved)
    status: str = Field(sa_column=Column(String(16), nullable=False))
    action: str | None = Field(default=None, sa_column=Column(String(16)))
    version: int | None = Field(default=None, sa_column=Column(Integer))
    branch_id: str | None = Field(default=None, sa_column=Column(String(64)))
    branch_base_version: int | None = Field(default=None, sa_column=Column(Integer))
    forced: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    error: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
