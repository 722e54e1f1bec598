"""What kind of value an answer must be, and whether it is one: the type checks of validation."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

from forms.schema import SELECT_MULTIPLE_TYPES, SELECT_ONE_TYPES, Field

# Tuples, not unions: `int | float` builds a new union object each time it is evaluated, and
# these checks run for every answer of every submission.
_SCALARS = (int, float, str)
_SEQUENCES = (list, tuple)


def serialise(value: Any) -> str:
    """A value as the text of its instance element (select_multiple and geo lists joined)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _SCALARS):
        try:
            return str(value)
        except ValueError:  # an int too long to print
            return ""
    if isinstance(value, _SEQUENCES):
        if value and all(isinstance(v, _SEQUENCES) for v in value):
            return "; ".join(" ".join(_scalar_text(x) for x in point) for point in value)
        return " ".join(_scalar_text(v) for v in value)
    return ""


def _scalar_text(value: Any) -> str:
    return serialise(value) if isinstance(value, bool | int | float | str) else ""


def is_empty(value: Any) -> bool:
    """An unanswered question: absent, None, empty text or an empty selection."""
    return value is None or value == "" or (isinstance(value, _SEQUENCES) and not value)


def value_kind(f: Field) -> str:
    """The XForms data type of a question ("int", "date", "select1", "geopoint", ...)."""
    return _kind_of(f.type, f.data_type)


@lru_cache(maxsize=512)
def _kind_of(xlsform_type: str, data_type: str | None) -> str:
    if xlsform_type in SELECT_ONE_TYPES or xlsform_type.startswith(("select one", "select_one")):
        return "select1"
    if xlsform_type in (*SELECT_MULTIPLE_TYPES, "rank", "select_multiple"):
        return "select"
    if data_type and data_type != "string":
        return data_type.split(":")[-1]
    # A field built without a bind type: fall back to pyxform's type table.
    spec = QUESTION_TYPE_DICT.get(xlsform_type) or {}
    return str(spec.get("bind", {}).get("type", "string")).split(":")[-1]


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}$")
_ISO_PARSERS: dict[str, Callable[[str], object]] = {
    "date": dt.date.fromisoformat,
    "dateTime": dt.datetime.fromisoformat,
    "time": dt.time.fromisoformat,
}


def type_problem(kind: str, value: Any) -> bool:
    """True when `value` is not a valid value of the XForms type `kind`."""
    return type_check(kind)(value)


def type_check(kind: str) -> Callable[[Any], bool]:
    """``type_problem`` for one kind: true of a value that is not of it (chosen once, for
    checks made once per form)."""
    return _TYPE_CHECKS.get(kind, _not_plain)


def _not_int(value: Any) -> bool:
    return not _is_int(value) or abs(value) > 2**31 - 1


def _not_decimal(value: Any) -> bool:
    return not _is_number(value) or not math.isfinite(value)


def _not_temporal(kind: str) -> Callable[[Any], bool]:
    return lambda value: not _is_temporal(kind, value)


def _not_point(value: Any) -> bool:
    return not _is_point(value)


def _not_line(value: Any) -> bool:
    return not _is_line(value)


def _not_names(value: Any) -> bool:
    return not (isinstance(value, _SEQUENCES) and all(isinstance(v, str) for v in value))


def _not_text(value: Any) -> bool:
    return not isinstance(value, str)


def _not_plain(value: Any) -> bool:
    return not (isinstance(value, _SCALARS) and not isinstance(value, bool))


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "int": _not_int, "decimal": _not_decimal, "geopoint": _not_point, "geotrace": _not_line,
    "geoshape": _not_line, "select": _not_names, "select1": _not_text, "binary": _not_text,
    "barcode": _not_text,
    **{kind: _not_temporal(kind) for kind in _ISO_PARSERS},
}


def unknown_choices(f: Field, kind: str, value: Any) -> list[str]:
    """Selected names missing from the field's list; none when the list is not in the form."""
    if kind not in ("select1", "select") or not f.choices or f.itemset_file:
        return []  # lists from files (select_one_from_file, external) are not known here
    selected = [value] if kind == "select1" else list(value)
    return [name for name in selected if name not in f.choices_by_name]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_temporal(kind: str, value: Any) -> bool:
    if not isinstance(value, str) or (kind != "time" and not _DATE.match(value[:10])):
        return False
    if kind == "date" and len(value) != 10:
        return False
    try:
        _ISO_PARSERS[kind](value)
    except ValueError:
        return False
    return True


def _is_point(value: Any) -> bool:
    if not isinstance(value, list | tuple) or not 2 <= len(value) <= 4:
        return False
    if not all(_is_number(v) and math.isfinite(v) for v in value):
        return False
    return bool(-90 <= value[0] <= 90 and -180 <= value[1] <= 180)


def _is_line(value: Any) -> bool:
    if isinstance(value, str):
        value = [[_float(x) for x in point.split()] for point in value.split(";") if point.strip()]
    return isinstance(value, list | tuple) and bool(value) and all(map(_is_point, value))


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan
