"""Cascading selects: whether a chosen option passes the question's choice_filter.

A form lists every rayon once, each with its oblast in an extra column, and the rayon question
filters them with ``oblast = /data/location/oblast``: a phone then offers only the rayons of
the oblast answered above. A submission can still pair a rayon with another oblast (an edited
record, a JSON sync client, a buggy app), and the location answers are what the NAP figures are
disaggregated by, so validation checks the pairing.

In the filter, a bare name such as ``oblast`` is a column of the option being tested. Writing
the option's own values in as literals leaves a condition on answers only
(``'batken' = /data/location/oblast``), which the validator decides like any constraint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
# A name standing alone: not a step of a path, a variable, an attribute or a function call.
_BARE_NAME = re.compile(r"(?<![\w.\-/$@:])([A-Za-z_][\w.\-]*)(?![\w.\-:(])", re.ASCII)
_OPERATORS = frozenset({"and", "or", "div", "mod"})
# pyxform writes ${name} inside a repeat as current()/../name: the question's sibling.
_CURRENT = re.compile(r"current\(\s*\)\s*/")


def choice_condition(choice_filter: str, name: str, columns: Mapping[str, str]) -> str | None:
    """The filter with the option's columns (``name`` and its extra columns) as literals.

    None when the filter names a column the option does not have, or a value holds both
    kinds of quote (XPath 1.0 literals cannot escape them).
    """
    return _condition(choice_filter, name, tuple(sorted(columns.items())))


@lru_cache(maxsize=4096)
def _condition(choice_filter: str, name: str, columns: tuple[tuple[str, str], ...]) -> str | None:
    values = dict(columns) | {"name": name}
    pieces: list[str] = []
    position = 0
    for literal in _LITERAL.finditer(choice_filter):
        pieces.append(choice_filter[position:literal.start()])
        pieces.append(literal.group())
        position = literal.end()
    pieces.append(choice_filter[position:])
    written = []
    for index, piece in enumerate(pieces):
        if index % 2:  # a string literal of the filter: kept as it is
            written.append(piece)
            continue
        piece = _CURRENT.sub("", piece)
        missing: list[str] = []

        def as_literal(match: re.Match[str], missing: list[str] = missing) -> str:
            word = match.group(1)
            if word in _OPERATORS:
                return word
            if word not in values:
                missing.append(word)
                return word
            return _quoted(values[word], missing)

        written.append(_BARE_NAME.sub(as_literal, piece))
        if missing:
            return None
    return "".join(written)


def _quoted(value: str, missing: list[str]) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    missing.append(value)
    return "''"
