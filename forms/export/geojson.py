"""Streamed GeoJSON export: a FeatureCollection of geopoint answers, for QGIS and web maps."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from forms.export.cells import Cell, csv_text
from forms.export.plan import ExportPlan, Table
from forms.export.rows import SubmissionRow, rows_for_submission

_HEAD = b'{"type":"FeatureCollection","features":['
_TAIL = b"]}\n"


@dataclass(frozen=True)
class _Point:
    table: str
    path: str
    header: str  # the geopoint's column name without "-Latitude"
    latitude: int  # column index of the latitude; longitude and altitude follow
    key: int  # column index of KEY
    excluded: frozenset[int]  # latitude, longitude and altitude: they are the geometry


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
    yield _HEAD
    first = True
    for submission in submissions:
        rows = rows_for_submission(plan, submission)
        for point, table in points:
            for row in rows[point.table]:
                feature = _feature(table, point, row)
                if feature is None:
                    continue
                yield (b"" if first else b",") + feature
                first = False
    yield _TAIL


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
                table.headers.index("KEY"), frozenset((index, index + 1, index + 2)),
            ), table))
    if only is not None and not points:
        raise ValueError(f"the form has no geopoint at {only}")
    return points


def _feature(table: Table, point: _Point, row: Sequence[Cell]) -> bytes | None:
    coordinates = _coordinates(row[point.latitude : point.latitude + 3])
    if coordinates is None:
        return None
    properties = {
        column.header: _json_value(cell)
        for index, (column, cell) in enumerate(zip(table.columns, row, strict=True))
        if index not in point.excluded
    }
    properties["geopoint"] = point.header
    feature = {
        "type": "Feature",
        "id": row[point.key],
        "geometry": {"type": "Point", "coordinates": coordinates},
        "properties": properties,
    }
    return json.dumps(feature, ensure_ascii=False, allow_nan=False).encode("utf-8")


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
    if isinstance(cell, float) and not math.isfinite(cell):
        return None
    if isinstance(cell, date | datetime):
        return csv_text(cell)
    return cell
