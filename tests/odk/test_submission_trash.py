"""The submission trash, as ODK Central's: delete, list the trash, restore, purge for good."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session
from typer.testing import CliRunner

from server.models.base import utcnow
from server.services.trash import purge_trash
from server.settings import get_settings
from tests.factories import headers_for, make_user
from tests.odk.conftest import OPENROSA, Setup, instance_xml

PHOTO = os.urandom(2048)


def _base(odk: Setup) -> str:
    return f"/v1/projects/{odk.project_id}/forms/open_day/submissions"


def _submit(client: Any, odk: Setup, photo: bytes | None = None) -> str:
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml(instance_id=instance_id, photo="p.jpg" if photo else None)
    files = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    if photo:
        files.append(("p.jpg", ("p.jpg", photo, "image/jpeg")))
    sent = client.post(f"/v1/key/{odk.key}/projects/{odk.project_id}/submission", files=files,
                       headers=OPENROSA)
    assert sent.status_code == 201, sent.text
    return instance_id


def _listed(client: Any, odk: Setup, **params: str) -> list[str]:
    response = client.get(_base(odk), params=params, headers=odk.manager)
    assert response.status_code == 200, response.text
    return [s["instanceId"] for s in response.json()]


def _audit_actions(engine: Any) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT action FROM audits ORDER BY id")).scalars())


def test_a_deleted_submission_is_in_the_trash_and_comes_back_when_restored(
    client: Any, odk: Setup, engine: Any
) -> None:
    kept, doomed = _submit(client, odk), _submit(client, odk)
    assert client.delete(f"{_base(odk)}/{doomed}", headers=odk.manager).json() == {
        "success": True
    }
    assert _listed(client, odk) == [kept]
    assert _listed(client, odk, deleted="true") == [doomed]
    assert client.get(f"{_base(odk)}/{doomed}", headers=odk.manager).status_code == 404

    restored = client.post(f"{_base(odk)}/{doomed}/restore", headers=odk.manager)
    assert restored.status_code == 200 and restored.json() == {"success": True}
    assert sorted(_listed(client, odk)) == sorted([kept, doomed])
    assert _listed(client, odk, deleted="true") == []
    shown = client.get(f"{_base(odk)}/{doomed}", headers=odk.manager).json()
    assert shown["instanceId"] == doomed and shown["deletedAt"] is None
    assert [a for a in _audit_actions(engine) if a.startswith("submission.")] == [
        "submission.delete", "submission.restore"
    ]


def test_only_a_submission_in_the_trash_can_be_restored(client: Any, odk: Setup) -> None:
    live = _submit(client, odk)
    for instance_id in (live, "uuid:never-sent"):
        refused = client.post(f"{_base(odk)}/{instance_id}/restore", headers=odk.manager)
        assert refused.status_code == 404
        assert refused.json()["code"] == "resource.not_found"


def test_the_trash_is_for_those_who_may_delete(
    client: Any, app: Any, odk: Setup, engine: Any
) -> None:
    doomed = _submit(client, odk)
    client.delete(f"{_base(odk)}/{doomed}", headers=odk.manager)
    analyst = headers_for(app, make_user(engine, "analyst@example.org", role="analyst",
                                         project=odk.project_id))
    assert client.get(_base(odk), params={"deleted": "true"}, headers=analyst).status_code == 403
    refused = client.post(f"{_base(odk)}/{doomed}/restore", headers=analyst)
    assert refused.status_code == 403
    assert _listed(client, odk, deleted="true") == [doomed]


def test_devices_see_the_delete_and_then_the_restore_in_the_sync_feed(
    client: Any, odk: Setup
) -> None:
    doomed = _submit(client, odk)
    feed = f"/v1/projects/{odk.project_id}/sync/pull"
    first = client.get(feed, headers=odk.manager).json()
    client.delete(f"{_base(odk)}/{doomed}", headers=odk.manager)
    deleted = client.get(feed, params={"cursor": first["cursor"]}, headers=odk.manager).json()
    assert [(c["record_id"], c["deleted"]) for c in deleted["changes"]] == [(doomed, True)]
    client.post(f"{_base(odk)}/{doomed}/restore", headers=odk.manager)
    back = client.get(feed, params={"cursor": deleted["cursor"]}, headers=odk.manager).json()
    assert [(c["record_id"], c["deleted"]) for c in back["changes"]] == [(doomed, False)]
    assert back["changes"][0]["fields"]["/data/women"] == 12


def _blob_files(data_dir: Path) -> set[Path]:
    return {p for p in (data_dir / "blobs").rglob("*") if p.is_file()}


def test_purge_removes_old_trash_with_its_unshared_files_and_keeps_the_rest(
    client: Any, odk: Setup, engine: Any, settings: Any
) -> None:
    own_photo = os.urandom(2048)
    doomed = _submit(client, odk, photo=own_photo)
    sharer, shared_doomed = _submit(client, odk, photo=PHOTO), _submit(client, odk, photo=PHOTO)
    recent = _submit(client, odk)
    feed = f"/v1/projects/{odk.project_id}/sync/pull"
    old_cursor = client.get(feed, headers=odk.manager).json()["cursor"]
    for instance_id in (doomed, shared_doomed):
        client.delete(f"{_base(odk)}/{instance_id}", headers=odk.manager)
    cutoff = utcnow() + timedelta(seconds=1)
    with engine.begin() as conn:  # `recent` went to the trash after the cutoff
        conn.execute(text("UPDATE submissions SET deleted_at = :t WHERE instance_id = :i"),
                     {"t": cutoff + timedelta(days=1), "i": recent})
    files_before = _blob_files(settings.data_dir)

    with Session(engine) as session:
        report = purge_trash(session, cutoff)
        session.commit()

    assert (report.submissions, report.blobs) == (2, 1)
    assert _listed(client, odk) == [sharer]
    assert _listed(client, odk, deleted="true") == [recent]
    with engine.connect() as conn:
        versions = conn.execute(text(
            "SELECT count(*) FROM submission_defs WHERE instance_id IN (:a, :b)"),
            {"a": doomed, "b": shared_doomed}).scalar()
    assert versions == 0
    shared = client.get(f"{_base(odk)}/{sharer}/attachments/p.jpg", headers=odk.manager)
    assert shared.status_code == 200 and shared.content == PHOTO
    assert len(report.files) == 1 and (settings.data_dir / report.files[0]) in files_before
    gone = client.get(feed, params={"cursor": old_cursor}, headers=odk.manager)
    assert gone.status_code == 410  # devices that may have missed the delete pull again


def test_kenesh_purge_empties_the_trash_and_deletes_the_files(
    client: Any, odk: Setup, settings: Any, monkeypatch: pytest.MonkeyPatch, engine: Any
) -> None:
    from server.cli import app

    photo = os.urandom(4096)
    doomed = _submit(client, odk, photo=photo)
    client.delete(f"{_base(odk)}/{doomed}", headers=odk.manager)
    before = _blob_files(settings.data_dir)
    monkeypatch.setenv("KENESH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KENESH_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        kept = CliRunner().invoke(app, ["purge"])  # deleted just now: inside the 30 days
        purged = CliRunner().invoke(app, ["purge", "--days", "0"])
    finally:
        get_settings.cache_clear()
    assert kept.exit_code == 0 and "purged 0 submissions, 0 forms, 0 entities and 0 files" in kept.output
    assert purged.exit_code == 0, purged.output
    assert "purged 1 submissions, 0 forms, 0 entities and 1 files" in purged.output
    assert _listed(client, odk, deleted="true") == []
    assert len(before - _blob_files(settings.data_dir)) == 1
    assert _audit_actions(engine)[-2:] == ["submission.purge", "submission.purge"]
