"""Exports of submissions (CSV, zipped CSV, XLSX, GeoJSON) across form versions, streamed (pure)."""

from forms.export.cells import Cell, neutralise
from forms.export.csv_writer import csv_stream, csv_zip_stream, default_spool, write_csv_rows
from forms.export.geojson import geojson_stream
from forms.export.plan import Column, ExportPlan, Table, merge_versions, plan_export
from forms.export.rows import SubmissionRow, rows_for_submission
from forms.export.xlsx_writer import xlsx_stream

__all__ = [
    "Cell",
    "Column",
    "ExportPlan",
    "SubmissionRow",
    "Table",
    "csv_stream",
    "csv_zip_stream",
    "default_spool",
    "geojson_stream",
    "merge_versions",
    "neutralise",
    "plan_export",
    "rows_for_submission",
    "write_csv_rows",
    "xlsx_stream",
]
