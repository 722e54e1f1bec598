"""$filter as Central supports it: parsing its examples, refusing the rest, and evaluating."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.convert import convert_definition
from forms.odata import (
    ENTITY_FILTER_FIELDS,
    And,
    Call,
    Compare,
    Constant,
    Member,
    Not,
    ODataFilterError,
    ODataPlan,
    ODataRecord,
    matches,
    mentions,
    parse_filter,
    plan_odata,
)


@cache
def plan() -> ODataPlan:
    md = """
| survey |
| | type | name | label |
| | begin group | location | Location |
| | text | oblast | Oblast |
| | end group | | |
| | integer | age | Age |
| | date | visited | Visited |
| | begin repeat | rep | Rep |
| | integer | q | Q |
| | end repeat | | |
"""
    return plan_odata([convert_definition(md.encode("utf-8"), "consult.md").schema])


def submission(**overrides: Any) -> ODataRecord:
    values: dict[str, Any] = {
        "instance_id": "uuid:1",
        "data": {"/data/location/oblast": "osh", "/data/age": 34, "/data/visited": "2026-03-01"},
        "submission_date": datetime(2020, 6, 1, 12, 30, tzinfo=UTC),
        "submitter_id": 5,
        "review_state": None,
    }
    values.update(overrides)
    return ODataRecord(**values)


# --- parsing -------------------------------------------------------------------------------


def test_centrals_date_and_review_state_example_parses() -> None:
    expr = parse_filter(
        "__system/submissionDate gt 2020-01-01T00:00:00Z and __system/reviewState ne 'rejected'"
    )
    assert expr == And(
        Compare("gt", Member("__system/submissionDate"),
                Constant(datetime(2020, 1, 1, tzinfo=UTC))),
        Compare("ne", Member("__system/reviewState"), Constant("rejected")),
    )


def test_date_functions_and_not_parse() -> None:
    assert parse_filter("year(__system/submissionDate) eq 2020") == Compare(
        "eq", Call("year", Member("__system/submissionDate")), Constant(2020)
    )
    assert parse_filter("not (__id eq 'uuid:1')") == Not(
        Compare("eq", Member("__id"), Constant("uuid:1"))
    )
    # As in Central, `not` covers the comparison that follows it.
    assert parse_filter("not __system/deletedAt eq null") == Not(
        Compare("eq", Member("__system/deletedAt"), Constant(None))
    )


def test_and_binds_tighter_than_or() -> None:
    expr = parse_filter("__id eq 'a' or __id eq 'b' and __id eq 'c'")
    assert expr == parse_filter("__id eq 'a' or (__id eq 'b' and __id eq 'c')")


def test_literals_read_as_their_types() -> None:
    def literal(text: str) -> Any:
        expr = parse_filter(f"__id eq {text}")
        assert isinstance(expr, Compare) and isinstance(expr.right, Constant)
        return expr.right.value

    assert literal("'it''s'") == "it's"
    assert literal("'Ош'") == "Ош"
    assert literal("null") is None
    assert literal("true") is True
    assert literal("-12") == -12
    assert literal("1.5") == 1.5
    assert literal("2015-01-01") == date(2015, 1, 1)
    assert literal("2020-01-01T06:00:00.123+06:00") == datetime(
        2020, 1, 1, 0, 0, 0, 123000, tzinfo=UTC
    )


def test_root_submissions_prefix_names_the_same_member() -> None:
    expr = parse_filter("$root/Submissions/__system/reviewState eq 'rejected'")
    assert expr == parse_filter("__system/reviewState eq 'rejected'")


def test_form_fields_outside_repeats_can_be_filtered_when_the_plan_is_known() -> None:
    expr = parse_filter("location/oblast eq 'osh'", plan=plan())
    assert expr == Compare("eq", Member("location/oblast", "/data/location/oblast"),
                           Constant("osh"))


@pytest.mark.parametrize(("text", "code"), [
    ("hello my dear", "400.18"),
    ("__id eq", "400.18"),
    ("(__id eq 'a'", "400.18"),
    ("__id eq 'unterminated", "400.18"),
    ("__id eq 2020-13-45", "400.18"),
    ("", "400.18"),
    ("3 add 4", "501.4"),
    ("contains(__id, 'x') eq true", "501.4"),
    ("123 eq myfield", "501.5"),
    ("__system/submitterName eq 'Alice'", "501.5"),
    ("rep/q eq 1", "501.5"),
    ("location eq 'osh'", "501.5"),
])
def test_unsupported_filters_raise_centrals_problem_codes(text: str, code: str) -> None:
    with pytest.raises(ODataFilterError) as refused:
        parse_filter(text, plan=plan())
    assert refused.value.code == code
    assert refused.value.status == int(code.split(".")[0])


def test_form_fields_need_the_plan() -> None:
    with pytest.raises(ODataFilterError):
        parse_filter("location/oblast eq 'osh'")


def test_entity_feeds_filter_on_their_own_system_fields() -> None:
    parse_filter("__system/conflict eq 'hard'", fields=ENTITY_FILTER_FIELDS)
    with pytest.raises(ODataFilterError):
        parse_filter("__system/reviewState eq null", fields=ENTITY_FILTER_FIELDS)


def test_mentions_finds_deleted_at_anywhere_in_the_expression() -> None:
    assert mentions(parse_filter("not (year(__system/deletedAt) eq 2020)"), "__system/deletedAt")
    assert not mentions(parse_filter("__id eq 'x'"), "__system/deletedAt")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_parsing_arbitrary_text_raises_nothing_but_filter_errors(text: str) -> None:
    try:
        parse_filter(text, plan=plan())
    except ODataFilterError:
        pass


_PIECES = ["__id", "__system/submissionDate", "eq", "ne", "lt", "and", "or", "not", "(", ")",
           "'x'", "null", "2020-01-01", "year(", "5", " ", "location/oblast", "''", ","]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12))
def test_parsing_near_miss_filters_raises_nothing_but_filter_errors(pieces: list[str]) -> None:
    try:
        parse_filter(" ".join(pieces), plan=plan())
    except ODataFilterError:
        pass


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(ODataFilterError):
        parse_filter("not " * 5000 + "true")
    with pytest.raises(ODataFilterError):
        parse_filter("(" * 5000 + "true" + ")" * 5000)


# --- evaluation ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("__system/submissionDate gt 2020-01-01T00:00:00Z", True),
    ("__system/submissionDate lt 2015-01-01", False),
    ("year(__system/submissionDate) eq 2020", True),
    ("month(__system/submissionDate) eq 6 and hour(__system/submissionDate) eq 12", True),
    ("__system/reviewState eq null", True),
    ("__system/reviewState ne 'rejected'", True),
    ("__system/reviewState eq 'rejected'", False),
    ("__system/submitterId eq 5", True),
    ("__system/submitterId eq 6", False),
    ("not (__id eq 'uuid:1')", False),
    ("__id eq 'uuid:1' or __id eq 'uuid:2'", True),
    ("__id eq 'uuid:2' and __id eq 'uuid:1'", False),
    ("true", True),
    ("false or true", True),
    # Comparing with null is unknown, and so is its negation: neither matches, as in SQL.
    ("__system/updatedAt gt 2020-01-01", False),
    ("not __system/updatedAt gt 2020-01-01", False),
    ("__system/updatedAt gt 2020-01-01 or true", True),
])
def test_matches_evaluates_like_the_database_would(text: str, expected: bool) -> None:
    assert matches(parse_filter(text), submission()) is expected


def test_matches_reads_form_fields_from_the_current_document() -> None:
    record = submission()
    assert matches(parse_filter("location/oblast eq 'osh'", plan=plan()), record)
    assert not matches(parse_filter("location/oblast eq 'batken'", plan=plan()), record)
    assert matches(parse_filter("age ge 18 and age lt 35", plan=plan()), record)
    assert matches(parse_filter("visited lt 2026-03-02", plan=plan()), record)
    assert matches(parse_filter("year(visited) eq 2026", plan=plan()), record)


def test_deleted_and_rejected_submissions_are_found_by_their_system_fields() -> None:
    deleted = submission(deleted_at=datetime(2026, 1, 1, tzinfo=UTC), review_state="rejected")
    assert matches(parse_filter("not __system/deletedAt eq null"), deleted)
    assert not matches(parse_filter("not __system/deletedAt eq null"), submission())
    assert matches(parse_filter("__system/reviewState eq 'rejected'"), deleted)


def test_now_is_the_instant_the_caller_gives() -> None:
    expr = parse_filter("__system/submissionDate lt now()")
    assert matches(expr, submission(), now=datetime(2021, 1, 1, tzinfo=UTC))
    assert not matches(expr, submission(), now=datetime(2019, 1, 1, tzinfo=UTC))


def test_very_long_filters_are_refused_not_a_crash() -> None:
    with pytest.raises(ODataFilterError) as refused:
        parse_filter(" or ".join(["__id eq 'x'"] * 2000))
    assert refused.value.code == "400.18"
