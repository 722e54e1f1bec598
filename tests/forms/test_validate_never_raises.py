"""Validation never raises: any document, however malformed, gets a result."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.schema import Choice, Field, FormSchema
from forms.validate import ValidationResult, validate_submission

FIELDS = (
    Field("/data/age", "age", "integer", data_type="int", required="true()", constraint=". < 120"),
    Field("/data/when", "when", "date", data_type="date", constraint=". <= today()"),
    Field("/data/where", "where", "geopoint", data_type="geopoint"),
    Field(
        "/data/topics",
        "topics",
        "select all that apply",
        choices=(Choice("a"), Choice("b")),
        relevant="/data/age > 17",
        constraint="count-selected(.) < 2",
    ),
    Field(
        "/data/rep",
        "rep",
        "repeat",
        data_type="",
        children=(
            Field("/data/rep/q", "q", "select one", choices=(Choice("x"),), required="true()"),
            Field("/data/rep/n", "n", "decimal", data_type="decimal", constraint=". > ../../age"),
        ),
    ),
)
SCHEMA = FormSchema("f", "1", "F", "data", ("en",), "en", FIELDS)
KNOWN_KEYS = [f.path for f in SCHEMA.walk()]
CODES = {"unknown_field", "type_error", "not_in_choices", "required", "constraint"}

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", "2024-02-30", "a b", "40 70", "x", "1e400", "NaN", "<x/>", "\x00"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
keys = st.sampled_from(KNOWN_KEYS) | st.text(max_size=15) | st.integers()
documents = st.dictionaries(keys, values, max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents, lang=st.sampled_from([None, "en", "ru", "ky", "xx"]))
def test_validation_returns_a_result_for_any_document(
    doc: dict[Any, Any], lang: str | None
) -> None:
    result = validate_submission(SCHEMA, doc, lang=lang)
    assert isinstance(result, ValidationResult)
    assert result.valid == (not result.issues)
    assert all(issue.message and issue.code in CODES for issue in result.issues)
