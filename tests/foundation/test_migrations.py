"""The schema comes from Alembic, and the migrations agree with the models on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from server.migrate import current_revision, head_revision
from server.models import metadata


def test_migrations_reach_head_on_an_empty_database(engine) -> None:
    assert current_revision(engine) == head_revision()


def test_autogenerate_finds_no_difference_between_migrations_and_models(engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_every_model_table_exists_after_migrating(engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
