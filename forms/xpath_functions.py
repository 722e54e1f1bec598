"""XPath 1.0 values as XForms sees them, and the ODK functions forms call."""

from __future__ import annotations

import datetime as dt
import math
import operator
import posixpath
import re
from collections.abc import Callable, Iterator
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from elementpath import XPathContext
from elementpath.xpath_nodes import ElementNode, XPathNode
from elementpath.xpath_tokens import XPathToken

# (field path such as /data/rep/q, stored value) -> label, for jr:choice-name().
ChoiceLabeller = Callable[[str, str], str]
Arity = int | tuple[int, int | None]
Evaluate = Callable[..., Any]


class FormContext(XPathContext):
    """An XPath dynamic context that also knows the XForms `current()` node and choice labels."""

    current: XPathNode | None = None
    choice_label: ChoiceLabeller | None = None


@dataclass(frozen=True)
class NodeSet:
    """The string values of a node-set, which XPath 1.0 compares member by member."""

    texts: tuple[str, ...]


Operand = NodeSet | bool | float | str

_NUMBER = re.compile(r"\s*-?(\d+(\.\d*)?|\.\d+)\s*$")
_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def operand(value: Any) -> Operand:
    """An evaluated XPath value as one of the four XPath 1.0 types."""
    if isinstance(value, list):
        if len(value) == 1 and not isinstance(value[0], XPathNode):
            return operand(value[0])
        return NodeSet(tuple(_text(item) for item in value))
    if isinstance(value, XPathNode):
        return NodeSet((_text(value),))
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    return str(value)


def _text(item: Any) -> str:
    if isinstance(item, XPathNode):
        return item.compat_string_value
    return to_string(operand(item))


def to_number(value: Operand) -> float:
    """XPath number(), extended as in JavaRosa: ISO dates count days since 1970-01-01."""
    if isinstance(value, NodeSet):
        return to_number(value.texts[0]) if value.texts else math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if _NUMBER.match(value):
        return float(value)
    return _days_since_epoch(value)


def _days_since_epoch(text: str) -> float:
    text = text.strip()
    if _DATE.match(text):
        try:
            return float((dt.date.fromisoformat(text) - _EPOCH.date()).days)
        except ValueError:
            return math.nan
    if len(text) > 10 and text[10] == "T" and _DATE.match(text[:10]):
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return math.nan
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return (moment - _EPOCH).total_seconds() / 86400
    return math.nan


def to_string(value: Operand) -> str:
    """XPath string()."""
    if isinstance(value, NodeSet):
        return value.texts[0] if value.texts else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value == int(value) else repr(value)
    return value


def to_boolean(value: Operand) -> bool:
    """XPath boolean()."""
    if isinstance(value, NodeSet):
        return bool(value.texts)
    if isinstance(value, float):
        return not math.isnan(value) and value != 0
    return bool(value)


_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compare(symbol: str, left: Operand, right: Operand) -> bool:
    """XPath 1.0 comparison (section 3.4), with node-sets compared member by member."""
    if isinstance(left, NodeSet) or isinstance(right, NodeSet):
        if isinstance(left, bool) or isinstance(right, bool):
            return _compare_scalars(symbol, to_boolean(left), to_boolean(right))
        lefts = left.texts if isinstance(left, NodeSet) else (left,)
        rights = right.texts if isinstance(right, NodeSet) else (right,)
        return any(_compare_scalars(symbol, a, b) for a in lefts for b in rights)
    return _compare_scalars(symbol, left, right)


def _compare_scalars(symbol: str, left: bool | float | str, right: bool | float | str) -> bool:
    relation = _RELATIONS[symbol]
    if symbol in ("=", "!="):
        if isinstance(left, bool) or isinstance(right, bool):
            return relation(to_boolean(left), to_boolean(right))
        if isinstance(left, float) or isinstance(right, float):
            return relation(to_number(left), to_number(right))
        return relation(left, right)
    return relation(to_number(left), to_number(right))


def arithmetic(symbol: str, left: Operand, right: Operand) -> float:
    """XPath 1.0 arithmetic on numbers (IEEE 754: division by zero gives infinity or NaN)."""
    a, b = to_number(left), to_number(right)
    if symbol == "+":
        return a + b
    if symbol == "-":
        return a - b
    if symbol == "*":
        return a * b
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if symbol == "div":
        if b == 0:
            return math.nan if a == 0 else math.copysign(math.inf, a) * math.copysign(1, b)
        return a / b
    return math.fmod(a, b) if b != 0 else math.nan  # mod


def argument(token: XPathToken, context: Any, index: int) -> Operand:
    """The value of a function argument or operand, as an XPath 1.0 value."""
    return operand(token[index].evaluate(copy(context)))


def form_context(token: XPathToken, context: Any) -> FormContext:
    """The evaluation context, or the 'missing context' error used during static parsing."""
    if not isinstance(context, FormContext):
        raise token.missing_context()
    return context


# name -> (arity, evaluate, namespace prefix); forms.xpath registers them on its parser.
FUNCTIONS: dict[str, tuple[Arity, Evaluate, str | None]] = {}


def register(name: str, nargs: Arity, prefix: str | None = None) -> Callable[[Evaluate], Evaluate]:
    """Declare `evaluate` as the XPath function `name` (replacing a stock one of that name)."""

    def bind(evaluate: Evaluate) -> Evaluate:
        FUNCTIONS[name] = (nargs, evaluate, prefix)
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
        return float(len(_text(form_context(self, context).item)))
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
        return (_EPOCH + dt.timedelta(days=value)).date().isoformat()
    return to_string(value)


@register("decimal-date-time", 1)
def _decimal_date_time(self: XPathToken, context: Any = None) -> float:
    return _number(self, context)
