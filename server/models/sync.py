"""Sync bookkeeping: op log with final answers, devices, quarantine, conflicts, server clock."""

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
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from server.models.base import UTCDateTime, utcnow


class SyncOp(SQLModel, table=True):
    """One op with a final answer (applied, merged, conflict or rejected), kept so a replay of
    the same op_id gets that answer back as ``duplicate``. Deferred ops are not stored."""

    __tablename__ = "sync_ops"
    # No index but the key's: see migrations/versions/0007_lookup_indexes.py.
    __table_args__ = (UniqueConstraint("project_id", "op_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(sa_column=Column(Integer, ForeignKey("projects.id"), nullable=False))
    op_id: str = Field(sa_column=Column(String(64), nullable=False))
    device_id: str = Field(sa_column=Column(String(255), nullable=False))
    client_seq: int | None = Field(default=None, sa_column=Column(Integer))
    actor_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("actors.id")))
    type: str | None = Field(default=None, sa_column=Column(String(16)))
    container: str | None = Field(default=None, sa_column=Column(String(255)))
    record_id: str | None = Field(default=None, sa_column=Column(String(255)))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    version: int | None = Field(default=None, sa_column=Column(Integer))
    hlc: str | None = Field(default=None, sa_column=Column(String(300)))
    # {"conflicts": [...], "error": {...}}: the rest of the stored answer.
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class SyncDevice(SQLModel, table=True):
    """A device's progress in a project: its last applied client_seq and whether its clock ran
    ahead of the server's by more than the allowed skew."""

    __tablename__ = "sync_devices"

    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("projects.id"), primary_key=True, autoincrement=False)
    )
    device_id: str = Field(sa_column=Column(String(255), primary_key=True))
    actor_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("actors.id")))
    last_seq: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    skewed: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    # How far ahead (ms) the device's clock was the last time it had to be capped.
    skew_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    last_push_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class SyncQuarantine(SQLModel, table=True):
    """An op that can never apply, kept verbatim (as the device sent it) for a manager."""

    __tablename__ = "sync_quarantine"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("projects.id"), nullable=False, index=True)
    )
    device_id: str = Field(sa_column=Column(String(255), nullable=False))
    actor_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("actors.id")))
    op_id: str | None = Field(default=None, sa_column=Column(String(255)))
    op: Any = Field(default=None, sa_column=Column(JSON))
    error: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class SyncConflict(SQLModel, table=True):
    """The conflict of one record and field: the value kept and every differing concurrent
    value. At most one is open per record and field; resolved ones stay as a record."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (
        Index("ix_sync_conflicts_record", "project_id", "type", "record_id", "field"),
        Index("ix_sync_conflicts_status", "project_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(sa_column=Column(Integer, ForeignKey("projects.id"), nullable=False))
    type: str = Field(sa_column=Column(String(16), nullable=False))
    container: str = Field(sa_column=Column(String(255), nullable=False))
    record_id: str = Field(sa_column=Column(String(255), nullable=False))
    field: str = Field(sa_column=Column(String(1024), nullable=False))
    kept: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    others: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    status: str = Field(default="open", sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    resolved_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("actors.id"))
    )
    # {"value": …, "version": int|null}: what the resolution chose and the version it made.
    resolution: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class ServerClock(SQLModel, table=True):
    """A single row (id 1): the last HLC the server issued, so the clock never runs backwards
    across restarts and workers."""

    __tablename__ = "server_clock"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    wall_ms: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    counter: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class SyncHorizon(SQLModel, table=True):
    """Per project: deleted records stamped at or below ``change_seq`` may have been purged, so
    a pull cursor below it could miss a delete and is answered 410."""

    __tablename__ = "sync_horizons"

    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("projects.id"), primary_key=True, autoincrement=False)
    )
    change_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
