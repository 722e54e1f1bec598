"""Conditions made of comparisons of answers with literals (`. >= 0 and . <= 100`,
`/data/consent = 'yes'`, `. <= today()`), decided without building an XPath tree.

Most constraints and relevance conditions of real forms have this shape. Evaluating them
through elementpath means first wrapping the whole instance in XPath nodes, which costs more
than every other check of a submission together; here each answer's text is compared by the
same XPath 1.0 rules (`forms.xpath.compare`), so the outcome is the one the full engine gives.
Anything else (functions other than today(), arithmetic, paths into repeats, node-sets) is left
to the full engine: `simple_condition` returns None for it, and so does a resolver that cannot
name exactly one answer for a path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from forms.xpath import NodeSet, Operand, compare

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<op>!=|<=|>=|=|<|>)
    |(?P<paren>[()])
    |(?P<word>and\b|or\b)
    |(?P<today>today\(\s*\))
    |(?P<path>\.\./[A-Za-z_][\w.\-]*|\.(?![\w.])|(?:/[A-Za-z_][\w.\-]*)+)
    |(?P<number>-?\s*(?:\d+(?:\.\d*)?|\.\d+))
    |'(?P<single>[^']*)'|"(?P<double>[^"]*)"
    )""",
    re.VERBOSE | re.ASCII,
)

# A path (".", "../name" or "/data/…") -> the text of the one answer it names, or None.
Resolver = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class _Value:
    kind: str  # "path", "literal" or "today"
    value: str | float


@dataclass(frozen=True, slots=True)
class _Comparison:
    left: _Value
    op: str
    right: _Value


@dataclass(frozen=True, slots=True)
class _Junction:
    word: str  # "and" or "or"
    parts: tuple[_Condition, ...]


_Condition = _Comparison | _Junction


@dataclass(frozen=True, slots=True)
class SimpleCondition:
    """A parsed condition of comparisons joined by `and`, `or` and parentheses."""

    root: _Condition

    def decide(self, resolve: Resolver, today: str) -> bool | None:
        """The condition's value, or None when a path does not name exactly one answer."""
        try:
            return _decide(self.root, resolve, today)
        except Unresolved:
            return None


class Unresolved(Exception):
    """A path the resolver cannot name one answer for: the full engine decides."""


@lru_cache(maxsize=4096)
def simple_condition(expression: str) -> SimpleCondition | None:
    """The condition `expression` is, or None when it has any other shape."""
    tokens = _tokens(expression)
    if tokens is None:
        return None
    parser = _Parser(tokens)
    condition = parser.disjunction()
    return SimpleCondition(condition) if condition is not None and parser.done() else None


def _tokens(expression: str) -> list[tuple[str, str]] | None:
    tokens, position = [], 0
    while expression[position:].strip():
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            return None
        kind = next(k for k, v in match.groupdict().items() if v is not None)
        tokens.append(("string" if kind in ("single", "double") else kind, match[kind]))
        position = match.end()
    return tokens


class _Parser:
    """XPath precedence: `or` binds loosest, then `and`, then the comparison."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.at = tokens, 0

    def done(self) -> bool:
        return self.at == len(self.tokens)

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _junction(self, word: str, part: Callable[[], _Condition | None]) -> _Condition | None:
        parts = [part()]
        while self._peek() == ("word", word):
            self.at += 1
            parts.append(part())
        if any(p is None for p in parts):
            return None
        return parts[0] if len(parts) == 1 else _Junction(word, tuple(parts))  # type: ignore[arg-type]

    def disjunction(self) -> _Condition | None:
        return self._junction("or", self.conjunction)

    def conjunction(self) -> _Condition | None:
        return self._junction("and", self.term)

    def term(self) -> _Condition | None:
        if self._peek() == ("paren", "("):
            self.at += 1
            inner = self.disjunction()
            if inner is None or self._peek() != ("paren", ")"):
                return None
            self.at += 1
            return inner
        left = self._value()
        token = self._peek()
        if left is None or token is None or token[0] != "op":
            return None
        self.at += 1
        right = self._value()
        return None if right is None else _Comparison(left, token[1], right)

    def _value(self) -> _Value | None:
        token = self._peek()
        if token is None or token[0] not in ("path", "number", "string", "today"):
            return None
        self.at += 1
        kind, text = token
        if kind == "number":
            return _Value("literal", float(text.replace(" ", "")))
        return _Value("literal" if kind == "string" else kind, text)


def _decide(condition: _Condition, resolve: Resolver, today: str) -> bool:
    if isinstance(condition, _Junction):
        values = [_decide(part, resolve, today) for part in condition.parts]
        return all(values) if condition.word == "and" else any(values)
    left, right = (_operand(v, resolve, today) for v in (condition.left, condition.right))
    return compare(condition.op, left, right)


def _operand(value: _Value, resolve: Resolver, today: str) -> Operand:
    if value.kind == "literal":
        return value.value
    if value.kind == "today":
        return today
    text = resolve(str(value.value))
    if text is None:
        raise Unresolved(value.value)
    return NodeSet((text,))
