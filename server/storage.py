"""Content-addressed files under KENESH_DATA_DIR: streamed in, hashed on the way, stored once."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import AsyncIterable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

BLOB_DIR = "blobs"
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class StoredBlob:
    """A file written to the data directory; `path` is relative to it."""

    sha256: str
    md5: str
    size: int
    path: str


class BlobTooLarge(Exception):
    """The stream went past the size the caller allowed; nothing was kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the content exceeds the limit of {limit} bytes")


class _BlobWriter:
    """A temporary file beside the blob store, hashing as it is written."""

    def __init__(self, data_dir: Path, max_bytes: int | None, sha256: str | None = None) -> None:
        self.root = Path(data_dir)
        self.max_bytes = max_bytes
        # Same filesystem as the final place, so the rename below is atomic.
        fd, self.tmp_path = _new_upload_file(self.root / BLOB_DIR / "tmp")
        self.file = os.fdopen(fd, "wb")
        # `sha256`: the content's, from a caller that hashed it already; not computed again.
        self.known_sha256 = sha256
        self.sha256 = hashlib.sha256() if sha256 is None else None
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise BlobTooLarge(self.max_bytes)
        if self.sha256 is not None:
            self.sha256.update(chunk)
        self.md5.update(chunk)
        self.file.write(chunk)

    def finish(self) -> StoredBlob:
        sha = self.known_sha256 if self.sha256 is None else self.sha256.hexdigest()
        assert sha is not None
        relative = blob_path(sha)
        target = self.root / relative
        if target.exists():
            # Same content already stored (and synced by whoever stored it): drop the copy
            # without syncing it first, as it is never read. The file is touched, so that
            # `kenesh purge` (server/services/blob_sweep.py), which removes only files that no
            # row names and nobody wrote for a day, never takes one this request will name.
            self.file.close()
            self.tmp_path.unlink(missing_ok=True)
            os.utime(target)
        else:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.tmp_path, target)
            _fsync_dir(target.parent)
        return StoredBlob(sha, self.md5.hexdigest(), self.size, relative)

    def abandon(self) -> None:
        if not self.file.closed:
            self.file.close()
        self.tmp_path.unlink(missing_ok=True)


_READY_DIRS: set[Path] = set()


def _new_upload_file(tmp_dir: Path) -> tuple[int, Path]:
    """A new empty file in `tmp_dir`, created for this upload alone (O_EXCL, mode 0600): its
    descriptor, open for writing, and its path.

    What tempfile.mkstemp does, without its name generator and without making sure of the
    folder on every upload (together 4 % of a small submission's CPU on SQLite, py-spy): the
    folder is made once per process, and again only if it has gone.
    """
    if tmp_dir not in _READY_DIRS:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        _READY_DIRS.add(tmp_dir)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        path = tmp_dir / f"upload-{secrets.token_hex(8)}"
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
        except FileNotFoundError:
            tmp_dir.mkdir(parents=True, exist_ok=True)


def blob_path(sha256: str) -> str:
    """Where the blob with this sha256 lives, relative to the data directory."""
    return f"{BLOB_DIR}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def store_stream(
    data_dir: Path, chunks: Iterable[bytes], *, max_bytes: int | None = None,
    sha256: str | None = None,
) -> StoredBlob:
    """Write `chunks` to the blob store (temp file, fsync, rename) and return its hashes
    (`sha256`: the content's, when the caller has it already)."""
    writer = _BlobWriter(data_dir, max_bytes, sha256)
    try:
        for chunk in chunks:
            writer.write(chunk)
        return writer.finish()
    except BaseException:
        writer.abandon()
        raise


async def store_async_stream(
    data_dir: Path, chunks: AsyncIterable[bytes], *, max_bytes: int | None = None
) -> StoredBlob:
    """store_stream for an async source such as a request body."""
    writer = _BlobWriter(data_dir, max_bytes)
    try:
        async for chunk in chunks:
            if chunk:
                writer.write(chunk)
        return writer.finish()
    except BaseException:
        writer.abandon()
        raise


def store_bytes(data_dir: Path, content: bytes) -> StoredBlob:
    """Store content already in memory (a small generated file, an uploaded form, a photo)."""
    sha = hashlib.sha256(content).hexdigest()
    relative = blob_path(sha)
    target = Path(data_dir) / relative
    if not target.exists():
        return store_stream(data_dir, [content], sha256=sha)
    os.utime(target)  # as _BlobWriter.finish does for content stored already
    return StoredBlob(sha, hashlib.md5(content, usedforsecurity=False).hexdigest(),
                      len(content), relative)


SPOOL_IN_MEMORY = 1024 * 1024


class BlobSpool:
    """Content arriving in pieces for the blob store, held in memory up to `in_memory` bytes
    (Starlette's spooled uploads hold as much), beyond that written to a temporary file beside
    the store as it comes. `finish` stores it; a copy of content stored already is dropped,
    and one held in memory was never written."""

    def __init__(self, data_dir: Path, in_memory: int = SPOOL_IN_MEMORY) -> None:
        self.data_dir = data_dir
        self.in_memory = in_memory
        self.held = bytearray()
        self.writer: _BlobWriter | None = None

    def write(self, chunk: bytes) -> None:
        if self.writer is not None:
            self.writer.write(chunk)
            return
        self.held += chunk
        if len(self.held) > self.in_memory:
            self.writer = _BlobWriter(self.data_dir, None)
            self.writer.write(bytes(self.held))
            self.held = bytearray()

    def finish(self) -> StoredBlob:
        if self.writer is None:
            return store_bytes(self.data_dir, bytes(self.held))
        try:
            return self.writer.finish()
        except BaseException:
            self.writer.abandon()
            raise

    def abandon(self) -> None:
        if self.writer is not None:
            self.writer.abandon()


def blob_file(data_dir: Path, relative: str) -> Path:
    """The absolute path of a stored blob."""
    return Path(data_dir) / relative


def iter_blob(data_dir: Path, relative: str) -> Iterator[bytes]:
    """Read a stored blob in chunks (for streaming responses)."""
    with open(blob_file(data_dir, relative), "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            yield chunk


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
