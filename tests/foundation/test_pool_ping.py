"""A pooled PostgreSQL connection pinged after sitting idle comes out ready for any use."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from server import db
from server.db import make_engine, unit_of_work


def test_a_connection_pinged_after_idling_serves_an_autocommit_read(
    backend, engine, monkeypatch
) -> None:
    if backend != "postgresql":
        pytest.skip("a PostgreSQL pool behaviour")
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # every checkout counts as idle: pinged
    pooled = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    try:
        with pooled.connect() as conn:
            conn.execute(text("SELECT 1"))
        with unit_of_work(pooled, write=False, per_statement=True) as uow:
            assert uow.session.execute(text("SELECT 2")).scalar() == 2
    finally:
        pooled.dispose()
