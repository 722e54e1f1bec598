"""XPath 1.0 values as XForms sees them, and the ODK functions forms call."""

from __future__ import annotations

import datetime as dt
import math
import posixpath
import re
from collections.abc import Callable, Iterator
from copy import copy
from typing import Any

from elementpath.xpath_nodes import ElementNode, XPathNode
from elementpath.xpath_tokens import XPathToken

from forms.xpath import (
    EPOCH,
    NodeSet,
    argument,
    form_context,
    register_function,
    text_of,
    to_boolean,
    to_number,
    to_string,
)

Arity = int | tuple[int, int | None]
Evaluate = Callable[..., Any]


def register(name: str, nargs: Arity, prefix: str | None = None) -> Callable[[Evaluate], Evaluate]:
    """Register `evaluate` as the XPath function `name` (replacing a stock one of that name)."""

    def bind(evaluate: Evaluate) -> Evaluate:
        register_function(name, nargs, evaluate, prefix)
        return evaluate

    return bind


def nodes(token: XPathToken, context: Any, index: int) -> Iterator[XPathNode]:
    """The nodes an argument selects (nothing when it is not a node-set)."""
    value = token[index].evaluate(copy(context))
    items = value if isinstance(value, list) else [value]
    return (item for item in items if isinstance(item, XPathNode))


def element_path(node: XPathNode) -> str:
    """The schema path (no positions) of an instance node, e.g. /data/rep/q."""
    names: list[str] = []
    current: XPathNode | None = node
    while isinstance(current, ElementNode):
        names.append(str(current.name))
        current = current.parent
    return "/" + "/".join(reversed(names))


def _string(self: XPathToken, context: Any, index: int = 0) -> str:
    return to_string(argument(self, context, index))


def _number(self: XPathToken, context: Any, index: int = 0) -> float:
    return to_number(argument(self, context, index))


def _texts(self: XPathToken, context: Any) -> list[str]:
    """Every string value of every argument; node-sets contribute each of their nodes."""
    texts: list[str] = []
    for index in range(len(self)):
        value = argument(self, context, index)
        texts.extend(value.texts if isinstance(value, NodeSet) else [to_string(value)])
    return texts


# -- selections: a select_multiple value is its choice names separated by spaces


@register("selected", 2)
def _selected(self: XPathToken, context: Any = None) -> bool:
    return _string(self, context, 1).strip() in _string(self, context).split()


@register("count-selected", 1)
def _count_selected(self: XPathToken, context: Any = None) -> float:
    return float(len(_string(self, context).split()))


@register("selected-at", 2)
def _selected_at(self: XPathToken, context: Any = None) -> str:
    names, index = _string(self, context).split(), _number(self, context, 1)
    return names[int(index)] if 0 <= index < len(names) else ""


@register("choice-name", 2, prefix="jr")
def _choice_name(self: XPathToken, context: Any = None) -> str:
    form = form_context(self, context)
    # The second argument names the field as a path string: ' /data/x ' or ' ../x '.
    reference = _string(self, context, 1).strip()
    if form.choice_label is None or not reference:
        return ""
    if not reference.startswith("/"):
        here = element_path(form.item) if isinstance(form.item, XPathNode) else "/"
        reference = posixpath.normpath(posixpath.join(here, reference))
    return form.choice_label(re.sub(r"\[[^\]]*\]", "", reference), _string(self, context))


# -- strings


@register("string-length", (0, 1))
def _string_length(self: XPathToken, context: Any = None) -> float:
    if not self:
        return float(len(text_of(form_context(self, context).item)))
    return float(len(_string(self, context)))


@register("concat", (0, None))
def _concat(self: XPathToken, context: Any = None) -> str:
    return "".join(_texts(self, context))


@register("join", (1, None))
def _join(self: XPathToken, context: Any = None) -> str:
    separator, *texts = _texts(self, context)
    return separator.join(texts)


@register("regex", 2)
def _regex(self: XPathToken, context: Any = None) -> bool:
    # JavaRosa finds the pattern anywhere in the value; forms anchor with ^ and $.
    return re.search(_string(self, context, 1), _string(self, context)) is not None


@register("coalesce", 2)
def _coalesce(self: XPathToken, context: Any = None) -> str:
    return _string(self, context) or _string(self, context, 1)


@register("ends-with", 2)
def _ends_with(self: XPathToken, context: Any = None) -> bool:
    return _string(self, context).endswith(_string(self, context, 1))


@register("substr", (2, 3))
def _substr(self: XPathToken, context: Any = None) -> str:
    text = _string(self, context)
    start = int(_number(self, context, 1))
    end = int(_number(self, context, 2)) if len(self) == 3 else len(text)
    return text[max(start, 0) : max(end, 0)]


@register("boolean-from-string", 1)
def _boolean_from_string(self: XPathToken, context: Any = None) -> bool:
    return _string(self, context).strip() in ("true", "1")


# -- logic and control


@register("if", 3)
def _if(self: XPathToken, context: Any = None) -> Any:
    chosen = 1 if to_boolean(argument(self, context, 0)) else 2
    return self[chosen].evaluate(copy(context))


@register("once", 1)
def _once(self: XPathToken, context: Any = None) -> Any:
    # The submitted value already holds whatever once() produced on the device.
    return self[0].evaluate(copy(context))


@register("current", 0)
def _current(self: XPathToken, context: Any = None) -> Any:
    form = form_context(self, context)
    return [form.current] if form.current is not None else []


@register("position", (0, 1))
def _position(self: XPathToken, context: Any = None) -> float:
    if not self:
        return float(form_context(self, context).position)
    found = list(nodes(self, context, 0))
    parent = found[0].parent if found else None
    if parent is None:
        return math.nan
    node = found[0]
    same_name = (child for child in parent.children if child.name == node.name)
    return float(next(i for i, child in enumerate(same_name, start=1) if child is node))


@register("indexed-repeat", 3)
def _indexed_repeat(self: XPathToken, context: Any = None) -> Any:
    repeats = list(nodes(self, context, 1))
    index = int(_number(self, context, 2)) - 1
    if not 0 <= index < len(repeats):
        return []
    chosen = repeats[index]
    return [node for node in nodes(self, context, 0) if _is_within(node, chosen)]


def _is_within(node: XPathNode, ancestor: XPathNode) -> bool:
    current: XPathNode | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


# -- numbers


@register("number", 1)
def _to_number(self: XPathToken, context: Any = None) -> float:
    return _number(self, context)


@register("int", 1)
def _int(self: XPathToken, context: Any = None) -> float:
    number = _number(self, context)
    return float(math.trunc(number)) if math.isfinite(number) else number


@register("round", (1, 2))
def _round(self: XPathToken, context: Any = None) -> float:
    number = _number(self, context)
    digits = int(_number(self, context, 1)) if len(self) == 2 else 0
    if not math.isfinite(number):
        return number
    scale = 10.0**digits
    return math.floor(number * scale + 0.5) / scale  # half up, as in JavaRosa


@register("pow", 2)
def _pow(self: XPathToken, context: Any = None) -> float:
    try:
        return float(math.pow(_number(self, context), _number(self, context, 1)))
    except (OverflowError, ValueError):
        return math.nan


@register("abs", 1)
def _abs(self: XPathToken, context: Any = None) -> float:
    return abs(_number(self, context))


@register("sum", 1)
def _sum(self: XPathToken, context: Any = None) -> float:
    return math.fsum(to_number(text) for text in _texts(self, context))


@register("max", (1, None))
def _max(self: XPathToken, context: Any = None) -> float:
    numbers = [to_number(text) for text in _texts(self, context)]
    return math.nan if not numbers or any(map(math.isnan, numbers)) else max(numbers)


@register("min", (1, None))
def _min(self: XPathToken, context: Any = None) -> float:
    numbers = [to_number(text) for text in _texts(self, context)]
    return math.nan if not numbers or any(map(math.isnan, numbers)) else min(numbers)


@register("count-non-empty", 1)
def _count_non_empty(self: XPathToken, context: Any = None) -> float:
    return float(sum(1 for text in _texts(self, context) if text))


# -- dates: values are ISO strings; comparisons turn them into days since 1970-01-01


@register("today", 0)
def _today(self: XPathToken, context: Any = None) -> str:
    return form_context(self, context).current_dt.date().isoformat()


@register("now", 0)
def _now(self: XPathToken, context: Any = None) -> str:
    return form_context(self, context).current_dt.isoformat(timespec="milliseconds")


@register("date", 1)
def _date(self: XPathToken, context: Any = None) -> str:
    value = argument(self, context, 0)
    if isinstance(value, float) and math.isfinite(value):
        return (EPOCH + dt.timedelta(days=value)).date().isoformat()
    return to_string(value)


@register("decimal-date-time", 1)
def _decimal_date_time(self: XPathToken, context: Any = None) -> float:
    return _number(self, context)
