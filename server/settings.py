"""Configuration from KENESH_* environment variables."""

from __future__ import annotations

import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Every setting Kenesh reads; each maps to KENESH_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="KENESH_", extra="ignore")

    database_url: str = Field(default="")
    secret_key: str = Field(default="", repr=False)
    data_dir: Path = Field(default=VAR_DIR / "data")
    public_url: str = "http://127.0.0.1:8000"
    default_language: str = "en"
    max_body_bytes: int = 100 * 1024 * 1024
    session_ttl_hours: int = 24
    max_clock_skew_ms: int = 5 * 60 * 1000
    xlsx_max_unzipped_bytes: int = 100 * 1024 * 1024
    xlsx_max_sheet_bytes: int = 20 * 1024 * 1024
    # Checked before a submission's XML is read (OpenRosa, REST create and edit): a body within
    # max_body_bytes may still be too much XML to hold as a tree, or nested to exhaust a parser.
    max_submission_xml_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_submission_xml_depth: int = Field(default=64, gt=0)
    db_pool_size: int = 10
    entity_backlog_days: float = 5.0
    log_level: str = "INFO"

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL to use: postgresql:// means psycopg 3; default is ./var/kenesh.db."""
        url = self.database_url or f"sqlite:///{(VAR_DIR / 'kenesh.db').resolve()}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url

    def resolved_secret_key(self) -> str:
        """KENESH_SECRET_KEY, or a key generated once into ./var/secret_key (never a fixed default).

        Workers starting together agree on one key: the file appears complete or not at all,
        and the first process to create it wins.
        """
        if self.secret_key:
            return self.secret_key
        key_file = VAR_DIR / "secret_key"
        if not key_file.exists():
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            _create_once(key_file, secrets.token_urlsafe(48))
        key = key_file.read_text().strip()
        if not key:
            # Tokens signed with an empty key could be forged by anyone: refuse to start.
            raise ValueError(
                f"{key_file.resolve()} is empty: delete it to generate a new key "
                "(signs everyone out), or set KENESH_SECRET_KEY"
            )
        return key


def _create_once(path: Path, content: str) -> None:
    # Written in full to a private temporary file, then linked into place: os.link fails
    # when the name exists, so a process that lost the race reads the winner's key.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


@lru_cache
def get_settings() -> Settings:
    """Settings read once from the environment."""
    return Settings()
