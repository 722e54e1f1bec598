"""Submission files added to a streamed CSV zip under media/, as ODK Central's full export has them.

forms.export writes the CSV zip; its last bytes are the zip's central directory. `with_media`
passes every byte before that directory through, writes the media entries where it stood,
then a new central directory that lists the CSV entries (their offsets do not move) and the
media entries. Nothing is buffered but the directory itself.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from sqlmodel import Session, col, select

from forms.export.csv_writer import ChunkSink, close_quietly
from server.models import Blob, SubmissionAttachment
from server.storage import iter_blob

MediaFile = tuple[str, Iterator[bytes]]
_HOLD = 1024 * 1024  # bytes held back: more than any central directory of a few CSV files
_BATCH = 500


def media_files(session: Session, definition_ids: Sequence[int],
                data_dir: Path) -> Iterator[MediaFile]:
    """The received files of these submission versions, once per file name (Central's media/)."""
    seen: set[str] = set()
    for start in range(0, len(definition_ids), _BATCH):
        batch = list(definition_ids[start:start + _BATCH])
        rows = session.exec(
            select(SubmissionAttachment.name, Blob.path)
            .join(Blob, col(Blob.id) == SubmissionAttachment.blob_id)
            .where(col(SubmissionAttachment.submission_def_id).in_(batch))
            .order_by(col(SubmissionAttachment.submission_def_id),
                      col(SubmissionAttachment.position))
        ).all()
        for name, path in rows:
            if name not in seen:
                seen.add(name)
                yield f"media/{name}", iter_blob(data_dir, path)


def with_media(zip_chunks: Iterable[bytes],
               files: Callable[[], Iterable[MediaFile]]) -> Iterator[bytes]:
    """The zip of `zip_chunks` with the entries of `files()` appended (stored, not deflated)."""
    tail = bytearray()
    sent = 0
    for chunk in zip_chunks:
        tail += chunk
        if len(tail) > 2 * _HOLD:
            out = bytes(tail[:-_HOLD])
            del tail[:-_HOLD]
            sent += len(out)
            yield out
    entries, directory_at = _entries(bytes(tail), sent)
    yield bytes(tail[: directory_at - sent])
    sink = ChunkSink(directory_at)
    archive = zipfile.ZipFile(sink, "w")
    for info in entries:
        archive.filelist.append(info)
        archive.NameToInfo[info.filename] = info
    try:
        for name, content in files():
            if name in archive.NameToInfo:
                continue
            with archive.open(name, "w", force_zip64=True) as entry:
                for part in content:
                    entry.write(part)
                    yield from sink.drain()
            yield from sink.drain()
        archive.close()
        yield from sink.drain()
    finally:
        close_quietly(archive)


def _entries(tail: bytes, sent: int) -> tuple[list[zipfile.ZipInfo], int]:
    """The entries of a zip whose bytes after the first `sent` are `tail`, and its directory."""
    with zipfile.ZipFile(io.BytesIO(tail)) as existing:
        # zipfile reads a zip it finds at the end of other data ("concatenated") and shifts
        # every offset by the missing `sent` bytes; the real stream has them, so shift back.
        entries = existing.infolist()
        directory_at = existing.start_dir + sent
    for info in entries:
        info.header_offset += sent
    return entries, directory_at
