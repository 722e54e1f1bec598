"""CSV cells read straight from a document as text, without a typed cell in between.

Each getter returns exactly csv_text() of the typed cell rows.typed_getter gives for the
same column; the commonest answers (text, whole numbers, decimals, geopoint parts) take a
short path, every other answer goes through the typed getter.
"""

from __future__ import annotations

from collections.abc import Callable

from forms.export.cells import FORMULA_TRIGGERS, Cell, as_number, as_text, csv_text, float_text
from forms.export.plan import Column, ExportPlan
from forms.export.rows import (
    META_CELLS,
    CompiledTable,
    Document,
    Getter,
    SubmissionRow,
    compiled_tables,
    typed_getter,
    value_converter,
)

TextGetter = Getter[str]


def text_tables(plan: ExportPlan) -> tuple[CompiledTable[str], ...]:
    """`plan`'s tables with a CSV text getter per column (made once per plan)."""
    return compiled_tables(plan, "_compiled_text", text_getter)


def text_getter(plan: ExportPlan, column: Column) -> TextGetter:
    """How one column's CSV text is read: csv_text of its typed cell, faster."""
    path = column.path or ""
    if column.kind == "meta":
        return _meta_text(META_CELLS[column.header])
    if column.kind == "key":
        return _cell_text(lambda data, sub, key, parent: key)
    if column.kind == "parent_key":
        return _cell_text(lambda data, sub, key, parent: parent)
    if column.kind == "geo":
        return _geo_text(plan, column, path, column.part)
    if column.kind == "value" and path != f"{plan.root_path}/meta/instanceID":
        convert = value_converter(plan, column.field)
        if convert is as_text:
            return _plain_text(path)
        if convert is as_number:
            return _number_text(plan, column, path)
    return _cell_text(typed_getter(plan, column))


def _cell_text(typed: Getter[Cell]) -> TextGetter:
    def get(data: Document, sub: SubmissionRow, key: str, parent: str) -> str:
        cell = typed(data, sub, key, parent)
        # csv_text, with its commonest cases (text, empty, whole numbers) written out.
        if cell.__class__ is str:
            return "'" + cell if cell and cell[0] in FORMULA_TRIGGERS else cell
        if cell is None:
            return ""
        return str(cell) if cell.__class__ is int else csv_text(cell)

    return get


def _meta_text(meta: Callable[[SubmissionRow], Cell]) -> TextGetter:
    def get(data: Document, sub: SubmissionRow, key: str, parent: str) -> str:
        cell = meta(sub)
        if cell.__class__ is str:
            return "'" + cell if cell and cell[0] in FORMULA_TRIGGERS else cell
        return "" if cell is None else csv_text(cell)

    return get


def _plain_text(path: str) -> TextGetter:
    def get(data: Document, sub: SubmissionRow, key: str, parent: str) -> str:
        value = data.get(path)
        if value.__class__ is str:
            return "'" + value if value and value[0] in FORMULA_TRIGGERS else value
        return "" if value is None else csv_text(as_text(value))

    return get


def _number_text(plan: ExportPlan, column: Column, path: str) -> TextGetter:
    typed = typed_getter(plan, column)

    def get(data: Document, sub: SubmissionRow, key: str, parent: str) -> str:
        value = data.get(path)
        if value.__class__ is int:
            return str(value)
        if value.__class__ is float:
            return float_text(value)
        return csv_text(typed(data, sub, key, parent))

    return get


def _geo_text(plan: ExportPlan, column: Column, path: str, part: int) -> TextGetter:
    typed = typed_getter(plan, column)

    def get(data: Document, sub: SubmissionRow, key: str, parent: str) -> str:
        value = data.get(path)
        # Geopoints are stored as [lat, lon, alt, acc]: a float part is written as it is.
        if value.__class__ is list and part < len(value) and value[part].__class__ is float:
            return float_text(value[part])
        return csv_text(typed(data, sub, key, parent))

    return get
