"""Conditions on answers and literals, decided without the XPath engine, agree with it."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from forms.schema import Field
from forms.validate import validate_submission
from forms.xpath import evaluate_boolean, make_context, node_of
from forms.xpath_simple import simple_condition
from tests.forms.test_validate import make_field, make_schema

TEXTS = st.one_of(
    st.sampled_from(["", "0", "-3", "12", "12.50", " 7 ", "abc", "yes", "2024-04-30", "NaN"]),
    st.integers(-1000, 1000).map(str),
    st.text(alphabet="ab 01.-", max_size=6),
)
LITERALS = st.one_of(
    st.sampled_from(["0", "-5", "- 5", "12.5", ".5", "3.", "'yes'", '"2024-04-30"', "''", "'12'"]),
    st.integers(-100, 100).map(str),
)
OPERANDS = st.one_of(
    LITERALS, st.sampled_from([".", "../r", "/data/g/r", "/data/other", "today()"])
)
OPERATORS = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
TODAY = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC)


@st.composite
def conditions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth < 2 and draw(st.booleans()):
        parts = draw(st.lists(conditions(depth + 1), min_size=2, max_size=3))
        joined = f" {draw(st.sampled_from(['and', 'or']))} ".join(parts)
        return f"({joined})" if draw(st.booleans()) else joined
    return f"{draw(OPERANDS)} {draw(OPERATORS)} {draw(OPERANDS)}"


def _full_engine(expression: str, texts: dict[str, str]) -> bool:
    root = ET.fromstring("<data><g><q/><r/></g><other/></data>")
    for path, text in texts.items():
        element = root.find(path)
        assert element is not None
        element.text = text
    context = make_context(root, now=TODAY)
    element = root.find("g/q")
    assert element is not None
    return evaluate_boolean(expression, context, node_of(context, element))


@given(condition=conditions(), q=TEXTS, r=TEXTS, other=TEXTS)
def test_a_simple_condition_decides_as_the_xpath_engine_does(
    condition: str, q: str, r: str, other: str
) -> None:
    texts = {"g/q": q, "g/r": r, "other": other}
    answers = {".": q, "../r": r, "/data/g/r": r, "/data/other": other}
    parsed = simple_condition(condition)
    assert parsed is not None, condition
    decided = parsed.decide(answers.get, TODAY.date().isoformat())
    assert decided == _full_engine(condition, texts), condition


def test_other_shapes_are_left_to_the_xpath_engine() -> None:
    for expression in [
        "selected(., 'a')",
        "/data/q + 1 > 2",
        ". = -'a'",
        "string-length(.) > 3",
        "not(. > 1)",
        ". > 1 and",
        "(. > 1",
        ". > 1)",
        "../../q = 1",
        ". and . > 1",
        "./q = 1",
        ". > 1 or or . < 2",
        "count(/data/rep) > 1",
        "",
    ]:
        assert simple_condition(expression) is None, expression


def test_a_path_that_is_not_one_answer_is_left_to_the_xpath_engine() -> None:
    parsed = simple_condition(". > 1 and /data/rep/q = 'a'")
    assert parsed is not None
    assert parsed.decide({".": "5"}.get, "2024-05-01") is None


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
