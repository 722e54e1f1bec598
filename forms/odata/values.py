"""Answers as Central writes them in OData JSON: typed numbers, GeoJSON or WKT, ISO instants."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from forms.schema import Field

_LEADING_INT = re.compile(r"\s*([+-]?[0-9]+)")
_LEADING_FLOAT = re.compile(r"\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_SHORT_OFFSET = re.compile(r"[+-]\d\d$")


def odata_value(field: Field, value: Any, *, wkt: bool = False) -> Any:
    """The JSON value of one answer of `field`, as Central's OData feed gives it.

    int -> integer, decimal -> number, geopoint/geotrace/geoshape -> GeoJSON geometry
    (or WKT text with `wkt`), select multiple -> space-separated names, dateTime with a
    "+07" offset -> "+07:00" (Collect writes the short form), everything else text.
    Answers that do not parse become null, as in Central.
    """
    if value is None or value == "":
        return None
    data_type = field.data_type
    if data_type == "int":
        return _integer(value)
    if data_type == "decimal":
        return _decimal(value)
    if data_type == "geopoint":
        point = _point(value)
        if point is None:
            return None
        return _wkt_point(point) if wkt else _geojson_point(point)
    if data_type in ("geotrace", "geoshape"):
        return _geo_line(data_type, value, wkt)
    if data_type == "dateTime" and isinstance(value, str):
        text = value.strip()
        return f"{text}:00" if _SHORT_OFFSET.search(text) else text
    return _text(value)


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    match = _LEADING_INT.match(str(value))
    return int(match.group(1)) if match else None


def _decimal(value: Any) -> float | int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value if math.isfinite(value) else None
    match = _LEADING_FLOAT.match(str(value))
    return float(match.group(1)) if match else None


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(_text(item) for item in value)
    if isinstance(value, float):
        return js_number(value)
    return str(value)


def _point(value: Any) -> list[float] | None:
    """[lat, lon, alt?, acc?] from a typed answer or its text; None when not a point."""
    parts: Sequence[Any] = value.split() if isinstance(value, str) else value
    if not isinstance(parts, list | tuple) or len(parts) < 2:
        return None
    numbers = []
    for part in parts[:4]:
        number = _decimal(part)
        if number is None:
            break
        numbers.append(float(number))
    return numbers if len(numbers) >= 2 else None


def _coordinates(point: Sequence[float]) -> list[float]:
    return [point[1], point[0], *point[2:3]]


def _geojson_point(point: Sequence[float]) -> dict[str, Any]:
    geometry: dict[str, Any] = {"type": "Point", "coordinates": _coordinates(point)}
    if len(point) > 3:
        geometry["properties"] = {"accuracy": point[3]}
    return geometry


def _wkt_point(point: Sequence[float]) -> str:
    return f"POINT ({' '.join(js_number(n) for n in _coordinates(point))})"


def _geo_line(data_type: str, value: Any, wkt: bool) -> Any:
    items: Sequence[Any] = value.split(";") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return None
    points = [p for p in (_point(item) for item in items) if p is not None]
    if not points:
        return None
    if wkt:
        text = ",".join(" ".join(js_number(n) for n in _coordinates(p)) for p in points)
        return f"LINESTRING ({text})" if data_type == "geotrace" else f"POLYGON (({text}))"
    coordinates = [_coordinates(p) for p in points]
    geometry: dict[str, Any] = (
        {"type": "LineString", "coordinates": coordinates}
        if data_type == "geotrace"
        else {"type": "Polygon", "coordinates": [coordinates]}
    )
    # Central keeps one accuracy per point (null when absent or zero) so they line up.
    accuracies = [(p[3] or None) if len(p) > 3 else None for p in points]
    if any(a is not None for a in accuracies):
        geometry["properties"] = {"accuracies": accuracies}
    return geometry


def js_number(number: float) -> str:
    """A number as JavaScript prints it: 72.0 -> "72", 40.5 -> "40.5" (WKT is text)."""
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    return repr(number)


def iso_instant(moment: datetime | date | str | None) -> str | None:
    """An instant as Central prints it (JavaScript's toISOString): 2026-03-08T09:30:15.250Z."""
    if moment is None or isinstance(moment, str):
        return moment
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the server stores instants in UTC
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
