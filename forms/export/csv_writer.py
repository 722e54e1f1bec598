"""Streamed CSV exports: one table as CSV bytes, or every table in a zip like ODK Central's."""

from __future__ import annotations

import contextlib
import csv
import io
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO

from forms.export.cells import FORMULA_TRIGGERS, Cell, csv_text
from forms.export.csv_cells import text_tables
from forms.export.plan import ExportPlan
from forms.export.rows import SubmissionRow, append_rows

Spool = Callable[[], IO[bytes]]
_FLUSH_CHARS = 256 * 1024  # buffered CSV text per table before it is encoded and passed on
_COPY_BYTES = 256 * 1024
_BATCH_ROWS = 256  # rows (or submissions) handled between two looks at the buffers
# zlib's level 6 spends most of a CSV export's time for a few percent of size; level 1
# keeps exports fast. Only the compressed bytes depend on it, never the CSV inside.
COMPRESS_LEVEL = 1


def default_spool() -> IO[bytes]:
    """Scratch space for repeat tables: memory up to 8 MiB, then an anonymous temp file."""
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)


class CsvTable:
    """CSV text for one table, as ODK Central writes it: UTF-8, no BOM, LF line ends.

    Quoting follows RFC 4180 (fields with a comma, quote or line break are quoted). Text
    cells are neutralised against formula injection on the way in. Rows of text wait in
    `pending_rows` and are written a batch at a time by `render()`.
    """

    def __init__(self) -> None:
        self.pending_rows: list[list[str]] = []
        self._scratch = io.StringIO()
        self._writer = csv.writer(self._scratch, lineterminator="\n")
        # Python's csv module only quotes the characters of its line terminator, so a row
        # holding a bare carriage return is written with every field quoted.
        self._quoted = csv.writer(self._scratch, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self._parts: list[str] = []
        self._chars = 0

    def add(self, row: Sequence[Cell]) -> None:
        """Append one row of typed cells."""
        self.pending_rows.append([
            ("'" + cell if cell and cell[0] in FORMULA_TRIGGERS else cell)
            if cell.__class__ is str
            else "" if cell is None else str(cell) if cell.__class__ is int else csv_text(cell)
            for cell in row
        ])
        if len(self.pending_rows) >= _BATCH_ROWS:
            self.render()

    def render(self) -> None:
        """Write the pending rows as CSV text."""
        rows = self.pending_rows
        if not rows:
            return
        text = _unquoted(rows)
        if text is None:
            self._writer.writerows(rows)
            text = self._take_scratch()
            if "\r" in text:  # rare: write again row by row, quoting the rows that need it
                for row in rows:
                    (self._quoted if "\r" in "".join(row) else self._writer).writerow(row)
                text = self._take_scratch()
        rows.clear()  # the same list object: callers may hold on to it
        self._parts.append(text)
        self._chars += len(text)

    @property
    def pending(self) -> int:
        """Characters rendered since the last take()."""
        return self._chars

    def take(self) -> bytes:
        """The rows added since the last call, encoded."""
        self.render()
        data = "".join(self._parts).encode("utf-8")
        self._parts.clear()
        self._chars = 0
        return data

    def _take_scratch(self) -> str:
        text = self._scratch.getvalue()
        self._scratch.seek(0)
        self._scratch.truncate()
        return text


def _unquoted(rows: list[list[str]]) -> str | None:
    """The rows as csv.writer writes them when none needs quoting; None when one might.

    With no comma, quote, line feed or carriage return in any field, and at least two
    fields a row (csv.writer quotes a lone empty field), each row is its fields joined by
    commas. Joining in one go is several times faster than csv.writer's field by field scan.
    """
    text = "\n".join(map(",".join, rows)) + "\n"
    fields = sum(map(len, rows))
    if (min(map(len, rows)) > 1 and text.count(",") == fields - len(rows)
            and '"' not in text and "\r" not in text and text.count("\n") == len(rows)):
        return text
    return None


def write_csv_rows(rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """Encode rows (header included, if wanted) as CSV, yielding chunks of bytes as they fill."""
    table = CsvTable()
    for row in rows:
        table.add(row)
        if table.pending >= _FLUSH_CHARS:
            yield table.take()
    tail = table.take()
    if tail:
        yield tail


def csv_stream(plan: ExportPlan, submissions: Iterable[SubmissionRow]) -> Iterator[bytes]:
    """The main table alone as CSV (Central's `submissions.csv`), header row first."""
    main = text_tables(plan)[0]
    table = CsvTable()
    table.add(plan.main.headers)
    for submission in submissions:
        table.pending_rows.append(main.main_row(submission))
        if len(table.pending_rows) >= _BATCH_ROWS:
            table.render()
            if table.pending >= _FLUSH_CHARS:
                yield table.take()
    tail = table.take()
    if tail:
        yield tail


def csv_zip_stream(
    plan: ExportPlan,
    submissions: Iterable[SubmissionRow],
    form_id: str | None = None,
    *,
    spool: Spool = default_spool,
    compresslevel: int = COMPRESS_LEVEL,
) -> Iterator[bytes]:
    """A zip of `{form_id}.csv` and one `{form_id}-{repeat}.csv` per repeat, as Central names them.

    The main table streams straight into the archive while submissions arrive; each repeat
    table is written to a `spool()` file meanwhile (memory stays flat) and copied into the
    archive after the main table. Entries carry ZIP64 headers because a streamed entry's
    size is unknown when its header is written.
    """
    names = _file_names(plan, form_id)
    sink = ChunkSink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED,
                              compresslevel=compresslevel)
    compiled = text_tables(plan)
    tables = {table.name: CsvTable() for table in plan.tables}
    pending = [tables[table.name].pending_rows for table in compiled]
    spools = {table.name: spool() for table in plan.tables[1:]}
    try:
        for table in plan.tables:
            tables[table.name].add(table.headers)
        with archive.open(names[plan.main.name], "w", force_zip64=True) as entry:
            for count, submission in enumerate(submissions, start=1):
                append_rows(compiled, submission, pending)
                if count % _BATCH_ROWS == 0:
                    _flush(tables, spools, entry, plan.main.name, _FLUSH_CHARS)
                    yield from sink.drain()
            _flush(tables, spools, entry, plan.main.name, 0)
        yield from sink.drain()
        for table in plan.tables[1:]:
            yield from copy_entry(archive, sink, names[table.name], spools[table.name],
                                  force_zip64=True)
        archive.close()
        yield from sink.drain()
    finally:
        close_quietly(archive)
        for file in spools.values():
            file.close()


def close_quietly(archive: zipfile.ZipFile) -> None:
    """Close a streamed zip left unfinished (the client went away; an error) while its sink
    is still open: the garbage collector would try later, and fail noisily."""
    with contextlib.suppress(Exception):
        archive.close()  # nothing when it is closed already


def _flush(
    tables: dict[str, CsvTable], spools: dict[str, IO[bytes]], entry: IO[bytes], main: str,
    threshold: int,
) -> None:
    for name, table in tables.items():
        table.render()
        if table.pending > threshold:
            (entry if name == main else spools[name]).write(table.take())


def copy_entry(
    archive: zipfile.ZipFile, sink: ChunkSink, target: str | zipfile.ZipInfo,
    source: IO[bytes], *, force_zip64: bool,
) -> Iterator[bytes]:
    """All of `source` into the zip entry `target`, passed on a piece at a time."""
    source.seek(0)
    with archive.open(target, "w", force_zip64=force_zip64) as entry:
        while chunk := source.read(_COPY_BYTES):
            entry.write(chunk)
            # Even empty (the compressor kept it all): a pause where a consumer may stop.
            yield sink.take()
    yield from sink.drain()


def _file_names(plan: ExportPlan, form_id: str | None) -> dict[str, str]:
    """File names in the zip; `form_id` renames the form's prefix (Central uses xmlFormId)."""
    names = {}
    for table in plan.tables:
        stem = table.name
        if form_id is not None and stem.startswith(plan.main.name):
            stem = form_id + stem[len(plan.main.name) :]
        names[table.name] = f"{stem}.csv"
    return names


class ChunkSink(io.RawIOBase):
    """A write-only, unseekable stream that hands on what zipfile writes to it.

    With a `position` it also tells where it is in the whole stream, for an archive that
    continues bytes already sent (zipfile then computes its offsets from there).
    """

    def __init__(self, position: int | None = None) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = position

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0) -> int:
        raise OSError("unseekable")

    def tell(self) -> int:
        if self._position is None:
            raise OSError("unseekable")
        return self._position

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        if self._position is not None:
            self._position += len(data)
        return len(data)

    def drain(self) -> Iterator[bytes]:
        """Yield what has been written since the last drain, as one chunk."""
        if self._chunks:
            yield self.take()

    def take(self) -> bytes:
        """What has been written since the last drain or take (b"" when nothing)."""
        chunk = b"".join(self._chunks)
        self._chunks.clear()
        return chunk
