"""Streamed XLSX export: the main table's sheet first, one sheet per repeat after it.

An XLSX file is a zip of XML parts, and a zip's entries may come in any order: only its
central directory, written last, lists them. So the main sheet's XML is written by openpyxl
straight into a zip entry that streams out while submissions are read; each repeat sheet
goes to openpyxl's temporary file meanwhile and is copied into the zip afterwards, followed
by the small parts (workbook, styles, content types) that openpyxl writes last anyway.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from forms.export.cells import Cell, neutralise, utc
from forms.export.csv_writer import COMPRESS_LEVEL, ChunkSink, copy_entry
from forms.export.plan import ExportPlan
from forms.export.rows import SubmissionRow, append_rows, sheet_tables

_BATCH = 256  # submissions between two looks at the compressed output
_SHEET_TITLE_MAX = 31
_BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")
# Characters outside XML 1.0's Char production (control characters, lone surrogates, U+FFFE,
# U+FFFF); openpyxl refuses cells that hold them.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xlsx_stream(
    plan: ExportPlan,
    submissions: Iterable[SubmissionRow],
    *,
    compresslevel: int = COMPRESS_LEVEL,
) -> Iterator[bytes]:
    """The export as an XLSX workbook, in chunks of bytes, the first before any row is read.

    Each sheet starts with a row of labels in the plan's language and a row of Central's
    column names. Cells keep their types: numbers, dates, date-times in naive UTC
    (SubmissionDate and dateTime answers; Excel has no time zones) and times of day as
    answered. Memory stays flat: the main sheet streams out as it is written, repeat sheets
    wait in temporary files (removed however the export ends).
    """
    workbook = Workbook(write_only=True)
    sheets = [workbook.create_sheet(title) for title in sheet_titles(plan)]
    sink = ChunkSink()
    # No ZIP64 unless a part needs it: Excel refuses a workbook whose small parts carry it.
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED,
                              compresslevel=compresslevel, allowZip64=True)
    main = sheets[0]
    entry = archive.open(_part_name(1), "w")
    try:
        main._writer = WorksheetWriter(main, out=entry)  # noqa: SLF001 - openpyxl's own hook
        main._writer.write_top()  # noqa: SLF001
        for sheet, table in zip(sheets, plan.tables, strict=True):
            sheet.append([_header_cell(sheet, text) for text in table.labels(plan.lang)])
            sheet.append([_header_cell(sheet, text) for text in table.headers])
        yield from sink.drain()
        yield from _sheet_rows(plan, submissions, sheets, sink)
        main.close()
        entry.close()
        yield from sink.drain()
        for number, sheet in enumerate(sheets[1:], start=2):
            yield from _copy_sheet(archive, sink, sheet, _part_name(number))
        workbook.properties.modified = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        _PartsWriter(workbook, archive).save()
        yield from sink.drain()
    except BaseException:
        _discard(main, entry, archive, sheets[1:])
        raise


def _sheet_rows(plan: ExportPlan, submissions: Iterable[SubmissionRow],
                sheets: list[WriteOnlyWorksheet], sink: ChunkSink) -> Iterator[bytes]:
    tables = sheet_tables(plan)
    pending: list[list[list[Cell]]] = [[] for _ in tables]
    for count, submission in enumerate(submissions, start=1):
        append_rows(tables, submission, pending)
        for sheet, rows in zip(sheets, pending, strict=True):
            for row in rows:
                sheet.append(xlsx_row(row))
            rows.clear()
        if count % _BATCH == 0:
            yield from sink.drain()


def _part_name(number: int) -> str:
    """The zip name of the workbook's `number`th sheet, as openpyxl names it when saving."""
    return f"xl/worksheets/sheet{number}.xml"  # openpyxl's Worksheet._path


def _copy_sheet(archive: zipfile.ZipFile, sink: ChunkSink, sheet: WriteOnlyWorksheet,
                name: str) -> Iterator[bytes]:
    """A repeat sheet's temporary file into the zip, a piece at a time, then removed."""
    sheet.close()
    path = sheet._writer.out  # noqa: SLF001
    info = zipfile.ZipInfo(name, date_time=dt.datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.file_size = os.path.getsize(path)  # lets zipfile use ZIP64 only when it must
    with open(path, "rb") as source:
        yield from copy_entry(archive, sink, info, source, force_zip64=False)
    sheet._writer.cleanup()  # noqa: SLF001


class _PartsWriter(ExcelWriter):  # type: ignore[misc]
    """openpyxl's writer for every part but the sheets, which are in the zip already."""

    def write_worksheet(self, ws: Any) -> None:
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        ws._rels = ws._writer._rels
        self.manifest.append(ws)


def _discard(main: WriteOnlyWorksheet, entry: Any, archive: zipfile.ZipFile,
             repeats: Iterable[WriteOnlyWorksheet]) -> None:
    """Let go of a workbook never finished: its zip, and the temporary files of its sheets.

    openpyxl deletes a write-only sheet's temporary file when the workbook is saved, or else
    at interpreter exit: a failed export in a long-running server would leave it on disk.
    """
    # The main sheet's XML is ended inside the zip, which is dropped; closing a sheet that
    # has no writer yet would make one, with a temporary file.
    for closable in ((main,) if main._writer is not None else ()) + (entry, archive):  # noqa: SLF001
        with contextlib.suppress(Exception):
            closable.close()
    for sheet in repeats:
        with contextlib.suppress(Exception):  # a sheet saved already refuses to close again
            sheet.close()
        writer = sheet._writer  # openpyxl has no public way to abandon a write-only sheet
        if writer is not None:
            with contextlib.suppress(OSError, ValueError):
                writer.cleanup()


def xlsx_row(row: Sequence[Cell]) -> list[Cell]:
    """Cells as openpyxl takes them: text neutralised and XML-safe, datetimes in naive UTC."""
    return [_xlsx_cell(cell) for cell in row]


def _xlsx_cell(cell: Cell) -> Cell:
    if isinstance(cell, str):
        return neutralise(_ILLEGAL_XML.sub("", cell))
    if isinstance(cell, datetime):
        # Excel has no time zones: every datetime is written in UTC, as Central gives
        # SubmissionDate, so that rows from devices in different zones sort and compare.
        return utc(cell).replace(tzinfo=None)
    return cell


def _header_cell(sheet: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=neutralise(_ILLEGAL_XML.sub("", text)))
    cell.font = Font(bold=True)
    return cell


def sheet_titles(plan: ExportPlan) -> list[str]:
    """Sheet names: the form id, then each repeat's name; Excel's rules applied, no clashes."""
    titles: list[str] = []
    taken: set[str] = set()
    for table in plan.tables:
        wanted = plan.form_id if table.repeat_path is None else table.repeat_path.rsplit("/", 1)[1]
        base = _BAD_TITLE_CHARS.sub("_", wanted).strip("'") or "sheet"
        title = base[:_SHEET_TITLE_MAX]
        count = 1
        while title.lower() in taken:
            count += 1
            suffix = f"~{count}"
            title = base[: _SHEET_TITLE_MAX - len(suffix)] + suffix
        taken.add(title.lower())
        titles.append(title)
    return titles
