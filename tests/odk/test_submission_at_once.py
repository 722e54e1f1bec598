"""A phone's new submission written by one statement (PostgreSQL; SQLite writes it in its
transaction): stamped by one clock reading, counted once, its files stored once, also when
phones send at once and when the clock's row is gone."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from sync.hlc import Timestamp
from tests.factories import server_reading
from tests.odk.conftest import OPENROSA, Setup, instance_xml


def _parts(xml: bytes, files: dict[str, bytes]) -> dict[str, Any]:
    parts = {"xml_submission_file": ("submission.xml", xml, "text/xml")}
    parts.update({name: (name, data, "image/jpeg") for name, data in files.items()})
    return parts


def _post(client: Any, odk: Setup, xml: bytes, files: dict[str, bytes]) -> None:
    response = client.post(f"/v1/key/{odk.key}/projects/{odk.project_id}/submission",
                           headers=OPENROSA, files=_parts(xml, files))
    assert response.status_code == 201, response.text


def _columns(engine: Any, instance_id: str, columns: str) -> tuple[Any, ...]:
    """`columns` of the submission (s) and its version (d) stored for `instance_id`."""
    with engine.connect() as conn:
        return tuple(conn.execute(
            text(f"SELECT {columns} FROM submissions s"
                 " JOIN submission_defs d ON d.submission_id = s.id WHERE s.instance_id = :i"),
            {"i": instance_id},
        ).one())


def _stored(engine: Any, instance_id: str) -> tuple[str, dict[str, Any], int]:
    hlc, meta, change_seq = _columns(engine, instance_id, "d.hlc, s.field_meta, s.change_seq")
    return hlc, meta if isinstance(meta, dict) else json.loads(meta), change_seq


def _counter(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar())


def test_a_new_submission_is_stamped_by_one_reading_between_the_readings_around_it(
    client, engine, odk
) -> None:
    before = server_reading(engine)
    instance_id = f"uuid:{uuid.uuid4()}"
    _post(client, odk, instance_xml(instance_id=instance_id, photo="a.jpg"), {"a.jpg": b"new"})
    after = server_reading(engine)

    stamp, meta, _seq = _stored(engine, instance_id)
    assert before < Timestamp.parse(stamp) < after
    written = {name: write[1] for name, write in meta["fields"].items()}
    assert "/data/village" in written
    assert set(written.values()) == {stamp}


def test_a_submission_after_the_clock_row_was_emptied_is_stored_and_counted_once(
    client, engine, odk
) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM server_clock"))
    counted = _counter(engine)
    instance_id = f"uuid:{uuid.uuid4()}"
    _post(client, odk, instance_xml(instance_id=instance_id), {})

    stamp, _meta, seq = _stored(engine, instance_id)
    assert seq == counted + 1 == _counter(engine)
    assert server_reading(engine) > Timestamp.parse(stamp)  # the row is back, and ahead of it


def test_phones_sending_the_same_new_photo_at_once_store_it_once_and_each_keeps_it(
    app, engine, odk, backend, monkeypatch
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: no race")
    from fastapi.testclient import TestClient

    from server.services import submissions  # loaded with the app (imported first, it cycles)

    server_reading(engine)  # the clock's row exists, as on any server that has taken a write
    photo = b"\xff\xd8 one photo, sent by every phone " + uuid.uuid4().bytes
    counted = _counter(engine)
    ids = [f"uuid:{uuid.uuid4()}" for _ in range(6)]
    # Every phone has read the photo's blob as missing before any writes it: all six insert
    # it at once, the race a plain insert-or-ignore would lose (a slot without its blob).
    together = threading.Barrier(len(ids), timeout=30)
    insert = submissions.insert_at_once

    def insert_together(*args: Any, **kwargs: Any) -> bool:
        together.wait()
        return insert(*args, **kwargs)

    monkeypatch.setattr(submissions, "insert_at_once", insert_together)
    statuses: list[int] = []

    def phone(instance_id: str) -> None:
        with TestClient(app) as http:
            xml = instance_xml(instance_id=instance_id, photo="p.jpg")
            response = http.post(f"/v1/key/{odk.key}/projects/{odk.project_id}/submission",
                                 headers=OPENROSA, files=_parts(xml, {"p.jpg": photo}))
            statuses.append(response.status_code)

    threads = [threading.Thread(target=phone, args=(instance_id,)) for instance_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201] * len(ids)
    with engine.connect() as conn:
        blobs = conn.execute(text("SELECT count(*) FROM blobs WHERE sha256 = :sha"),
                             {"sha": hashlib.sha256(photo).hexdigest()}).scalar()
        slots = conn.execute(
            text("SELECT count(*) FROM submission_attachments WHERE blob_id IS NOT NULL")
        ).scalar()
    assert (blobs, slots) == (1, len(ids))
    stored = [_stored(engine, instance_id) for instance_id in ids]
    assert sorted(seq for _, _, seq in stored) == list(range(counted + 1, counted + len(ids) + 1))
    assert len({stamp for stamp, _, _ in stored}) == len(ids)


def test_a_workers_first_submission_of_a_form_reads_its_schema_from_the_row(
    client, engine, odk, monkeypatch
) -> None:
    # The one-statement path reads the form's rows without the session; the schema, when this
    # worker has not seen it, must still be read (from the row, attached for it).
    from server.services import forms

    monkeypatch.setattr(forms, "_schemas_by_row", {})
    forms._schema_cached.cache_clear()
    instance_id = f"uuid:{uuid.uuid4()}"
    _post(client, odk, instance_xml(instance_id=instance_id), {})
    assert _stored(engine, instance_id)[2] > 0


def test_the_written_rows_hold_their_ids_and_reading(client, engine, odk, backend, monkeypatch):
    if backend != "postgresql":
        pytest.skip("the one statement is PostgreSQL's")
    from server.services import submissions

    written: list[Any] = []
    real = submissions.insert_at_once

    def remember(session: Any, submission: Any, definition: Any, *rest: Any) -> bool:
        done = real(session, submission, definition, *rest)
        written.append((done, submission, definition))
        return done

    # One first: another test empties the clock's row, which the transactional way writes back.
    _post(client, odk, instance_xml(), {})
    monkeypatch.setattr(submissions, "insert_at_once", remember)
    instance_id = f"uuid:{uuid.uuid4()}"
    _post(client, odk, instance_xml(instance_id=instance_id), {})
    (done, submission, definition), = written
    row = _columns(engine, instance_id, "s.id, s.change_seq, d.id, d.submission_id, d.hlc")
    assert done is True
    assert row == (
        submission.id, submission.change_seq, definition.id, definition.submission_id,
        definition.hlc,
    )
