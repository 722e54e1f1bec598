"""Property: any document of answers survives document -> instance XML -> document unchanged."""
# ruff: noqa: E501  (inline XLSForm tables are easier to read unwrapped)

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forms
from forms.convert import convert_definition
from forms.instance import document_to_instance_xml, instance_to_document, parse_instance
from forms.schema import Field, FormSchema

EVERY_TYPE = """
| survey   |
|          | type                 | name     | label    |
|          | integer              | count    | Count    |
|          | decimal              | amount   | Amount   |
|          | text                 | note     | Note     |
|          | date                 | day      | Day      |
|          | dateTime             | moment   | Moment   |
|          | time                 | clock    | Clock    |
|          | geopoint             | point    | Point    |
|          | geoshape             | area     | Area     |
|          | select_one oblast    | oblast   | Oblast   |
|          | select_multiple need | needs    | Needs    |
|          | image                | photo    | Photo    |
|          | begin_group          | grp      | Group    |
|          | text                 | inner    | Inner    |
|          | begin_repeat         | visits   | Visits   |
|          | integer              | women    | Women    |
|          | begin_repeat         | actions  | Actions  |
|          | text                 | action   | Action   |
|          | geopoint             | where    | Where    |
|          | end_repeat           |          |          |
|          | end_repeat           |          |          |
|          | end_group            |          |          |
| choices  |
|          | list_name | name       | label      |
|          | oblast    | batken     | Batken     |
|          | oblast    | osh        | Osh        |
|          | oblast    | jalal_abad | Jalal-Abad |
|          | need      | water      | Water      |
|          | need      | school     | School     |
|          | need      | road       | Road       |
"""

# XML 1.0 cannot carry surrogates, most control characters or non-characters; a carriage
# return is normalised to a newline by every XML parser, so it is left out too.
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=30),
    st.sampled_from(
        ["Жаштар & аялдар", "Ош облусу <Кара-Суу>", "Женщины \"и\" 'мир'", " \t\n ", "]]>"]
    ),
)
FLOAT = st.floats(allow_nan=False, allow_infinity=False, width=64)
POINT = st.tuples(st.floats(-90, 90), st.floats(-180, 180), FLOAT, st.floats(0, 1e6)).map(list)


def answer(field: Field) -> st.SearchStrategy[Any]:
    if field.is_select_multiple and field.choices:
        names = [c.name for c in field.choices]
        return st.lists(st.sampled_from(names), min_size=1, unique=True)
    if field.is_select_one and field.choices:
        return st.sampled_from([c.name for c in field.choices])
    by_type: dict[str, st.SearchStrategy[Any]] = {
        "int": st.integers(),
        "decimal": FLOAT,
        "date": st.dates().map(lambda d: d.isoformat()),
        "dateTime": st.datetimes().map(lambda d: d.isoformat(timespec="milliseconds") + "+06:00"),
        "time": st.times().map(lambda t: t.isoformat(timespec="milliseconds") + "+06:00"),
        "geopoint": POINT,
        "geotrace": st.lists(POINT, min_size=2, max_size=4),
        "geoshape": st.lists(POINT, min_size=4, max_size=5),
        "binary": st.from_regex(r"[A-Za-z0-9_-]{1,12}\.(jpg|png|m4a)", fullmatch=True),
    }
    return by_type.get(field.data_type, TEXT)


def documents(fields: tuple[Field, ...], meta_path: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(document_parts(fields, meta_path))


def document_parts(fields: tuple[Field, ...], meta_path: str) -> dict[str, st.SearchStrategy[Any]]:
    """One strategy per document key: groups are flat, repeats are lists of sub-documents."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for field in fields:
        if field.path == meta_path:
            continue  # meta is set from the arguments of document_to_instance_xml
        if field.is_repeat:
            parts[field.path] = st.lists(documents(field.children, meta_path), max_size=2)
        elif field.is_group:
            parts.update(document_parts(field.children, meta_path))
        else:
            parts[field.path] = st.none() | answer(field)
    return parts


def check_round_trip(schema: FormSchema, document: dict[str, Any]) -> None:
    xml = document_to_instance_xml(document, schema, instance_id="uuid:7e1")
    back = instance_to_document(parse_instance(xml), schema)
    assert back == {**document, f"/{schema.root_name}/meta/instanceID": "uuid:7e1"}


INLINE = convert_definition(EVERY_TYPE.encode(), "every_type.md").schema


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(INLINE.children, "/data/meta"))
def test_documents_of_every_answer_type_survive_a_trip_through_instance_xml(
    document: dict[str, Any],
) -> None:
    check_round_trip(INLINE, document)


EXAMPLES = sorted((Path(forms.__file__).parent / "examples").glob("*.xlsx"))


@pytest.mark.parametrize("workbook", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_documents_of_the_example_forms_survive_a_trip_through_instance_xml(workbook: Path) -> None:
    schema = convert_definition(workbook.read_bytes(), workbook.name).schema

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(documents(schema.children, f"/{schema.root_name}/meta"))
    def round_trip(document: dict[str, Any]) -> None:
        check_round_trip(schema, document)

    round_trip()
