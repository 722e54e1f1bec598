"""Actors (web users and app users), web user accounts and projects."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from server.models.base import UTCDateTime, utcnow


class Actor(SQLModel, table=True):
    """Anyone who can act: a web user or an app user (phone). Audit rows point here."""

    __tablename__ = "actors"

    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(sa_column=Column(String(16), nullable=False))  # "user" | "field_key"
    display_name: str = Field(sa_column=Column(String(255), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class User(SQLModel, table=True):
    """A web user who signs in with email and password (argon2id hash)."""

    __tablename__ = "users"

    actor_id: int = Field(
        sa_column=Column(Integer, ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True)
    )
    email: str = Field(sa_column=Column(String(320), nullable=False, unique=True))
    password_hash: str | None = Field(default=None, sa_column=Column(String(255)))
    is_admin: bool = Field(default=False, nullable=False)


class Project(SQLModel, table=True):
    """The unit of access: forms, submissions, app users and entity lists belong to a project."""

    __tablename__ = "projects"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(255), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(String))
    archived: bool = Field(default=False, nullable=False)
    key_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
