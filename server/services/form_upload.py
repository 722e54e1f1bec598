"""An uploaded form definition, converted and checked before anything is written to the database."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from forms.convert import ConvertedForm, WorkbookLimits, convert_definition
from forms.errors import WorkbookTooLarge, XLSFormInvalid
from forms.schema import FormSchema
from server import errors
from server.errors import Problem
from server.settings import Settings
from server.storage import StoredBlob, store_bytes

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS_TYPE = "application/vnd.ms-excel"
# Content-Type -> the file name handed to the converter (it sniffs the bytes first anyway).
_NAME_FOR_TYPE = {
    XLSX_TYPE: "form.xlsx",
    XLS_TYPE: "form.xls",
    "text/csv": "form.csv",
    "text/markdown": "form.md",
    "text/x-markdown": "form.md",
}
# The stored original's content type, by the format the converter recognised.
_TYPE_FOR_FORMAT = {
    ".xlsx": XLSX_TYPE, ".xls": XLS_TYPE, ".csv": "text/csv", ".md": "text/markdown",
}
# The downloads of an original, by the extension of their route ({xmlFormId}.xlsx, .csv, …).
ORIGINAL_TYPES = {suffix.lstrip("."): media for suffix, media in _TYPE_FOR_FORMAT.items()}
# A form id with a download's suffix would be shadowed by that download's route.
_RESERVED_SUFFIX = re.compile(r"\.(xlsx?|xml|csv|md)$")
_MAX_ID_LENGTH = 255


@dataclass(frozen=True)
class Upload:
    """A request body that should be a form definition."""

    content: bytes
    content_type: str | None = None
    form_id_fallback: str | None = None  # X-XlsForm-FormId-Fallback (pyodk percent-encodes it)


@dataclass(frozen=True)
class StoredFiles:
    """The files of an accepted definition, written to the data directory."""

    original: StoredBlob | None  # the XLSForm as uploaded; None for raw XForms
    itemsets: StoredBlob | None  # choices of select_one_external, served as itemsets.csv


@dataclass(frozen=True)
class PreparedDefinition:
    """A converted definition, ready to become a form_defs row; nothing is on disk yet."""

    converted: ConvertedForm
    original: bytes | None  # the XLSForm as uploaded; None for raw XForms
    original_type: str | None
    data_dir: Path
    xlsform_warnings: tuple[str, ...] = field(default=())

    @property
    def xml_form_id(self) -> str:
        return self.converted.xml_form_id

    @property
    def schema(self) -> FormSchema:
        return self.converted.schema

    def store_files(self) -> StoredFiles:
        """Write the original and the itemsets CSV; call once the definition is accepted.

        Not at upload: a definition refused for its warnings or its id would leave files no
        row refers to, and deleting them afterwards could pull a file from under a concurrent
        upload of the same bytes (the store is content-addressed).
        """
        original = store_bytes(self.data_dir, self.original) if self.original else None
        itemsets_csv = self.converted.itemsets_csv
        itemsets = (
            store_bytes(self.data_dir, itemsets_csv.encode("utf-8"))
            if itemsets_csv is not None else None
        )
        return StoredFiles(original=original, itemsets=itemsets)


def prepare_definition(settings: Settings, upload: Upload) -> PreparedDefinition:
    """Convert an upload; raise the catalogue's problem for anything wrong with it.

    Never lets a conversion failure escape as anything but a 400 or a 413.
    """
    converted = _convert(settings, upload)
    _check_form_id(converted.xml_form_id)
    if not _has_meta(converted.schema):
        raise Problem(errors.FORM_MISSING_META)
    original_type = _TYPE_FOR_FORMAT.get(converted.source_format)
    return PreparedDefinition(
        converted=converted,
        original=upload.content if original_type else None,
        original_type=original_type,
        data_dir=settings.data_dir,
        xlsform_warnings=converted.warnings,
    )


def _convert(settings: Settings, upload: Upload) -> ConvertedForm:
    media_type = (upload.content_type or "").split(";")[0].strip().lower()
    filename = _NAME_FOR_TYPE.get(media_type, "form.xml" if "xml" in media_type else "form")
    fallback = unquote(upload.form_id_fallback).strip() if upload.form_id_fallback else None
    limits = WorkbookLimits(
        max_upload_bytes=settings.max_body_bytes,
        max_unzipped_bytes=settings.xlsx_max_unzipped_bytes,
        max_sheet_bytes=settings.xlsx_max_sheet_bytes,
    )
    try:
        return convert_definition(
            upload.content, filename, form_id_fallback=fallback or None,
            default_language=settings.default_language, limits=limits,
        )
    except WorkbookTooLarge as exc:
        raise Problem(errors.FORM_TOO_LARGE, exc.message) from exc
    except XLSFormInvalid as exc:
        problems = [
            {"sheet": p.sheet, "row": p.row, "message": p.message} for p in exc.problems
        ]
        detail = "; ".join(p.message for p in exc.problems)[:2000]
        raise Problem(errors.XLSFORM_INVALID, detail, problems=problems) from exc


def _check_form_id(xml_form_id: str) -> None:
    if not xml_form_id or len(xml_form_id) > _MAX_ID_LENGTH or "/" in xml_form_id:
        raise Problem(errors.FORM_ID_INVALID, f"The form id {xml_form_id!r} cannot be used.")
    if _RESERVED_SUFFIX.search(xml_form_id):
        raise Problem(
            errors.FORM_ID_INVALID,
            "The form id cannot end in .xls, .xlsx, .xml, .csv or .md: give the form a form_id "
            "in its settings, or rename the file.",
        )


def _has_meta(schema: FormSchema) -> bool:
    return any(f.name == "meta" and f.is_group for f in schema.children)


def refuse_warnings(xlsform: tuple[str, ...], workflow: list[dict[str, Any]]) -> None:
    """ODK Central's rule: a definition with warnings is refused unless they are ignored."""
    document = warnings_document(xlsform, workflow)
    if document is not None:
        count = len(xlsform) + len(workflow)
        raise Problem(
            errors.XLSFORM_WARNINGS,
            f"The form definition has {count} warning(s); nothing was created.",
            warnings=document,
        )


def warnings_document(
    xlsform: tuple[str, ...], workflow: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The warnings as ODK Central reports them, or None when there are none."""
    if not xlsform and not workflow:
        return None
    document: dict[str, Any] = {}
    if xlsform:
        document["xlsFormWarnings"] = list(xlsform)
    if workflow:
        document["workflowWarnings"] = workflow
    return document
