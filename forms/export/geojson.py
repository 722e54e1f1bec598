"""Streamed GeoJSON export: a FeatureCollection of geopoint answers, for QGIS and web maps."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from forms.export.cells import Cell, csv_text
from forms.export.plan import ExportPlan, Table
from forms.export.rows import SubmissionRow, rows_for_submission, typed_tables

_HEAD = b'{"type":"FeatureCollection","features":['
_TAIL = b"]}\n"
_CHUNK_BYTES = 256 * 1024
# The same encoder as json.dumps(..., ensure_ascii=False, allow_nan=False), made once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class _Point:
    table: str
    path: str
    header: str  # the geopoint's column name without "-Latitude"
    latitude: int  # column index of the latitude; longitude and altitude follow
    key: int  # column index of KEY
    # (column index, header) of every column but latitude, longitude and altitude, which
    # are the geometry
    properties: tuple[tuple[int, str], ...]


def geojson_stream(
    plan: ExportPlan,
    submissions: Iterable[SubmissionRow],
    geopoint_path: str | None = None,
) -> Iterator[bytes]:
    """A GeoJSON FeatureCollection (RFC 7946), streamed one feature at a time.

    Every answered geopoint (only the one at `geopoint_path` when given) becomes a Point
    feature, coordinates in RFC 7946 order [longitude, latitude(, altitude)], with the other
    columns of its row as properties: the submission's columns for a geopoint outside
    repeats, the repeat row's for one inside. The feature's id is the row's KEY; the
    property "geopoint" names the question. Answers outside WGS 84's range are left out.
    """
    points = _points(plan, geopoint_path)
    # Features are passed on in chunks: one write per feature costs a server more than
    # the feature itself.
    main = typed_tables(plan)[0]
    # Geopoints outside repeats need the main row alone, not the repeat tables.
    main_only = all(point.table == main.name for point, _ in points)
    yield _HEAD
    chunk: list[bytes] = []
    size = 0
    separator = b""
    for submission in submissions:
        rows = {main.name: [main.main_row(submission)]} if main_only \
            else rows_for_submission(plan, submission)
        for point, table in points:
            for row in rows[point.table]:
                feature = _feature(table, point, row)
                if feature is None:
                    continue
                chunk.append(separator)
                chunk.append(feature)
                separator = b","
                size += len(feature)
        if size >= _CHUNK_BYTES:
            yield b"".join(chunk)
            chunk.clear()
            size = 0
    chunk.append(_TAIL)
    yield b"".join(chunk)


def _points(plan: ExportPlan, only: str | None) -> list[tuple[_Point, Table]]:
    points = []
    for table in plan.tables:
        for index, column in enumerate(table.columns):
            if column.kind != "geo" or column.part != 0:
                continue
            if only is not None and column.path != only:
                continue
            points.append((_Point(
                table.name, column.path or "", column.header.removesuffix("-Latitude"), index,
                table.headers.index("KEY"), _properties(table, index),
            ), table))
    if only is not None and not points:
        raise ValueError(f"the form has no geopoint at {only}")
    return points


def _feature(table: Table, point: _Point, row: Sequence[Cell]) -> bytes | None:
    coordinates = _coordinates(row[point.latitude : point.latitude + 3])
    if coordinates is None:
        return None
    properties = {header: _json_value(row[index]) for index, header in point.properties}
    properties["geopoint"] = point.header
    feature = {
        "type": "Feature",
        "id": row[point.key],
        "geometry": {"type": "Point", "coordinates": coordinates},
        "properties": properties,
    }
    return _ENCODER.encode(feature).encode("utf-8")


def _properties(table: Table, latitude: int) -> tuple[tuple[int, str], ...]:
    geometry = (latitude, latitude + 1, latitude + 2)
    return tuple((index, column.header) for index, column in enumerate(table.columns)
                 if index not in geometry)


def _coordinates(parts: Sequence[Cell]) -> list[float] | None:
    latitude, longitude, altitude = (_finite(part) for part in parts)
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return [longitude, latitude] if altitude is None else [longitude, latitude, altitude]


def _finite(cell: Cell) -> float | None:
    if isinstance(cell, int | float) and not isinstance(cell, bool) and math.isfinite(cell):
        return cell
    return None


def _json_value(cell: Cell) -> str | int | float | None:
    if cell.__class__ is str or cell.__class__ is int or cell is None:
        return cell
    if isinstance(cell, float) and not math.isfinite(cell):
        return None
    if isinstance(cell, date | datetime | time):
        return csv_text(cell)
    return cell
