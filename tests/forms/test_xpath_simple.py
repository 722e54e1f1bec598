"""Comparisons of one answer with a literal, decided without the XPath engine, agree with it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from forms.schema import Field
from forms.validate import validate_submission
from forms.xpath import evaluate_boolean, make_context, node_of
from forms.xpath_simple import simple_comparison
from tests.forms.test_validate import make_field, make_schema

TEXTS = st.one_of(
    st.sampled_from(["", "0", "-3", "12", "12.50", " 7 ", "abc", "yes", "2024-04-30", "NaN"]),
    st.integers(-1000, 1000).map(str),
    st.text(alphabet="ab 01.-", max_size=6),
)
LITERALS = st.one_of(
    st.sampled_from(["0", "-5", "12.5", ".5", "3.", "'yes'", '"2024-04-30"', "''", "'12'"]),
    st.integers(-100, 100).map(str),
)
OPERATORS = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])


def _full_engine(expression: str, text: str) -> bool:
    root = ET.fromstring("<data><q/><other/></data>")
    element = root.find("q")
    assert element is not None
    element.text = text
    context = make_context(root)
    return evaluate_boolean(expression, context, node_of(context, element))


@given(text=TEXTS, op=OPERATORS, literal=LITERALS, left=st.sampled_from([".", "/data/q"]))
def test_a_simple_comparison_decides_as_the_xpath_engine_does(
    text: str, op: str, literal: str, left: str
) -> None:
    expression = f"{left} {op} {literal}"
    comparison = simple_comparison(expression)
    assert comparison is not None
    assert comparison.holds(text) == _full_engine(expression, text)


def test_other_shapes_are_left_to_the_xpath_engine() -> None:
    for expression in [
        ". > ../q",
        "selected(., 'a')",
        ". > 1 and . < 5",
        "/data/q + 1 > 2",
        "../q = 'yes'",
        ". = -'a'",
        "string-length(.) > 3",
    ]:
        assert simple_comparison(expression) is None, expression


def test_paths_into_a_repeat_keep_xpath_node_set_semantics() -> None:
    def person(name: str, relevant: str) -> Field:
        return make_field(f"/data/people/{name}", "int", required="true()", relevant=relevant)

    people = make_field(
        "/data/people",
        "repeat",
        children=(
            make_field("/data/people/role"),
            person("age", "../role = 'member'"),
            # Any entry's role being 'member' makes this relevant in every entry (a node-set).
            person("year", "/data/people/role = 'member'"),
        ),
    )
    schema = make_schema(
        people,
        make_field("/data/role"),
        make_field("/data/count", "int", required="true()", relevant="/data/role = 'lead'"),
    )
    doc = {
        "/data/people": [{"/data/people/role": "member"}, {"/data/people/role": "guest"}],
        "/data/role": "lead",
    }
    issues = {(i.path, i.code) for i in validate_submission(schema, doc).issues}
    assert issues == {
        ("/data/people[1]/age", "required"),
        ("/data/people[1]/year", "required"),
        ("/data/people[2]/year", "required"),
        ("/data/count", "required"),
    }
