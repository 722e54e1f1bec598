"""Compile and evaluate XLSForm expressions: elementpath's XPath 1.0 parser plus ODK functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar
from xml.etree.ElementTree import Element

from elementpath import XPath1Parser
from elementpath.xpath_nodes import XPathNode
from elementpath.xpath_tokens import XPathToken

from forms.xpath_functions import (
    FUNCTIONS,
    ChoiceLabeller,
    FormContext,
    Operand,
    argument,
    arithmetic,
    compare,
    operand,
    to_boolean,
    to_number,
)

JAVAROSA_NAMESPACE = "http://openrosa.org/javarosa"


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


def _register_function(
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
for _name, (_nargs, _evaluate, _prefix) in FUNCTIONS.items():
    _register_function(_name, _nargs, _evaluate, _prefix)
