"""Comparisons of one answer with a literal (`. >= 0`, `/data/consent = 'yes'`), decided
without building an XPath tree.

Most constraints and many relevance conditions of real forms have this shape. Evaluating them
through elementpath means first wrapping the whole instance in XPath nodes, which costs more
than every other check of a submission together; here the answer's text is compared with the
literal by the same XPath 1.0 rules (`forms.xpath.compare`), so the outcome is the one the full
engine gives. Anything else is left to the full engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from forms.xpath import NodeSet, compare

_COMPARISON = re.compile(
    r"""\s*(?P<left>\.|(?:/[A-Za-z_][\w.\-]*)+)\s*
    (?P<op>!=|<=|>=|=|<|>)\s*
    (?:(?P<minus>-)\s*)?
    (?:(?P<number>\d+(?:\.\d*)?|\.\d+)|'(?P<single>[^']*)'|"(?P<double>[^"]*)")\s*""",
    re.VERBOSE | re.ASCII,
)


@dataclass(frozen=True, slots=True)
class SimpleComparison:
    """`left op literal`, where `left` is `.` or an absolute path of a field."""

    left: str
    op: str
    literal: float | str

    def holds(self, text: str) -> bool:
        """Whether the comparison holds when `left` is one node whose string value is `text`."""
        return compare(self.op, NodeSet((text,)), self.literal)


@lru_cache(maxsize=4096)
def simple_comparison(expression: str) -> SimpleComparison | None:
    """The comparison `expression` is, or None when it has any other shape."""
    match = _COMPARISON.fullmatch(expression)
    if match is None:
        return None
    literal: float | str
    if match["number"] is not None:
        literal = float(match["number"]) * (-1 if match["minus"] else 1)
    elif match["minus"]:
        return None  # minus a string: rare, and left to the full engine
    else:
        literal = match["single"] if match["single"] is not None else match["double"]
    return SimpleComparison(match["left"], match["op"], literal)
