"""$filter: a parser for the OData subset ODK Central supports, into a small frozen AST."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from typing import Literal as TypingLiteral

from forms.odata.errors import (
    unparseable,
    unsupported_expression,
    unsupported_field,
)
from forms.odata.tables import ODataPlan

Comparator = TypingLiteral["eq", "ne", "lt", "le", "gt", "ge"]
ConstantValue = None | bool | int | float | str | date | datetime

SUBMISSION_FILTER_FIELDS = frozenset({
    "__id", "__system/submissionDate", "__system/updatedAt", "__system/submitterId",
    "__system/reviewState", "__system/deletedAt",
})
ENTITY_FILTER_FIELDS = frozenset({
    "__id", "__system/createdAt", "__system/updatedAt", "__system/deletedAt",
    "__system/creatorId", "__system/conflict",
})
DATE_PARTS = ("year", "month", "day", "hour", "minute", "second")
_MAX_TOKENS = 1000  # keeps evaluation recursion shallow; real filters are a few dozen
_COMPARATORS = ("eq", "ne", "lt", "le", "gt", "ge")
# OData operators and functions Central does not implement: valid OData, so 501 not 400.
_UNSUPPORTED_WORDS = frozenset({
    "add", "sub", "mul", "div", "divby", "mod", "has", "in", "any", "all", "isof", "cast",
})


@dataclass(frozen=True)
class Constant:
    """A literal: null, true/false, a number, a 'string', a date or a date-time."""

    value: ConstantValue


@dataclass(frozen=True)
class Member:
    """A property: "__id", "__system/<name>", or a form field outside repeats."""

    name: str  # as Central names it, "$root/Submissions/" removed: "__system/reviewState"
    path: str | None = None  # the form field's absolute path; None for __id and __system


@dataclass(frozen=True)
class Call:
    """year() month() day() hour() minute() second() of an operand, or now()."""

    function: str
    argument: Operand | None


Operand = Constant | Member | Call


@dataclass(frozen=True)
class Compare:
    """`left op right`; eq and ne treat null as a value (Central's IS NOT DISTINCT FROM)."""

    op: Comparator
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Not:
    """`not expr`."""

    operand: FilterExpr


@dataclass(frozen=True)
class And:
    """`left and right`."""

    left: FilterExpr
    right: FilterExpr


@dataclass(frozen=True)
class Or:
    """`left or right`."""

    left: FilterExpr
    right: FilterExpr


FilterExpr = Compare | Not | And | Or | Constant

_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<string>'(?:[^']|'')*')
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>[+-]?(?:\d+\.\d+|\d+)(?:[eE][+-]?\d+)?)
    |(?P<member>\$root(?:/[A-Za-z_][A-Za-z0-9_]*)+|[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    |(?P<punct>[(),])""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    at: int


def _tokens(text: str) -> list[_Token]:
    tokens, at = [], 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.lastgroup is None:
            raise unparseable(f"Unexpected character at {at}")
        if match.lastgroup != "space":
            tokens.append(_Token(match.lastgroup, match.group(), at))
        at = match.end()
    return tokens


def parse_filter(
    text: str,
    *,
    plan: ODataPlan | None = None,
    fields: frozenset[str] = SUBMISSION_FILTER_FIELDS,
) -> FilterExpr:
    """The AST of a $filter expression, checked against the fields that may be filtered on.

    Supports Central's subset: eq ne lt le gt ge, and or not, parentheses, literals (null,
    true/false, numbers, 'strings' with '' for a quote, dates, date-times), the functions
    year() month() day() hour() minute() second() now(), the members in `fields` (also
    spelled "$root/Submissions/__system/…"), and, as a Kenesh extension when `plan` is
    given, any form field outside repeats by its OData path ("location/oblast").
    Raises ODataFilterError: 400.18 for text that is not OData, 501.4 for operators and
    functions Kenesh does not support, 501.5 for a field that cannot be filtered on.
    """
    if not isinstance(text, str) or not text.strip():
        raise unparseable("The expression is empty.")
    tokens = _tokens(text)
    if len(tokens) > _MAX_TOKENS:
        raise unparseable(f"The expression is longer than {_MAX_TOKENS} tokens.")
    parser = _Parser(text, tokens, plan, fields)
    expr = parser.expression()
    parser.expect_end()
    return parser.resolved(expr)


class _Parser:
    def __init__(
        self, text: str, tokens: list[_Token], plan: ODataPlan | None, fields: frozenset[str]
    ) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.plan = plan
        self.fields = fields
        self.depth = 0
        self.members: list[tuple[str, _Token]] = []

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def word(self) -> str | None:
        token = self.peek()
        return token.text if token is not None and token.kind == "member" else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise unparseable(f"Unexpected end of expression at {len(self.text)}")
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise unparseable(f"Expected '{text}' at {token.at}")

    def expect_end(self) -> None:
        token = self.peek()
        if token is not None:
            self._refuse(token)

    def _refuse(self, token: _Token) -> None:
        if token.text in _UNSUPPORTED_WORDS:
            raise unsupported_expression("CommonExpression", 0, self.text)
        raise unparseable(f"Unexpected character at {token.at}")

    def expression(self) -> FilterExpr:
        self.depth += 1
        if self.depth > 100:  # deep nesting is not a real filter; keep the stack safe
            raise unparseable("The expression nests too deeply.")
        left = self.conjunction()
        while self.word() == "or":
            self.take()
            left = Or(left, self.conjunction())
        self.depth -= 1
        return left

    def conjunction(self) -> FilterExpr:
        left = self.unary()
        while self.word() == "and":
            self.take()
            left = And(left, self.unary())
        return left

    def unary(self) -> FilterExpr:
        if self.word() == "not":
            self.take()
            self.depth += 1
            if self.depth > 100:
                raise unparseable("The expression nests too deeply.")
            negated = Not(self.unary())
            self.depth -= 1
            return negated
        if self._group_ahead():
            self.take()
            inner = self.expression()
            self.expect(")")
            return inner
        return self.comparison()

    def _group_ahead(self) -> bool:
        """True when "(" opens a boolean group rather than, say, nothing else valid."""
        token = self.peek()
        return token is not None and token.text == "("

    def comparison(self) -> FilterExpr:
        left = self.operand()
        op = self.word()
        if op not in _COMPARATORS:
            if isinstance(left, Constant) and isinstance(left.value, bool):
                return left
            token = self.peek()
            if token is None:
                raise unsupported_expression("CommonExpression", 0, self.text)
            self._refuse(token)
        self.take()
        return Compare(op, left, self.operand())  # type: ignore[arg-type]

    def operand(self) -> Operand:
        token = self.take()
        if token.kind == "string":
            return Constant(token.text[1:-1].replace("''", "'"))
        if token.kind == "number":
            return Constant(_number(token.text))
        if token.kind == "date":
            return Constant(_date(token))
        if token.kind == "datetime":
            return Constant(_datetime(token))
        if token.kind != "member":
            raise unparseable(f"Unexpected character at {token.at}")
        literal = {"null": None, "true": True, "false": False}
        if token.text in literal:
            return Constant(literal[token.text])
        if self.peek() is not None and self.peek().text == "(":  # type: ignore[union-attr]
            return self.call(token)
        return self.member(token)

    def call(self, name: _Token) -> Call:
        self.take()
        if name.text == "now":
            self.expect(")")
            return Call("now", None)
        if name.text not in DATE_PARTS:
            raise unsupported_expression("MethodCallExpression", name.at, name.text)
        argument = self.operand()
        self.expect(")")
        return Call(name.text, argument)

    def member(self, token: _Token) -> Member:
        name = token.text
        if name in _UNSUPPORTED_WORDS or name in _COMPARATORS or name in ("and", "or", "not"):
            raise unsupported_expression("CommonExpression", 0, self.text)
        if name.startswith("$root/Submissions/"):
            name = name[len("$root/Submissions/"):]
        # Fields are checked once the whole text parses: syntax errors come first (400).
        self.members.append((name, token))
        return Member(name)

    def resolved(self, expr: FilterExpr) -> FilterExpr:
        """`expr` with every form field member given its path; 501.5 for unknown fields."""
        paths: dict[str, str] = {}
        for name, token in self.members:
            if name in self.fields:
                continue
            path = self._form_field(name)
            if path is None:
                raise unsupported_field(token.text, token.at)
            paths[name] = path
        return _with_paths(expr, paths) if paths else expr

    def _form_field(self, name: str) -> str | None:
        if self.plan is None or name.startswith("__"):
            return None
        for f in self.plan.fields_by_path().values():
            if "/".join(self.plan.relative_parts(f)) == name:
                inside_repeat = any(
                    a.is_repeat for a in self.plan.walk()
                    if f.path.startswith(a.path + "/")
                )
                return None if f.is_group or inside_repeat else f.path
        return None


def _with_paths(expr: Any, paths: Mapping[str, str]) -> Any:
    if isinstance(expr, Member):
        return Member(expr.name, paths.get(expr.name))
    if isinstance(expr, Call):
        return Call(expr.function, _with_paths(expr.argument, paths))
    if isinstance(expr, Compare):
        return Compare(expr.op, _with_paths(expr.left, paths), _with_paths(expr.right, paths))
    if isinstance(expr, And | Or):
        return type(expr)(_with_paths(expr.left, paths), _with_paths(expr.right, paths))
    if isinstance(expr, Not):
        return Not(_with_paths(expr.operand, paths))
    return expr


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _date(token: _Token) -> date:
    try:
        return date.fromisoformat(token.text)
    except ValueError:
        raise unparseable(f"Invalid date at {token.at}") from None


def _datetime(token: _Token) -> datetime:
    try:
        return datetime.fromisoformat(token.text.replace("Z", "+00:00"))
    except ValueError:
        raise unparseable(f"Invalid date-time at {token.at}") from None


def mentions(expr: FilterExpr | Operand | None, name: str) -> bool:
    """True when the expression names the member `name` (Central shows deleted rows only
    when the filter mentions __system/deletedAt)."""
    if isinstance(expr, Member):
        return expr.name == name
    if isinstance(expr, Call):
        return mentions(expr.argument, name)
    if isinstance(expr, Compare | And | Or):
        return mentions(expr.left, name) or mentions(expr.right, name)
    if isinstance(expr, Not):
        return mentions(expr.operand, name)
    return False


