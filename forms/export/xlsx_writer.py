"""Streamed XLSX export: the main table's sheet first, one sheet per repeat after it."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from forms.export.cells import Cell, neutralise, utc
from forms.export.csv_writer import Spool, default_spool
from forms.export.plan import ExportPlan
from forms.export.rows import SubmissionRow, rows_for_submission

_CHUNK = 256 * 1024
_SHEET_TITLE_MAX = 31
_BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")
# Characters outside XML 1.0's Char production (control characters, lone surrogates, U+FFFE,
# U+FFFF); openpyxl refuses cells that hold them.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xlsx_stream(
    plan: ExportPlan,
    submissions: Iterable[SubmissionRow],
    *,
    spool: Spool = default_spool,
) -> Iterator[bytes]:
    """The export as an XLSX workbook, in chunks of bytes.

    Each sheet starts with a row of labels in the plan's language and a row of Central's
    column names. Cells keep their types (numbers, dates; SubmissionDate as a UTC datetime).
    openpyxl's write-only mode spools each sheet to a temporary file while rows arrive, so
    memory stays flat; the workbook is assembled into `spool()` and sent from there, which
    means its first byte leaves only once the last submission has been read.
    """
    workbook = Workbook(write_only=True)
    sheets: dict[str, WriteOnlyWorksheet] = {}
    for table, title in zip(plan.tables, sheet_titles(plan), strict=True):
        sheet = workbook.create_sheet(title)
        sheet.append([_header_cell(sheet, text) for text in table.labels(plan.lang)])
        sheet.append([_header_cell(sheet, text) for text in table.headers])
        sheets[table.name] = sheet
    output = spool()
    try:
        try:
            for submission in submissions:
                for name, rows in rows_for_submission(plan, submission).items():
                    sheet = sheets[name]
                    for row in rows:
                        sheet.append(xlsx_row(row))
            workbook.save(output)
        except BaseException:
            _discard(sheets.values())
            raise
        output.seek(0)
        while chunk := output.read(_CHUNK):
            yield chunk
    finally:
        output.close()


def _discard(sheets: Iterable[WriteOnlyWorksheet]) -> None:
    """Remove the temporary files of sheets never saved.

    openpyxl deletes a write-only sheet's temporary file when the workbook is saved, or else
    at interpreter exit: a failed export in a long-running server would leave it on disk.
    """
    for sheet in sheets:
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
        # Excel has no time zones; the header says SubmissionDate, which Central gives in UTC.
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
