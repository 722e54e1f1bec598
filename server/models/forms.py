"""Forms, their definitions (drafts and published versions), form media slots and stored blobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
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

FORM_STATES = ("open", "closing", "closed")


class Blob(SQLModel, table=True):
    """A file in the data directory, stored once per content (sha256)."""

    __tablename__ = "blobs"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    md5: str = Field(sa_column=Column(String(32), nullable=False))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    content_type: str | None = Field(default=None, sa_column=Column(String(255)))
    path: str = Field(sa_column=Column(String(255), nullable=False))  # relative to the data dir
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class Form(SQLModel, table=True):
    """A form of a project, known by its xmlFormId; its definitions live in form_defs."""

    __tablename__ = "forms"
    __table_args__ = (
        # Only live forms must have distinct ids: a deleted form's id can be reused.
        Index(
            "uq_forms_project_id_xml_form_id_live", "project_id", "xml_form_id", unique=True,
            sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    )
    xml_form_id: str = Field(sa_column=Column(String(255), nullable=False))
    state: str = Field(default="open", sa_column=Column(String(16), nullable=False))
    # current_def_id and draft_def_id point into form_defs, which points back here; the cycle
    # is kept without foreign keys so both backends can create the tables in one step.
    current_def_id: int | None = Field(default=None, sa_column=Column(Integer))
    draft_def_id: int | None = Field(default=None, sa_column=Column(Integer))
    sensitive: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    created_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("actors.id", ondelete="SET NULL"))
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class FormDef(SQLModel, table=True):
    """One definition of a form: the draft, or a published version (kept forever)."""

    __tablename__ = "form_defs"
    __table_args__ = (
        # Two published versions of one form never share a version string.
        Index(
            "uq_form_defs_form_id_version_published", "form_id", "version", unique=True,
            sqlite_where=text("published_at IS NOT NULL"),
            postgresql_where=text("published_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("forms.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    version: str = Field(default="", sa_column=Column(String(255), nullable=False))
    name: str | None = Field(default=None, sa_column=Column(Text))  # the XForm's title
    xml: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # byte for byte as served
    hash: str = Field(sa_column=Column(String(32), nullable=False))  # md5: the OpenRosa hash
    sha: str = Field(sa_column=Column(String(40), nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    form_schema: str = Field(sa_column=Column(Text, nullable=False))  # forms.schema_json text
    xlsx_blob_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("blobs.id", ondelete="RESTRICT"))
    )
    xlsx_content_type: str | None = Field(default=None, sa_column=Column(String(255)))
    xlsx_filename: str | None = Field(default=None, sa_column=Column(String(255)))
    warnings_json: str | None = Field(default=None, sa_column=Column(Text))
    draft_token: str | None = Field(default=None, sa_column=Column(String(64)))
    enketo_id: str | None = Field(default=None, sa_column=Column(String(64)))
    key_id: int | None = Field(default=None, sa_column=Column(Integer))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class FormAttachment(SQLModel, table=True):
    """A file a form definition declares (image, audio, CSV...), filled in by an upload."""

    __tablename__ = "form_attachments"
    __table_args__ = (UniqueConstraint("form_def_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    form_def_id: int = Field(
        sa_column=Column(Integer, ForeignKey("form_defs.id", ondelete="CASCADE"), nullable=False)
    )
    name: str = Field(sa_column=Column(String(255), nullable=False))
    type: str = Field(sa_column=Column(String(16), nullable=False))  # image|audio|video|file
    blob_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("blobs.id", ondelete="RESTRICT"))
    )
    content_type: str | None = Field(default=None, sa_column=Column(String(255)))
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
