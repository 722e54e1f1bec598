"""Files in the blob store that no row names: what refused and failed requests leave behind.

An OpenRosa submission's attachments are streamed into the blob store while the request is
read, before the submission is checked, so that a large one is never held in memory. When it is
then refused (malformed XML, a closed form, a conflicting resend) or its transaction fails, its
files stay without a ``blobs`` row. So do the temporary files of a process killed in the middle
of an upload. ``kenesh purge`` deletes both once nobody has written them for ``GRACE``: a
request that finds its content already on disk touches the file (server/storage.py), so a file
that a transaction in flight is about to name is never that old.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from server.db import unit_of_work
from server.models import Blob
from server.services.key_lookup import among
from server.storage import BLOB_DIR

GRACE = timedelta(days=1)
_CHECK_AT_ONCE = 1_000


def sweep_unnamed_files(engine: Engine, data_dir: Path, grace: timedelta = GRACE) -> int:
    """Delete blob-store files older than `grace` that no ``blobs`` row names; their count."""
    root = Path(data_dir)
    store = root / BLOB_DIR
    if not store.is_dir():
        return 0
    cutoff = time.time() - grace.total_seconds()
    swept = 0
    for leftover in _old_files(store / "tmp", cutoff):
        leftover.unlink(missing_ok=True)
        swept += 1
    batch: list[str] = []
    for stored in _old_files(store, cutoff, skip=store / "tmp"):
        batch.append(stored.relative_to(root).as_posix())
        if len(batch) == _CHECK_AT_ONCE:
            swept += _delete_unnamed(engine, root, batch)
            batch = []
    return swept + (_delete_unnamed(engine, root, batch) if batch else 0)


def _old_files(folder: Path, cutoff: float, skip: Path | None = None) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in folder.rglob("*"):
        if skip is not None and skip in path.parents:
            continue
        if path.is_file() and path.stat().st_mtime < cutoff:
            yield path


def _delete_unnamed(engine: Engine, root: Path, paths: list[str]) -> int:
    with unit_of_work(engine, write=False) as uow:
        session = uow.session
        named = set(session.exec(select(Blob.path).where(among(session, Blob.path, paths))).all())
    unnamed = [p for p in paths if p not in named]
    for relative in unnamed:
        (root / relative).unlink(missing_ok=True)
    return len(unnamed)
