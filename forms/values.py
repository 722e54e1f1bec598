"""Typing answers by their field (text -> int, float, list, ...) and writing them back as text."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from forms.schema import Field

# Stricter than int()/float(): those accept "1_000", "nan", "inf" and non-ASCII digits,
# none of which an XForm int or decimal may hold.
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)
_DECIMAL = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)\s*", re.ASCII)
_GEO_LINES = ("geotrace", "geoshape")


def typed_value(field: Field | None, text: str | None) -> Any:
    """The answer in `text` typed by its field; text that does not parse is kept as it is.

    Empty answers are None. int -> int, decimal -> float, geopoint -> [lat, lon, alt, acc],
    geotrace/geoshape -> list of points, select multiple -> list of names, else str.
    """
    if text is None or text == "":
        return None
    if field is None:
        return text
    if field.is_select_multiple:
        return text.split() or None
    data_type = field.data_type
    if data_type == "int":
        return int(text) if _INTEGER.fullmatch(text) else text
    if data_type == "decimal":
        return float(text) if _DECIMAL.fullmatch(text) else text
    if data_type == "geopoint":
        return _point(text) or text
    if data_type in _GEO_LINES:
        points = [_point(part) for part in text.split(";") if part.strip()]
        return points if points and all(points) else text
    return text


def _point(text: str) -> list[float] | None:
    parts = text.split()
    if not 2 <= len(parts) <= 4 or not all(_DECIMAL.fullmatch(part) for part in parts):
        return None
    return [float(part) for part in parts]


def text_value(field: Field | None, value: Any) -> str | None:
    """The XML text of a typed answer: the inverse of typed_value (None for no answer)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return decimal_text(value)
    if isinstance(value, (list, tuple)):  # a tuple: `list | tuple` is built anew per call
        if field is not None and field.data_type in _GEO_LINES:
            return ";".join(_point_text(point) for point in value)
        return " ".join(_scalar_text(item) for item in value) or None
    return str(value)


def _point_text(point: Any) -> str:
    if isinstance(point, list | tuple):
        return " ".join(_scalar_text(number) for number in point)
    return str(point)


def _scalar_text(item: Any) -> str:
    return decimal_text(item) if isinstance(item, float) else str(item)


def decimal_text(number: float) -> str:
    """A float as XForm decimal text: shortest exact digits, never exponent notation."""
    text = repr(number)
    if "e" in text or "E" in text:
        # XForms decimals have no exponent; Decimal(repr) keeps the digits exactly.
        text = format(Decimal(text), "f")
    return text
