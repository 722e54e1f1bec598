"""Blob rows by content: the hot path's ensure_blob_id finds or inserts, also under a race."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from server.db import UnitOfWork
from server.driver_sql import compiled_for
from server.models import Blob
from server.services import blobs
from server.services.blobs import ensure_blob, ensure_blob_id
from server.storage import store_bytes


def test_a_blob_id_is_inserted_once_and_found_after(engine, tmp_path) -> None:
    stored = store_bytes(tmp_path, b"a photo")
    uow = UnitOfWork(engine, write=True)
    first = ensure_blob_id(uow.session, stored, "image/jpeg")
    assert ensure_blob_id(uow.session, stored, "image/jpeg") == first
    assert ensure_blob(uow.session, stored).id == first
    uow.commit()
    uow.close()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, content_type, size FROM blobs")).all()
    assert [tuple(r) for r in rows] == [(first, "image/jpeg", len(b"a photo"))]


def test_a_blob_another_request_inserted_first_is_used(backend, engine, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: no race")
    stored = store_bytes(tmp_path, b"the same photo, twice")
    # The race: another request commits the same content after this one looked it up and
    # found nothing. Its row is committed first here, and this lookup's first answer is "none".
    other = UnitOfWork(engine, write=True)
    other.session.add(
        Blob(sha256=stored.sha256, md5=stored.md5, size=stored.size, path=stored.path)
    )
    other.commit()
    other.close()
    missed: list[bool] = []

    class MissOnce:
        def __init__(self, statement: Any) -> None:
            self.statement = statement

        def first(self, session: Any, params: Any) -> Any:
            if not missed:
                missed.append(True)
                return None
            return self.statement.first(session, params)

    def looked_up(cache: Any, build: Any, session: Any) -> Any:
        found = compiled_for(cache, build, session)
        return MissOnce(found) if cache is blobs._LOOKUPS else found

    monkeypatch.setattr(blobs, "compiled_for", looked_up)
    uow = UnitOfWork(engine, write=True)
    blob_id = ensure_blob_id(uow.session, stored)
    uow.commit()
    uow.close()
    assert missed
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM blobs")).scalars().all() == [blob_id]
