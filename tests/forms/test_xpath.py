"""XForms expressions evaluated with elementpath's XPath 1.0 parser and the ODK functions."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from elementpath import XPath1Parser

from forms.xpath import (
    FormXPathParser,
    NodeSet,
    NotEvaluable,
    compile_expression,
    evaluate,
    evaluate_boolean,
    make_context,
    node_of,
)

INSTANCE = """
<data>
  <age>34</age><empty/><topics>rve border</topics><visit>2024-04-30</visit><region>osh</region>
  <rep><q>1</q><r>one</r></rep><rep><q>2</q><r>two</r></rep>
</data>
"""
LABELS = {("/data/region", "osh"): "Ош облусу"}


def value_at(expression: str, at: str = "age") -> object:
    root = ET.fromstring(INSTANCE)
    context = make_context(
        root,
        now=dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC),
        choice_label=lambda path, value: LABELS.get((path, value), ""),
    )
    element = root.find(at)
    assert element is not None
    return evaluate(expression, context, node_of(context, element))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (". > 18", True),
        (". = 34", True),
        (". = '34'", True),
        ("/data/empty > 3", False),
        ("/data/empty < 3", False),
        ("/data/empty = ''", True),
        ("selected(/data/topics, 'border')", True),
        ("selected(/data/topics, 'bord')", False),
        ("count-selected(/data/topics)", 2.0),
        ("selected-at(/data/topics, 1)", "border"),
        ("if(. > 18, 'adult', 'child')", "adult"),
        ("coalesce(/data/empty, 'fallback')", "fallback"),
        ("concat(/data/rep/r, '!')", "onetwo!"),
        ("count(/data/rep)", 2.0),
        ("sum(/data/rep/q)", 3.0),
        ("string-length(/data/region)", 3.0),
        ("regex(/data/region, '^o[a-z]+$')", True),
        ("int(7 div 2)", 3.0),
        ("round(2.456, 2)", 2.46),
        ("pow(2, 10)", 1024.0),
        ("number(/data/empty)", pytest.approx(float("nan"), nan_ok=True)),
        ("not(/data/empty = '')", False),
        ("boolean-from-string('true')", True),
        ("/data/visit < today()", True),
        ("today() - /data/visit", 1.0),
        ("today()", "2024-05-01"),
        ("now()", "2024-05-01T09:30:00.000+00:00"),
        ("now() > /data/visit", True),
        ("now() - today()", pytest.approx(9.5 / 24)),
        ("jr:choice-name(/data/region, ' /data/region ')", "Ош облусу"),
        ("indexed-repeat(/data/rep/r, /data/rep, 2)", NodeSet(("two",))),
        ("position(/data/rep[2])", 2.0),
        ("once(.)", NodeSet(("34",))),
    ],
)
def test_xforms_functions_and_comparisons_give_the_values_collect_would(
    expression: str, expected: object
) -> None:
    assert value_at(expression) == expected


def test_current_and_relative_paths_stay_inside_the_repeat_entry() -> None:
    assert value_at("../r = 'two' and current()/../q = 2", at="rep[2]/q") is True
    assert value_at("../r = 'two'", at="rep[1]/q") is False


@pytest.mark.parametrize("expression", ["pulldata('x', 'y', 'z', 'w')", "1 +", "format-date(.)"])
def test_an_unknown_function_or_bad_syntax_cannot_be_evaluated(expression: str) -> None:
    with pytest.raises(NotEvaluable) as raised:
        value_at(expression)
    assert raised.value.expression == expression
    assert raised.value.reason


def test_a_runtime_error_such_as_a_bad_regex_cannot_be_evaluated() -> None:
    with pytest.raises(NotEvaluable):
        value_at("regex(/data/region, '(')")


def test_a_node_set_is_true_when_it_is_not_empty() -> None:
    root = ET.fromstring(INSTANCE)
    context = make_context(root)
    assert evaluate_boolean("/data/rep", context, node_of(context, root)) is True
    assert evaluate_boolean("/data/missing", context, node_of(context, root)) is False


def test_compiled_expressions_are_cached_by_their_text() -> None:
    assert compile_expression("/data/age > 1") is compile_expression("/data/age > 1")


def test_the_stock_xpath1_parser_is_left_unchanged() -> None:
    compile_expression("selected('a b', 'a')")
    assert "selected" not in XPath1Parser.symbol_table
    assert "selected" in FormXPathParser.symbol_table
    assert XPath1Parser.symbol_table["="] is not FormXPathParser.symbol_table["="]
