"""Form definitions in (XLSForm or XForm bytes), XForm, schema and declared files out."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import Definition
from pyxform.xls2xform import convert

from forms.errors import Problem, WorkbookTooLarge, XLSFormInvalid
from forms.schema import EntityDeclaration, Field, FormSchema
from forms.workbook import WorkbookLimits, check_size, sniff_format
from forms.xform_schema import XFormSummary, summarize_xform
from forms.xform_version import set_form_version, xform_md5

__all__ = [
    "ConvertedForm",
    "WorkbookLimits",
    "convert_definition",
    "set_form_version",
    "xform_md5",
]

_ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
_SHEET = re.compile(r"""the '([^']+)' sheet|sheet named '([^']+)'|sheet:? '([^']+)'""")
_YES = frozenset({"yes", "true", "true()", "1", "y"})
_MAX_MESSAGE = 2000


@dataclass(frozen=True)
class ConvertedForm:
    """A converted form definition: the XForm exactly as produced, and what Kenesh reads from it."""

    xform: bytes
    md5: str
    schema: FormSchema
    warnings: tuple[str, ...]
    xml_form_id: str
    version: str | None
    title: str
    media: tuple[str, ...]  # files the form declares, in order of first mention
    media_types: Mapping[str, str]  # file name -> "image" | "audio" | "video" | "file"
    entity: EntityDeclaration | None
    sensitive: bool
    source_format: str  # ".xlsx", ".xls", ".csv", ".md", ".xml"; "" when pyxform guessed
    itemsets_csv: str | None = None  # select_one_external choices, served as itemsets.csv


def convert_definition(
    content: bytes,
    filename: str,
    *,
    form_id_fallback: str | None = None,
    default_language: str = "en",
    limits: WorkbookLimits = WorkbookLimits(),
) -> ConvertedForm:
    """Convert an uploaded XLSForm (.xlsx, .xls, .csv, .md) or raw XForm into a ConvertedForm.

    `form_id_fallback` names the form when the workbook's settings give no form_id (ODK
    Central's X-XlsForm-FormId-Fallback); without it the file name is used, as pyxform does.
    Raises WorkbookTooLarge for oversized uploads and XLSFormInvalid for everything else
    that is wrong with the input; no other exception escapes, whatever the bytes.
    """
    check_size(content, limits)
    source_format = sniff_format(content, filename)
    if source_format == ".xml":
        return _from_xform(content, default_language)
    fallback = form_id_fallback or PurePosixPath(filename.replace("\\", "/")).stem or "data"
    try:
        xform, pyxform_json, warnings, itemsets = _run_pyxform(content, source_format, fallback)
    except (XLSFormInvalid, WorkbookTooLarge):
        raise
    except Exception as exc:  # pyxform, openpyxl, xlrd and csv fail in many ways on bad input
        raise XLSFormInvalid(problems_from(exc)) from exc
    xform_bytes = xform.encode("utf-8")
    summary = summarize_xform(xform_bytes, default_language=default_language)
    return _converted(
        xform_bytes, summary, tuple(warnings), source_format or "", pyxform_json, itemsets
    )


def _run_pyxform(
    content: bytes, file_type: str | None, fallback_id: str
) -> tuple[str, dict[str, Any], list[str], str | None]:
    """pyxform.xls2xform.convert, in process and without ODK Validate."""
    # pyxform names a form without a form_id after its file's stem. Bytes have no file name,
    # so the bytes go in as pyxform's own Definition, whose stem is the fallback id
    # (convert passes a Definition through unchanged, though its signature does not list it).
    definition = Definition(data=BytesIO(content), file_type=None, file_path_stem=fallback_id)
    result = convert(definition, validate=False, pretty_print=False, file_type=file_type)
    pyxform_json: dict[str, Any] = result._pyxform or {}  # the only source of XLSForm types
    return result.xform, pyxform_json, result.warnings, result.itemsets


def _from_xform(content: bytes, default_language: str) -> ConvertedForm:
    summary = summarize_xform(content, default_language=default_language)
    if not summary.form_id:
        raise XLSFormInvalid(
            [Problem(None, None, "The XForm's primary instance root has no id attribute.")]
        )
    return _converted(content, summary, (), ".xml", None, None)


def _converted(
    xform: bytes,
    summary: XFormSummary,
    warnings: tuple[str, ...],
    source_format: str,
    pyxform_json: dict[str, Any] | None,
    itemsets: str | None,
) -> ConvertedForm:
    schema = summary.schema
    if pyxform_json is not None:
        settings = _settings(pyxform_json)
        schema = dataclasses.replace(
            _with_xlsform_types(schema, pyxform_json),
            settings=settings,
            sensitive=settings.get("sensitive", "").strip().lower() in _YES,
        )
    media_types = dict(summary.media_types)
    if itemsets is not None:
        media_types.setdefault("itemsets.csv", "file")
    return ConvertedForm(
        xform=xform,
        md5=xform_md5(xform),
        schema=schema,
        warnings=warnings,
        xml_form_id=schema.form_id,
        version=summary.version,
        title=schema.title,
        media=tuple(media_types),
        media_types=media_types,
        entity=schema.entity,
        sensitive=schema.sensitive,
        source_format=source_format,
        itemsets_csv=itemsets,
    )


def _settings(pyxform_json: Mapping[str, Any]) -> dict[str, str]:
    return {
        key: str(value)
        for key, value in pyxform_json.items()
        if isinstance(value, str | int | float | bool) and key not in ("type", "name")
    }


def _with_xlsform_types(schema: FormSchema, pyxform_json: Mapping[str, Any]) -> FormSchema:
    """The schema with each question's type as the XLSForm named it (pyxform's spelling)."""
    types: dict[str, str] = {}
    _collect_types(pyxform_json.get("children", []), "/" + schema.root_name, types)

    def retype(field: Field) -> Field:
        children = tuple(retype(child) for child in field.children)
        if field.is_group:
            return dataclasses.replace(field, children=children)
        return dataclasses.replace(field, type=types.get(field.path, field.type))

    return dataclasses.replace(schema, children=tuple(retype(f) for f in schema.children))


def _collect_types(children: list[Any], parent: str, types: dict[str, str]) -> None:
    for child in children:
        if not isinstance(child, dict) or "name" not in child:
            continue
        path = f"{parent}/{child['name']}"
        if isinstance(child.get("type"), str):
            types[path] = child["type"]
        _collect_types(child.get("children", []), path, types)


def problems_from(exc: BaseException) -> list[Problem]:
    """The problems a conversion failure reports, with sheet and row where pyxform names them."""
    if isinstance(exc, PyXFormError):
        message = str(exc).strip()
    else:
        message = f"The file could not be read as an XLSForm ({type(exc).__name__}: {exc})"
    message = (message or type(exc).__name__)[:_MAX_MESSAGE]
    row_match = _ROW.search(message)
    sheet_match = _SHEET.search(message)
    row = int(row_match.group(1)) if row_match else None
    # pyxform's row messages without a sheet name come from the survey sheet.
    named = next((g for g in sheet_match.groups() if g), None) if sheet_match else None
    sheet = named or ("survey" if row is not None else None)
    return [Problem(sheet=sheet, row=row, message=message)]
