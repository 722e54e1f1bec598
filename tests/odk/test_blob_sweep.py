"""`kenesh purge` removes the files refused or failed uploads left in the blob store, and
only those: files a record names, and files written within the last day, stay."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from server.settings import get_settings
from server.storage import BLOB_DIR, store_bytes
from tests.odk.conftest import OPENROSA, Setup, instance_xml

TWO_DAYS_S = 2 * 24 * 3600


def _send(client: Any, odk: Setup, photo: bytes, *, version: str = "1") -> Any:
    xml = instance_xml(instance_id=f"uuid:{uuid.uuid4()}", version=version, photo="p.jpg")
    files = [("xml_submission_file", ("submission.xml", xml, "text/xml")),
             ("p.jpg", ("p.jpg", photo, "image/jpeg"))]
    return client.post(f"/v1/key/{odk.key}/projects/{odk.project_id}/submission",
                       files=files, headers=OPENROSA)


def _files(data_dir: Path) -> set[str]:
    store = Path(data_dir) / BLOB_DIR
    return {p.relative_to(store).as_posix() for p in store.rglob("*") if p.is_file()}


def _age(data_dir: Path) -> None:
    then = time.time() - TWO_DAYS_S
    for path in (Path(data_dir) / BLOB_DIR).rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def _purge(settings: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    from server.cli import app

    monkeypatch.setenv("KENESH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KENESH_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["purge"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_removes_old_files_of_refused_uploads_and_keeps_named_and_recent_ones(
    client: Any, odk: Setup, settings: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept_photo, refused_photo = os.urandom(3000), os.urandom(3000)
    assert _send(client, odk, kept_photo).status_code == 201
    before_refusal = _files(settings.data_dir)
    assert _send(client, odk, refused_photo, version="no-such-version").status_code == 404
    (refused_file,) = _files(settings.data_dir) - before_refusal  # written before the check
    leftover = Path(settings.data_dir) / BLOB_DIR / "tmp" / "upload-killed"
    leftover.write_bytes(b"half an upload")
    _age(settings.data_dir)
    recent_photo = os.urandom(3000)
    assert _send(client, odk, recent_photo, version="no-such-version").status_code == 404
    recent_file = (_files(settings.data_dir) - before_refusal - {refused_file}
                   - {"tmp/upload-killed"}).pop()

    output = _purge(settings, monkeypatch)

    assert "removed 2 files that no record names" in output
    remaining = _files(settings.data_dir)
    assert refused_file not in remaining and "tmp/upload-killed" not in remaining
    assert recent_file in remaining  # written within the day: a request may still name it
    assert before_refusal <= remaining  # the accepted submission's photo


def test_content_found_on_disk_is_touched_so_a_sweep_cannot_take_it(settings: Any) -> None:
    stored = store_bytes(settings.data_dir, b"a photo sent twice")
    path = Path(settings.data_dir) / stored.path
    then = time.time() - TWO_DAYS_S
    os.utime(path, (then, then))
    store_bytes(settings.data_dir, b"a photo sent twice")
    assert path.stat().st_mtime > time.time() - 60
