"""Simple conditions (forms.xpath_simple) compiled once into plain Python closures.

``SimpleCondition.decide`` wraps every answer in a one-member node-set and compares it by the
general XPath 1.0 rules of ``forms.xpath.compare``; that generality is most of the cost of
validating a plainly valid submission. In a simple condition the operands are only ever one
answer's text, today's date (text), a string literal or a number literal, so the rules reduce
to: `=` and `!=` compare numbers when a side is a number literal, else texts; the other
relations compare numbers (``forms.xpath.to_number``, JavaRosa's dates included). A compiled
condition gives exactly ``decide``'s outcome, None included: like it, it evaluates every part
of an `and`/`or` (one path that names no single answer leaves the whole to the XPath engine).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from forms.xpath import to_number
from forms.xpath_simple import Unresolved, simple_condition

# (scope, reading) -> an operand's text; None when its path names no single answer.
Reader = Callable[[Any, Any], "str | None"]
Today = Callable[[Any, Any], str]  # (scope, reading) -> today's date
# (scope, reading) -> the condition's value, or None when a path names no single answer.
Bound = Callable[[Any, Any], "bool | None"]
_Part = Callable[[Any, Any], bool]
_Operand = Callable[[Any, Any], Any]
_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def bound_condition(
    expression: str, bind: Callable[[str], Reader], today: Today
) -> Bound | None:
    """`expression` as a closure deciding it, each path read by the reader `bind` gives for it
    and today's date by `today` (both called with the closure's own arguments); None when it
    is not a simple condition. Binding the paths once spares looking each up per decision."""
    condition = simple_condition(expression)
    if condition is None:
        return None
    part = _compile(condition.root, bind, today)

    def decide(scope: Any, reading: Any) -> bool | None:
        try:
            return part(scope, reading)
        except Unresolved:
            return None

    return decide


def _compile(node: Any, bind: Callable[[str], Reader], today: Today) -> _Part:
    """A comparison or a junction of forms.xpath_simple (read by its fields, which are stable)."""
    if hasattr(node, "parts"):
        parts = tuple(_compile(p, bind, today) for p in node.parts)
        # Every part is evaluated, as SimpleCondition.decide does: no short cut past a path
        # that would have sent the whole condition to the engine.
        if node.word == "and":
            return lambda scope, reading: all([p(scope, reading) for p in parts])
        return lambda scope, reading: any([p(scope, reading) for p in parts])
    relation = _RELATIONS[node.op]
    numbers = node.op not in ("=", "!=") or any(
        v.kind == "literal" and isinstance(v.value, float) for v in (node.left, node.right)
    )
    left = _operand(node.left, numbers, bind, today)
    if node.right.kind == "literal":  # the usual shape, `. >= 0`: one call fewer
        constant = _literal(node.right, numbers)
        return lambda scope, reading: relation(left(scope, reading), constant)
    right = _operand(node.right, numbers, bind, today)
    return lambda scope, reading: relation(left(scope, reading), right(scope, reading))


def _literal(value: Any, numbers: bool) -> Any:
    return to_number(value.value) if numbers else value.value


def _operand(value: Any, numbers: bool, bind: Callable[[str], Reader], today: Today) -> _Operand:
    """A text (or, when the comparison is of numbers, its number) from a value of the tree."""
    if value.kind == "literal":
        constant = _literal(value, numbers)
        return lambda scope, reading: constant
    if value.kind == "today":
        return (lambda scope, reading: to_number(today(scope, reading))) if numbers else today
    path = str(value.value)
    reader = bind(path)

    def answer(scope: Any, reading: Any) -> Any:
        text = reader(scope, reading)
        if text is None:
            raise Unresolved(path)
        return to_number(text) if numbers else text

    return answer
