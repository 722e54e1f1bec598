"""Write Kenesh's example XLSForms (`<name>.xlsx`) from their readable Python sources.

Run `.venv/bin/python forms/examples/build.py` after editing a source. A workbook whose
cells already match its source is left untouched, so rebuilding changes nothing in git.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook, load_workbook

from forms.examples import (
    incident_report,
    local_action_plan_activity,
    open_day_consultation,
    update_lap_activity,
)
from forms.examples.common import DEFAULT_LANGUAGE, LANGUAGES, Row, XlsFormSource

HERE = Path(__file__).resolve().parent
SOURCES: tuple[XlsFormSource, ...] = (
    open_day_consultation.FORM,
    local_action_plan_activity.FORM,
    update_lap_activity.FORM,
    incident_report.FORM,
)

Sheet = list[list[str]]

TRANSLATED = ("label", "hint", "constraint_message", "required_message")
SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "choice_filter",
    "appearance",
    "default",
    "parameters",
    "save_to",
)
CHOICE_COLUMNS = ("list_name", "name", "label")
ENTITY_COLUMNS = ("list_name", "label", "entity_id", "create_if", "update_if")


def _columns(rows: Sequence[Row], known: Sequence[str]) -> list[str]:
    """Columns used by any row: the known ones in XLSForm order, then extras as first seen."""
    used = {key for row in rows for key in row}
    unknown = [key for row in rows for key in row if key not in known]
    return [c for c in known if c in used] + list(dict.fromkeys(unknown))


def _headers(columns: Sequence[str], translated: Sequence[str]) -> list[str]:
    headers: list[str] = []
    for column in columns:
        if column in translated:
            headers += [f"{column}::{language}" for language in LANGUAGES]
        else:
            headers.append(column)
    return headers


def _cells(row: Row, columns: Sequence[str], translated: Sequence[str]) -> list[str]:
    cells: list[str] = []
    for column in columns:
        value = row.get(column)
        if column in translated:
            if isinstance(value, str):
                # Every text a person reads must exist in all three languages.
                raise ValueError(f"{column} of {row.get('name')!r} needs ky, ru and en")
            cells += list(value) if value else ["", "", ""]
        elif isinstance(value, tuple):
            raise ValueError(f"{column} of {row.get('name')!r} is not translatable")
        else:
            cells.append(value or "")
    return cells


def table(
    rows: Sequence[Row], known: Sequence[str], translated: Sequence[str] = TRANSLATED
) -> Sheet:
    """One worksheet as a header row and data rows of strings."""
    columns = _columns(rows, known)
    return [_headers(columns, translated)] + [_cells(row, columns, translated) for row in rows]


def workbook_sheets(source: XlsFormSource) -> dict[str, Sheet]:
    """All worksheets of one example form, by sheet name."""
    settings = {
        "form_id": source.name,
        "version": source.version,
        "form_title": source.title,
        "default_language": DEFAULT_LANGUAGE,
        **source.extra_settings,
    }
    sheets = {
        "survey": table(source.survey, SURVEY_COLUMNS),
        "choices": table(source.choices, CHOICE_COLUMNS),
        "settings": [list(settings), list(settings.values())],
    }
    if source.entities:
        sheets["entities"] = table(source.entities, ENTITY_COLUMNS, translated=())
    return sheets


def read_sheets(path: Path) -> dict[str, Sheet]:
    """The cell values of an .xlsx as strings, by sheet name (empty cells as "")."""
    workbook = load_workbook(path, read_only=True)
    try:
        return {
            sheet.title: [
                ["" if cell is None else str(cell) for cell in row]
                for row in sheet.iter_rows(values_only=True)
            ]
            for sheet in workbook.worksheets
        }
    finally:
        workbook.close()


def write_sheets(sheets: dict[str, Sheet], path: Path) -> None:
    """Write the sheets to a new .xlsx at `path`, every cell as text."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        worksheet = workbook.create_sheet(title)
        for row in rows:
            # None rather than "" so that empty cells stay empty in the file.
            worksheet.append([cell or None for cell in row])
    workbook.save(path)


def build(out_dir: Path = HERE) -> list[Path]:
    """Write every example workbook into `out_dir`; return the paths that changed."""
    changed: list[Path] = []
    for source in SOURCES:
        path = out_dir / f"{source.name}.xlsx"
        sheets = workbook_sheets(source)
        if path.exists() and read_sheets(path) == sheets:
            continue
        write_sheets(sheets, path)
        changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build into forms/examples/ or into --out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=HERE, help="directory for the .xlsx files")
    args = parser.parse_args(argv)
    for path in build(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
