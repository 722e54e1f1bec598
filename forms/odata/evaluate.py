"""Evaluating a parsed $filter against one submission, with SQL's three-valued logic."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from forms.odata.filter import And, Compare, Constant, FilterExpr, Member, Not, Operand, Or
from forms.odata.rows import ODataRecord

_ORDER: Mapping[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, b: bool(a < b),
    "le": lambda a, b: bool(a <= b),
    "gt": lambda a, b: bool(a > b),
    "ge": lambda a, b: bool(a >= b),
}


def record_values(record: ODataRecord) -> dict[str, Any]:
    """The filterable members of a submission, keyed as parse_filter names them."""
    return {
        "__id": record.instance_id,
        "__system/submissionDate": record.submission_date,
        "__system/updatedAt": record.updated_at,
        "__system/submitterId": record.submitter_id,
        "__system/reviewState": record.review_state,
        "__system/deletedAt": record.deleted_at,
    }


def matches(expr: FilterExpr, record: ODataRecord, *, now: datetime | None = None) -> bool:
    """True when the submission passes the filter, exactly as the SQL the server runs.

    Comparisons with null other than eq/ne are unknown, `not unknown` is unknown, and
    only a true result matches (as in SQL). Form fields read the current document.
    `now` is the instant now() stands for (default: the clock).
    """
    values = record_values(record)
    return matches_values(expr, lambda m: values.get(m.name) if m.path is None
                          else record.data.get(m.path), now=now)


def matches_values(
    expr: FilterExpr, lookup: Callable[[Member], Any], *, now: datetime | None = None
) -> bool:
    """matches() for any row (an entity, say): `lookup` gives each member's value."""
    return _truth(expr, lookup, now or datetime.now(UTC)) is True


def _truth(expr: FilterExpr, lookup: Callable[[Member], Any], now: datetime) -> bool | None:
    if isinstance(expr, Constant):
        return expr.value if isinstance(expr.value, bool) else None
    if isinstance(expr, Not):
        inner = _truth(expr.operand, lookup, now)
        return None if inner is None else not inner
    if isinstance(expr, And):
        left, right = _truth(expr.left, lookup, now), _truth(expr.right, lookup, now)
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if isinstance(expr, Or):
        left, right = _truth(expr.left, lookup, now), _truth(expr.right, lookup, now)
        if left is True or right is True:
            return True
        return None if left is None or right is None else False
    if isinstance(expr, Compare):
        return _compare(expr.op, _operand(expr.left, lookup, now),
                        _operand(expr.right, lookup, now))
    return None


def _operand(operand: Operand, lookup: Callable[[Member], Any], now: datetime) -> Any:
    if isinstance(operand, Constant):
        return operand.value
    if isinstance(operand, Member):
        value = lookup(operand)
        return " ".join(map(str, value)) if isinstance(value, list | tuple) else value
    if operand.function == "now" or operand.argument is None:
        return now
    return _date_part(operand.function, _operand(operand.argument, lookup, now))


def _date_part(function: str, value: Any) -> int | float | None:
    moment = _as_moment(value)
    if moment is None:
        return None
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC) if moment.tzinfo else moment
        if function == "second":
            return moment.second + moment.microsecond / 1_000_000
        if function in ("hour", "minute"):
            return int(getattr(moment, function))
    elif function in ("hour", "minute", "second"):
        return 0
    return int(getattr(moment, function))


def _as_moment(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value \
                else date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _compare(op: str, left: Any, right: Any) -> bool | None:
    if op in ("eq", "ne"):
        equal = left is None and right is None or (
            left is not None and right is not None and _coerced_equal(left, right)
        )
        return equal if op == "eq" else not equal
    if left is None or right is None:
        return None
    pair = _coerce(left, right)
    if pair is None:
        return None
    try:
        return _ORDER[op](*pair)
    except TypeError:
        return None


def _coerced_equal(left: Any, right: Any) -> bool:
    pair = _coerce(left, right)
    return pair is not None and pair[0] == pair[1]


def _coerce(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both sides as one comparable type, as PostgreSQL casts a literal to its column."""
    if _is_number(left) or _is_number(right):
        a, b = _as_number(left), _as_number(right)
        return None if a is None or b is None else (a, b)
    if isinstance(left, date) or isinstance(right, date):
        start, end = _as_instant(left), _as_instant(right)
        return None if start is None or end is None else (start, end)
    if isinstance(left, bool) or isinstance(right, bool):
        return (left, right) if type(left) is type(right) else None
    return str(left), str(right)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(value: Any) -> float | None:
    if _is_number(value):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _as_instant(value: Any) -> datetime | None:
    moment = _as_moment(value)
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        # A date compared with an instant is its midnight, in UTC (the server's zone).
        return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
