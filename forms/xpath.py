"""Compile and evaluate XLSForm expressions: elementpath's XPath 1.0 parser plus ODK functions."""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar
from xml.etree.ElementTree import Element

from elementpath import XPath1Parser, XPathContext
from elementpath.xpath_nodes import XPathNode
from elementpath.xpath_tokens import XPathToken

JAVAROSA_NAMESPACE = "http://openrosa.org/javarosa"

# (field path such as /data/rep/q, stored value) -> label, for jr:choice-name().
ChoiceLabeller = Callable[[str, str], str]


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
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def operand(value: Any) -> Operand:
    """An evaluated XPath value as one of the four XPath 1.0 types."""
    if isinstance(value, list):
        if len(value) == 1 and not isinstance(value[0], XPathNode):
            return operand(value[0])
        return NodeSet(tuple(text_of(item) for item in value))
    if isinstance(value, XPathNode):
        return NodeSet((text_of(value),))
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    return str(value)


def text_of(item: Any) -> str:
    """The XPath string value of a node or an atomic value."""
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
            return float((dt.date.fromisoformat(text) - EPOCH.date()).days)
        except ValueError:
            return math.nan
    if len(text) > 10 and text[10] == "T" and _DATE.match(text[:10]):
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return math.nan
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return (moment - EPOCH).total_seconds() / 86400
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


class FormXPathParser(XPath1Parser):
    """XPath 1.0 with XForms comparison rules and the ODK functions XLSForms use."""

    # Own copies, so registering here never changes elementpath's stock XPath1Parser.
    function_signatures = XPath1Parser.function_signatures.copy()
    DEFAULT_NAMESPACES: ClassVar[dict[str, str]] = {
        **XPath1Parser.DEFAULT_NAMESPACES,
        "jr": JAVAROSA_NAMESPACE,
    }
    # XPath 1.0 allows a function call as the first step of a path: current()/../x.
    PATH_STEP_LABELS: ClassVar[tuple[str, ...]] = ("axis", "function", "kind test")


class NotEvaluable(Exception):
    """An expression the engine cannot evaluate: bad syntax, unknown function, runtime error."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"{expression}: {reason}")
        self.expression = expression
        self.reason = reason


@dataclass(frozen=True)
class CompiledExpression:
    """A parsed expression, or the reason it could not be parsed."""

    text: str
    token: XPathToken | None
    error: str | None = None


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> CompiledExpression:
    """Parse `text` once; later calls with the same text reuse the parsed token tree."""
    from forms import xpath_functions  # noqa: F401  registers the ODK functions on first use

    try:
        # A fresh parser per expression: parser instances keep parsing state.
        return CompiledExpression(text, FormXPathParser().parse(text))
    except Exception as error:  # elementpath raises many types; none of them may escape
        return CompiledExpression(text, None, _reason(error))


def make_context(
    root: Element, *, now: dt.datetime | None = None, choice_label: ChoiceLabeller | None = None
) -> FormContext:
    """An evaluation context over the instance tree rooted at `root` (the <data> element)."""
    context = FormContext(root, current_dt=now or dt.datetime.now().astimezone())
    context.choice_label = choice_label
    return context


def node_of(context: FormContext, element: Element) -> XPathNode:
    """The XPath node wrapping `element` of the context's instance tree."""
    elements = context.root.elements if context.root is not None else None
    node = elements.get(element) if elements is not None else None
    if not isinstance(node, XPathNode):
        raise NotEvaluable("", "element outside the instance tree")
    return node


def evaluate(expression: str, context: FormContext, node: XPathNode) -> Operand:
    """Evaluate `expression` with `.` and current() bound to `node`; NotEvaluable on failure."""
    compiled = compile_expression(expression)
    if compiled.token is None:
        raise NotEvaluable(expression, compiled.error or "cannot parse")
    local = copy(context)
    local.item = local.current = node
    local.position = local.size = 1
    try:
        return operand(compiled.token.evaluate(local))
    except Exception as error:  # an evaluation error means "not checked", never a crash
        raise NotEvaluable(expression, _reason(error)) from None


def evaluate_boolean(expression: str, context: FormContext, node: XPathNode) -> bool:
    """The XPath boolean() of `expression` evaluated at `node`; NotEvaluable on failure."""
    return to_boolean(evaluate(expression, context, node))


def _reason(error: BaseException) -> str:
    message = str(error).strip() or type(error).__name__
    return message.splitlines()[0][:300]


# -- XForms operator semantics, on subclasses of elementpath's token classes


def _evaluate_comparison(self: XPathToken, context: Any = None) -> bool:
    return compare(self.symbol, argument(self, context, 0), argument(self, context, 1))


def _evaluate_arithmetic(self: XPathToken, context: Any = None) -> Any:
    if self.symbol == "*" and not self:
        return _STOCK_ASTERISK_EVALUATE(self, context)  # a wildcard step, not a product
    if len(self) == 1:  # unary minus or plus
        number = to_number(argument(self, context, 0))
        return -number if self.symbol == "-" else number
    return arithmetic(self.symbol, argument(self, context, 0), argument(self, context, 1))


def _override(symbol: str, evaluate: Callable[..., Any]) -> None:
    """Replace a stock token class by a subclass of it, leaving XPath1Parser untouched."""
    stock: type[Any] = FormXPathParser.symbol_table[symbol]
    FormXPathParser.symbol_table[symbol] = type(
        f"_Form{stock.__name__}", (stock,), {"evaluate": evaluate, "__module__": __name__}
    )


def register_function(
    name: str, nargs: int | tuple[int, int | None], evaluate: Callable[..., Any], prefix: str | None
) -> None:
    key = f"{{{JAVAROSA_NAMESPACE}}}{name}" if prefix else name
    if key in FormXPathParser.symbol_table:
        # A stock function: drop it from our table only; registering anew builds our own class.
        FormXPathParser.unregister(key)
    # elementpath wants one type per argument (the fixed ones for open arity) and the result.
    if isinstance(nargs, int):
        arity = nargs
    else:
        arity = nargs[0] if nargs[1] is None else nargs[1]
    token_class = FormXPathParser.function(
        name, prefix=prefix, nargs=nargs, sequence_types=("item()*",) * (arity + 1)
    )
    token_class.evaluate = evaluate  # type: ignore[method-assign]


_STOCK_ASTERISK_EVALUATE = FormXPathParser.symbol_table["*"].evaluate

for _symbol in ("=", "!=", "<", "<=", ">", ">="):
    _override(_symbol, _evaluate_comparison)
for _symbol in ("+", "-", "*", "div", "mod"):
    _override(_symbol, _evaluate_arithmetic)
