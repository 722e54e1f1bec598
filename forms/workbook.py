"""Upload checks before pyxform reads a file: size limits, zip bombs, and the file's format."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath

from forms.errors import Problem, WorkbookTooLarge, XLSFormInvalid

_MB = 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the .xls (BIFF) container
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class WorkbookLimits:
    """How large an uploaded form definition may be, packed and unpacked."""

    max_upload_bytes: int = 50 * _MB
    max_unzipped_bytes: int = 100 * _MB
    max_sheet_bytes: int = 20 * _MB
    max_zip_entries: int = 1000


def check_size(content: bytes, limits: WorkbookLimits) -> None:
    """Raise WorkbookTooLarge when the upload, or what it unzips to, exceeds the limits.

    Only the zip's central directory is read. The sizes it declares bound what can be
    inflated: Python's zipfile stops at the declared size and fails on a CRC mismatch.
    """
    if len(content) > limits.max_upload_bytes:
        raise WorkbookTooLarge(
            f"The file is {len(content)} bytes; the limit is {limits.max_upload_bytes} bytes."
        )
    if not content.startswith(_ZIP_MAGIC):
        return
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            entries = archive.infolist()
    except Exception as exc:  # BadZipFile, and OSError/ValueError on mangled directories
        raise XLSFormInvalid(
            [Problem(None, None, f"The file is not a readable .xlsx workbook: {exc}")]
        ) from exc
    _check_entries(entries, limits)


def _check_entries(entries: list[zipfile.ZipInfo], limits: WorkbookLimits) -> None:
    if len(entries) > limits.max_zip_entries:
        raise WorkbookTooLarge(
            f"The workbook has {len(entries)} parts; the limit is {limits.max_zip_entries}."
        )
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_unzipped_bytes:
        raise WorkbookTooLarge(
            f"The workbook unzips to {total} bytes; the limit is {limits.max_unzipped_bytes}."
        )
    for entry in entries:
        # Sheets and shared strings are XML parts that openpyxl reads into memory whole.
        if entry.filename.endswith(".xml") and entry.file_size > limits.max_sheet_bytes:
            raise WorkbookTooLarge(
                f"The workbook part {entry.filename} is {entry.file_size} bytes unzipped; "
                f"the limit is {limits.max_sheet_bytes}."
            )


def sniff_format(content: bytes, filename: str) -> str | None:
    """The definition's format (".xlsx", ".xls", ".csv", ".md", ".xml"), content before name.

    None means "unknown": pyxform then tries each format it knows (and fails with its own
    message). Raises XLSFormInvalid for an empty upload.
    """
    text_start = content.removeprefix(_UTF8_BOM).lstrip()
    if not text_start:
        raise XLSFormInvalid([Problem(None, None, "The uploaded file is empty.")])
    if content.startswith(_ZIP_MAGIC):
        return ".xlsx"
    if content.startswith(_OLE_MAGIC):
        return ".xls"
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix == ".xml" or text_start.startswith(b"<"):
        return ".xml"
    if suffix in (".csv", ".md"):
        return suffix
    return _text_format(text_start)


def _text_format(text: bytes) -> str | None:
    try:
        decoded = text[:5000].decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        decoded = ""
    # The same thresholds pyxform uses when it guesses (xls2json_backends.is_markdown_table).
    if decoded.count("|") >= 5:
        return ".md"
    if decoded.count(",") >= 4:
        return ".csv"
    return None
