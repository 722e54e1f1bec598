"""A multipart body read as it streams: the named part kept, the files stored once, nothing
left behind by a body that breaks off."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from server.http.multipart_files import MalformedMultipart, read_multipart_files
from server.storage import BLOB_DIR, BlobSpool, blob_file

BOUNDARY = "b0undary-7f3a"


def _body(parts: list[tuple[str, str | None, str | None, bytes]]) -> bytes:
    chunks = []
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        chunks += [head.encode() + b"\r\n", data, b"\r\n"]
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


def _read(data_dir: Path, body: bytes, chunk: int = 7, content_type: str | None = None) -> Any:
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]

    async def receive() -> dict[str, Any]:
        piece = pieces.pop(0)
        return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

    header = content_type or f"multipart/form-data; boundary={BOUNDARY}"
    scope = {"type": "http", "method": "POST", "headers": [(b"content-type", header.encode())]}
    return asyncio.run(read_multipart_files(Request(scope, receive), data_dir, keep="xml"))


def _leftovers(data_dir: Path) -> list[str]:
    tmp = data_dir / BLOB_DIR / "tmp"
    return sorted(os.listdir(tmp)) if tmp.exists() else []


def test_the_named_part_is_kept_and_every_file_is_stored(tmp_path: Path) -> None:
    photo, sound = os.urandom(5000), b"RIFF....WAVE"
    xml, files = _read(tmp_path, _body([
        ("xml", "submission.xml", "text/xml", b"<data id='f'/>"),
        ("a.jpg", "a.jpg", "image/jpeg", photo),
        ("note", None, None, b"a plain field, ignored"),
        ("field-name", None, None, b"not a file"),
        ("voice", "v.wav", None, sound),
    ]))
    assert xml == b"<data id='f'/>"
    assert [(f.name, f.content_type) for f in files] == [("a.jpg", "image/jpeg"), ("v.wav", None)]
    assert files[0].stored.sha256 == hashlib.sha256(photo).hexdigest()
    assert files[0].stored.md5 == hashlib.md5(photo).hexdigest()
    assert blob_file(tmp_path, files[0].stored.path).read_bytes() == photo
    assert blob_file(tmp_path, files[1].stored.path).read_bytes() == sound
    assert _leftovers(tmp_path) == []


def test_a_file_stored_already_is_touched_not_written_again(tmp_path: Path) -> None:
    body = _body([("xml", None, None, b"<d/>"), ("p.jpg", "p.jpg", "image/jpeg", b"same")])
    _xml, (first,) = _read(tmp_path, body)
    stored = blob_file(tmp_path, first.stored.path)
    os.utime(stored, (1_000_000_000, 1_000_000_000))
    _xml, (second,) = _read(tmp_path, body)
    assert second.stored == first.stored
    assert stored.stat().st_mtime > 1_000_000_000  # `kenesh purge` sees it as just sent


def test_a_body_that_breaks_off_in_a_file_leaves_nothing(tmp_path: Path) -> None:
    whole = _body([("xml", None, None, b"<d/>"), ("big.jpg", "big.jpg", None, os.urandom(3 << 20))])
    xml, files = _read(tmp_path, whole[: len(whole) // 2], chunk=64 * 1024)
    assert (xml, files) == (b"<d/>", [])
    assert _leftovers(tmp_path) == []
    assert not any((tmp_path / BLOB_DIR).rglob("*.jpg"))


def test_without_the_named_part_it_is_none(tmp_path: Path) -> None:
    xml, files = _read(tmp_path, _body([("a.jpg", "a.jpg", None, b"x")]))
    assert xml is None and len(files) == 1


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"--" + BOUNDARY.encode() + b"\r\nContent-Type: text/xml\r\n\r\n<d/>\r\n--"
         + BOUNDARY.encode() + b"--\r\n", None, '"name" must be provided'),
        (_body([(f"f{n}", f"f{n}.txt", None, b"x") for n in range(1001)]), None, "Too many files"),
        (b"", "multipart/form-data", "Missing boundary"),
        (b"<data/>", "text/xml", "Expected a multipart/form-data body"),
    ],
    ids=["no name", "1001 files", "no boundary", "not multipart"],
)
def test_a_body_that_cannot_be_read_is_refused(
    tmp_path: Path, body: bytes, content_type: str | None, message: str
) -> None:
    with pytest.raises(MalformedMultipart, match=message):
        _read(tmp_path, body, chunk=4096, content_type=content_type)
    assert _leftovers(tmp_path) == []


def test_a_spool_past_its_memory_goes_to_a_temporary_file(tmp_path: Path) -> None:
    spool = BlobSpool(tmp_path, in_memory=10)
    spool.write(b"0123456789")
    assert _leftovers(tmp_path) == []  # still in memory
    spool.write(b"abc")
    assert len(_leftovers(tmp_path)) == 1
    stored = spool.finish()
    assert blob_file(tmp_path, stored.path).read_bytes() == b"0123456789abc"
    assert _leftovers(tmp_path) == []
