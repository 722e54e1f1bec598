"""Blob rows by content: the hot path's ensure_blob_id finds or inserts, also under a race."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from server.db import UnitOfWork
from server.models import Blob
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


def test_a_blob_another_request_inserted_first_is_used(backend, engine, tmp_path) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: no race")
    stored = store_bytes(tmp_path, b"the same photo, twice")

    raced: list[bool] = []

    def insert_first(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO blobs") and not raced:
            raced.append(True)
            other = UnitOfWork(engine, write=True)
            other.session.add(
                Blob(sha256=stored.sha256, md5=stored.md5, size=stored.size, path=stored.path)
            )
            other.commit()
            other.close()

    event.listen(engine, "before_cursor_execute", insert_first)
    try:
        uow = UnitOfWork(engine, write=True)
        blob_id = ensure_blob_id(uow.session, stored)
        uow.commit()
        uow.close()
    finally:
        event.remove(engine, "before_cursor_execute", insert_first)
    assert raced
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM blobs")).scalars().all() == [blob_id]
