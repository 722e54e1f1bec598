"""$filter in SQL: the parsed OData AST (forms.odata) as a WHERE clause on submissions.

The clause gives exactly the rows `forms.odata.matches` accepts: eq/ne treat null as a value
(IS NOT DISTINCT FROM), every other comparison with null is unknown, `not unknown` stays
unknown, and only true matches. Constants are coerced to the type of the column they meet,
as PostgreSQL casts a literal; a constant that cannot be coerced is never equal to anything.
Form-field members (Member.path set) have no column: `needs_python` says when the caller must
evaluate the filter with `matches` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Integer,
    and_,
    cast,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    true,
)

from forms.odata import (
    And,
    Call,
    Compare,
    Constant,
    FilterExpr,
    Member,
    Not,
    Operand,
    Or,
    matches_values,
)
from server.models import Submission

# The filterable __system members and the column each reads.
MEMBER_COLUMNS: dict[str, Any] = {
    "__id": Submission.instance_id,
    "__system/submissionDate": Submission.created_at,
    "__system/updatedAt": Submission.updated_at,
    "__system/submitterId": Submission.submitter_id,
    "__system/reviewState": Submission.review_state,
    "__system/deletedAt": Submission.deleted_at,
}
_KINDS = {
    "__id": "text", "__system/reviewState": "text", "__system/submitterId": "number",
    "__system/submissionDate": "instant", "__system/updatedAt": "instant",
    "__system/deletedAt": "instant",
}
_SQLITE_PARTS = {"year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M"}
_ORDER: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class _Sql:
    """An operand in SQL: a column expression, or a Python constant not yet bound."""

    kind: str  # "text", "number", "instant", or "constant"
    expr: Any = None
    value: Any = None


def needs_python(expr: FilterExpr | Operand | None) -> bool:
    """True when the filter names a form field, which only `matches` can evaluate."""
    if isinstance(expr, Member):
        return expr.path is not None
    if isinstance(expr, Call):
        return needs_python(expr.argument)
    if isinstance(expr, Compare | And | Or):
        return needs_python(expr.left) or needs_python(expr.right)
    if isinstance(expr, Not):
        return needs_python(expr.operand)
    return False


def filter_clause(expr: FilterExpr, dialect: str, now: datetime) -> ColumnElement[bool]:
    """The WHERE clause of `expr` for the engine `dialect` ("sqlite" or "postgresql").

    `now` is the instant now() stands for. Raises ValueError for form-field members.
    """
    return _Translator(dialect, now).clause(expr)


class _Translator:
    def __init__(self, dialect: str, now: datetime) -> None:
        self.dialect = dialect
        self.now = now

    def clause(self, expr: FilterExpr) -> ColumnElement[bool]:
        if isinstance(expr, And):
            return and_(self.clause(expr.left), self.clause(expr.right))
        if isinstance(expr, Or):
            return or_(self.clause(expr.left), self.clause(expr.right))
        if isinstance(expr, Not):
            return not_(self.clause(expr.operand))
        if isinstance(expr, Constant):
            return _truth(expr.value if isinstance(expr.value, bool) else None)
        return self.compare(expr)

    def compare(self, expr: Compare) -> ColumnElement[bool]:
        left, right = self.operand(expr.left), self.operand(expr.right)
        if left.kind == "constant" and right.kind == "constant":
            return _truth(_constant_truth(expr.op, left.value, right.value))
        if left.kind == "constant":  # keep the column on the left: `5 lt x` is `x gt 5`
            left, right = right, left
            op = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}.get(expr.op, expr.op)
        else:
            op = expr.op
        if right.kind == "constant":
            return _column_vs_constant(op, left, right.value)
        return _column_vs_column(op, left, right)

    def operand(self, operand: Operand) -> _Sql:
        if isinstance(operand, Constant):
            return _Sql("constant", value=operand.value)
        if isinstance(operand, Member):
            if operand.path is not None or operand.name not in MEMBER_COLUMNS:
                raise ValueError(f"{operand.name} has no column; evaluate with matches()")
            return _Sql(_KINDS[operand.name], MEMBER_COLUMNS[operand.name])
        if operand.function == "now" or operand.argument is None:
            return _Sql("constant", value=self.now)
        inner = self.operand(operand.argument)
        if inner.kind == "constant":
            return _Sql("constant", value=_python_part(operand.function, inner.value))
        if inner.kind != "instant":
            return _Sql("constant", value=None)  # date parts of text or numbers: unknown
        return _Sql("number", self.date_part(operand.function, inner.expr))

    def date_part(self, function: str, column: Any) -> Any:
        """year()…second() of a UTC timestamp column, in the engine's own SQL."""
        if self.dialect == "sqlite":
            if function == "second":
                return cast(func.strftime("%f", column), Float)
            return cast(func.strftime(_SQLITE_PARTS[function], column), Integer)
        return func.extract(function, func.timezone("UTC", column))


def _truth(value: bool | None) -> ColumnElement[bool]:
    if value is None:
        return cast(null(), Boolean)
    return true() if value else false()


def _constant_truth(op: str, left: Any, right: Any) -> bool | None:
    """Three-valued result of comparing two constants, by the reference evaluator."""
    compare = Compare(op, Constant(left), Constant(right))  # type: ignore[arg-type]
    if matches_values(compare, lambda _m: None):
        return True
    return False if matches_values(Not(compare), lambda _m: None) else None


def _column_vs_constant(op: str, column: _Sql, value: Any) -> ColumnElement[bool]:
    if value is None:
        if op == "eq":
            return column.expr.is_(None)  # type: ignore[no-any-return]
        if op == "ne":
            return column.expr.is_not(None)  # type: ignore[no-any-return]
        return _truth(None)
    coerced = _coerce(column.kind, value)
    if coerced is None:
        # Never equal, never ordered: eq is false, ne true, the rest unknown.
        return _truth({"eq": False, "ne": True}.get(op))
    bound = literal(coerced, column.expr.type) if column.kind != "number" else literal(coerced)
    if op == "eq":
        return column.expr.is_not_distinct_from(bound)  # type: ignore[no-any-return]
    if op == "ne":
        return column.expr.is_distinct_from(bound)  # type: ignore[no-any-return]
    return _ORDER[op](column.expr, bound)


def _column_vs_column(op: str, left: _Sql, right: _Sql) -> ColumnElement[bool]:
    if left.kind == right.kind:
        if op == "eq":
            return left.expr.is_not_distinct_from(right.expr)  # type: ignore[no-any-return]
        if op == "ne":
            return left.expr.is_distinct_from(right.expr)  # type: ignore[no-any-return]
        return _ORDER[op](left.expr, right.expr)
    both_null = and_(left.expr.is_(None), right.expr.is_(None))
    return {"eq": both_null, "ne": not_(both_null)}.get(op, _truth(None))


def _coerce(kind: str, value: Any) -> Any:
    """`value` as the column's type, or None when it has no such reading."""
    if isinstance(value, bool):
        return None
    if kind == "number":
        return _number(value)
    if kind == "instant":
        return _instant(value)
    if isinstance(value, int | float | date):
        return None  # the evaluator compares numbers and dates with text as unequal
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _instant(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value \
                else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        # A date meets an instant at its midnight, in UTC (the server's zone).
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _python_part(function: str, value: Any) -> int | float | None:
    """year()…second() of a constant (or now()), as the reference evaluator computes it."""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value \
                else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC) if moment.tzinfo else moment
        if function == "second":
            return moment.second + moment.microsecond / 1_000_000
        return int(getattr(moment, function))
    if isinstance(moment, date):
        return 0 if function in ("hour", "minute", "second") else int(getattr(moment, function))
    return None
