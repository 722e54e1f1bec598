"""A new submission is counted as a change in commit order, whichever path writes its rows.

On PostgreSQL the submission, its first version and its files' slots are written by one
statement that also draws the change number; on SQLite they are stamped at commit. The sync
pull relies on the number either way.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from tests.entities.conftest import Lists, lists  # noqa: F401  (the fixture)
from tests.entities.forms import CREATE_MD, create_xml, publish, submit
from tests.odk.conftest import OPENROSA, Setup, instance_xml


def _post(client: Any, odk: Setup, xml: bytes, files: dict[str, bytes] | None = None) -> None:
    parts = {"xml_submission_file": ("submission.xml", xml, "text/xml")}
    parts.update({name: (name, data, "image/jpeg") for name, data in (files or {}).items()})
    response = client.post(f"/v1/key/{odk.key}/projects/{odk.project_id}/submission",
                           headers=OPENROSA, files=parts)
    assert response.status_code == 201, response.text


def _counter(engine: Any) -> int | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar()


def _numbers(engine: Any, table: str) -> list[int | None]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT change_seq FROM {table} ORDER BY id"))
        return [row[0] for row in rows]


def test_each_new_submission_takes_the_next_change_number(client, engine, odk) -> None:
    before = _counter(engine) or 0
    _post(client, odk, instance_xml(photo="a.jpg"), {"a.jpg": b"\xff\xd8 a photo"})
    _post(client, odk, instance_xml())
    assert _numbers(engine, "submissions") == [before + 1, before + 2]
    assert _counter(engine) == before + 2


def test_a_new_submissions_rows_read_back_as_sent(client, engine, odk) -> None:
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml(instance_id=instance_id, photo="a.jpg", village="Kara-Bulak")
    _post(client, odk, xml, {"a.jpg": b"\xff\xd8 a photo"})
    base = f"/v1/projects/{odk.project_id}/forms/open_day/submissions/{instance_id}"
    assert client.get(base + ".xml", headers=odk.manager).content == xml
    shown = client.get(base, headers=odk.manager).json()
    assert (shown["instanceId"], shown["reviewState"]) == (instance_id, None)
    files = client.get(base + "/attachments", headers=odk.manager).json()
    assert files == [{"name": "a.jpg", "exists": True}]
    assert client.get(base + "/attachments/a.jpg", headers=odk.manager).content == (
        b"\xff\xd8 a photo"
    )


def test_a_submission_after_the_counter_was_emptied_still_gets_a_number(
    client, engine, odk
) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM change_counter"))
    _post(client, odk, instance_xml())
    assert _numbers(engine, "submissions") == [1]
    assert _counter(engine) == 1


def test_a_submission_and_the_entity_it_creates_share_one_number(
    lists: Lists, engine  # noqa: F811
) -> None:
    lists.create_list("acts", ("status", "progress", "ayil_aimak"))
    publish(lists.client, lists.manager, lists.project_id, CREATE_MD)
    before = _counter(engine) or 0
    submit(lists.client, lists.manager, lists.project_id, create_xml(str(uuid.uuid4()), "Well"))
    assert _numbers(engine, "submissions") == [before + 1]
    assert _numbers(engine, "entities") == [before + 1]
    assert _counter(engine) == before + 1


def test_a_photo_already_stored_is_shared_and_a_new_one_is_added(client, engine, odk) -> None:
    # On PostgreSQL the blobs of stored content are found by the query that finds the form.
    sent = {}
    for photo in (b"\xff\xd8 same", b"\xff\xd8 same", b"\xff\xd8 other"):
        instance_id = f"uuid:{uuid.uuid4()}"
        _post(client, odk, instance_xml(instance_id=instance_id, photo="p.jpg"), {"p.jpg": photo})
        sent[instance_id] = photo
    for instance_id, photo in sent.items():
        url = (f"/v1/projects/{odk.project_id}/forms/open_day/submissions/{instance_id}"
               "/attachments/p.jpg")
        assert client.get(url, headers=odk.manager).content == photo
    with engine.connect() as conn:
        shared = "SELECT count(DISTINCT blob_id) FROM submission_attachments"
        assert conn.execute(text(shared)).scalar() == 2


def test_a_version_purged_after_the_target_was_read_leaves_a_new_submission(
    client, engine, odk, monkeypatch
) -> None:
    # The target query saw the instanceID; a purge of the trash removed that version before
    # it was loaded. The instanceID is free again: the submission is created, not a 500.
    import dataclasses

    from server.services import submissions

    read = submissions.target_definition

    def stale(*args, **kwargs):  # type: ignore[no-untyped-def]
        return dataclasses.replace(read(*args, **kwargs), existing_def_id=987654)

    monkeypatch.setattr(submissions, "target_definition", stale)
    instance_id = f"uuid:{uuid.uuid4()}"
    _post(client, odk, instance_xml(instance_id=instance_id))
    url = f"/v1/projects/{odk.project_id}/forms/open_day/submissions/{instance_id}"
    assert client.get(url, headers=odk.manager).json()["instanceId"] == instance_id
