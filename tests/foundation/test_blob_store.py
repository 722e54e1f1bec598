"""The blob store: content stored once under its hash, and uploads that never collide."""

from __future__ import annotations

import hashlib
import shutil
import stat

from server.storage import BLOB_DIR, store_bytes, store_stream


def test_content_is_stored_once_under_its_hash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = b"a photo of the Open Day" * 500
    first = store_stream(tmp_path, [data[:1000], data[1000:]])
    again = store_bytes(tmp_path, data)
    assert first == again
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert first.md5 == hashlib.md5(data).hexdigest()  # noqa: S324 - OpenRosa's hash
    assert (tmp_path / first.path).read_bytes() == data
    assert list((tmp_path / BLOB_DIR / "tmp").iterdir()) == []  # no upload left behind


def test_an_upload_works_after_its_temporary_folder_was_removed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store_bytes(tmp_path, b"first")
    shutil.rmtree(tmp_path / BLOB_DIR / "tmp")  # e.g. an operator's cleanup while running
    stored = store_bytes(tmp_path, b"second")
    assert (tmp_path / stored.path).read_bytes() == b"second"
    assert stat.S_IMODE((tmp_path / stored.path).stat().st_mode) == 0o600
