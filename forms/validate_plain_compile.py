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
from functools import lru_cache
from typing import Any

from forms.xpath import to_number
from forms.xpath_simple import Resolver, Unresolved, simple_condition

# (resolve, today) -> the condition's value, or None when a path names no single answer.
Compiled = Callable[[Resolver, str], "bool | None"]
_Part = Callable[[Resolver, str], bool]
_Operand = Callable[[Resolver, str], Any]
_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


@lru_cache(maxsize=4096)
def compiled_condition(expression: str) -> Compiled | None:
    """`expression` as a closure deciding it, or None when it is not a simple condition."""
    condition = simple_condition(expression)
    if condition is None:
        return None
    part = _compile(condition.root)

    def decide(resolve: Resolver, today: str) -> bool | None:
        try:
            return part(resolve, today)
        except Unresolved:
            return None

    return decide


def _compile(node: Any) -> _Part:
    """A comparison or a junction of forms.xpath_simple (read by its fields, which are stable)."""
    if hasattr(node, "parts"):
        parts = tuple(_compile(p) for p in node.parts)
        # Every part is evaluated, as SimpleCondition.decide does: no short cut past a path
        # that would have sent the whole condition to the engine.
        if node.word == "and":
            return lambda resolve, today: all([p(resolve, today) for p in parts])
        return lambda resolve, today: any([p(resolve, today) for p in parts])
    relation = _RELATIONS[node.op]
    numbers = node.op not in ("=", "!=") or any(
        v.kind == "literal" and isinstance(v.value, float) for v in (node.left, node.right)
    )
    left, right = _operand(node.left, numbers), _operand(node.right, numbers)
    return lambda resolve, today: relation(left(resolve, today), right(resolve, today))


def _operand(value: Any, numbers: bool) -> _Operand:
    """A text (or, when the comparison is of numbers, its number) from a value of the tree."""
    if value.kind == "literal":
        constant = to_number(value.value) if numbers else value.value
        return lambda resolve, today: constant
    if value.kind == "today":
        return (lambda resolve, today: to_number(today)) if numbers else (
            lambda resolve, today: today)
    path = str(value.value)

    def answer(resolve: Resolver, today: str) -> Any:
        text = resolve(path)
        if text is None:
            raise Unresolved(path)
        return to_number(text) if numbers else text

    return answer
