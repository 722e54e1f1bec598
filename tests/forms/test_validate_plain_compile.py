"""Compiled simple conditions (forms.validate_plain_compile) decide exactly as
forms.xpath_simple's SimpleCondition.decide does, None (a path naming no answer) included."""

from __future__ import annotations

import random
from typing import Any

from forms.validate_plain_compile import bound_condition
from forms.xpath_simple import simple_condition

OPERANDS = [".", "../a", "/data/b", "/data/none", "today()", "0", "-1.5", "18", "'x'", "''",
            "'2026-01-01'", "'12'", '"y"']
TEXTS = ["", "0", "34", "-1.5", " 7 ", "12", "x", "y", "2026-01-01", "2026-11-30T10:00:00",
         "2031-02-30", "NaN", "1e3", "water odd", "true"]
TODAY = "2026-11-30"


def compiled_condition(text: str) -> Any:
    """The condition called as SimpleCondition.decide is: each path read by `resolve`."""
    return bound_condition(text, lambda path: lambda resolve, today: resolve(path),
                           lambda resolve, today: today)


def _expression(rng: random.Random, depth: int = 0) -> str:
    if depth < 2 and rng.random() < 0.35:
        word = rng.choice([" and ", " or "])
        parts = [_expression(rng, depth + 1) for _ in range(rng.randint(2, 3))]
        text = word.join(parts)
        return f"({text})" if rng.random() < 0.5 else text
    op = rng.choice(["=", "!=", "<", "<=", ">", ">="])
    return f"{rng.choice(OPERANDS)} {op} {rng.choice(OPERANDS)}"


def test_compiled_conditions_decide_as_simple_conditions_do() -> None:
    rng = random.Random(7)
    decided = 0
    for _ in range(3000):
        text = _expression(rng)
        condition = simple_condition(text)
        assert condition is not None, text
        compiled = compiled_condition(text)
        assert compiled is not None
        answers = {".": rng.choice(TEXTS), "../a": rng.choice(TEXTS), "/data/b": rng.choice(TEXTS)}
        expected = condition.decide(answers.get, TODAY)
        assert compiled(answers.get, TODAY) == expected, (text, answers)
        decided += expected is not None
    assert decided > 1000


def test_other_expressions_are_not_compiled() -> None:
    for text in ["position() = 1", "count(../x) > 0", ". + 1 > 2", "current()/../x = 1", "."]:
        assert compiled_condition(text) is None, text
