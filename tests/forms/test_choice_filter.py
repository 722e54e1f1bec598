"""Cascading selects: a chosen option must pass its question's choice_filter."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from forms.choice_filter import choice_condition
from forms.validate import validate_submission
from tests.forms.test_convert import convert_md
from tests.forms.test_examples_filled import open_day, schema_of, validated

RAYONS = {c.name: c.extra["oblast"] for c in
          schema_of("open_day_consultation").fields_by_path()["/data/location/rayon"].choices}
OBLASTS = sorted(set(RAYONS.values()))


def _codes(result) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(issue.path, issue.code) for issue in result.issues]


def test_a_rayon_of_another_oblast_is_reported_in_the_readers_language() -> None:
    doc = open_day("ru", **{"location/oblast": "osh"})
    result = validated("open_day_consultation", doc, "ru")
    assert _codes(result) == [("/data/location/rayon", "choice_filter")]
    assert result.issues[0].message == (
        "«batken_rayon» нет среди вариантов, допустимых при других ответах."
    )
    assert result.not_checked == ()


def test_an_ayil_aimak_of_another_rayon_is_reported() -> None:
    doc = open_day("en", **{"location/rayon": "kadamjay"})
    result = validated("open_day_consultation", doc, "en")
    assert _codes(result) == [("/data/location/ayil_aimak", "choice_filter")]
    assert result.issues[0].message == "“ak_say” is not among the choices the other answers allow."


@settings(max_examples=60, deadline=None)
@given(oblast=st.sampled_from(OBLASTS), rayon=st.sampled_from(sorted(RAYONS)))
def test_a_rayon_passes_exactly_when_its_oblast_column_is_the_oblast_answered(
    oblast: str, rayon: str
) -> None:
    doc = open_day("en", **{"location/oblast": oblast, "location/rayon": rayon})
    del doc["/data/location/ayil_aimak"]
    flagged = ("/data/location/rayon", "choice_filter") in _codes(
        validated("open_day_consultation", doc, "en")
    )
    assert flagged == (RAYONS[rayon] != oblast)


FILTERED_IN_A_REPEAT = """
| survey |
|        | type                   | name    | label   | choice_filter      |
|        | begin repeat           | visit   | Visit   |                    |
|        | select_one region      | region  | Region  |                    |
|        | select_multiple place  | places  | Places  | region=${region}   |
|        | end repeat             |         |         |                    |
| choices |
|         | list_name | name   | label  | region |
|         | region    | north  | North  |        |
|         | region    | south  | South  |        |
|         | place     | lake   | Lake   | north  |
|         | place     | peak   | Peak   | north  |
|         | place     | dune   | Dune   | south  |
"""


def test_a_filter_inside_a_repeat_checks_each_option_of_a_multiple_select_per_entry() -> None:
    schema = convert_md(FILTERED_IN_A_REPEAT).schema
    visits = [
        {"/data/visit/region": "north", "/data/visit/places": ["lake", "peak"]},
        {"/data/visit/region": "south", "/data/visit/places": ["dune", "lake"]},
    ]
    result = validate_submission(schema, {"/data/visit": visits}, lang="en")
    assert _codes(result) == [("/data/visit[2]/places", "choice_filter")]
    assert "“lake”" in result.issues[0].message


def test_the_options_columns_become_literals_and_the_filters_own_strings_stay() -> None:
    condition = choice_condition(
        "oblast = current()/../oblast and name != 'oblast'", "kadamjay", {"oblast": "batken"}
    )
    assert condition == "'batken' = ../oblast and 'kadamjay' != 'oblast'"
    assert choice_condition("name = /data/x", "it's", {}) == "\"it's\" = /data/x"
    assert choice_condition("name = /data/x", "both'\"", {}) is None


def test_a_filter_on_a_column_the_list_lacks_is_not_checked_rather_than_failed() -> None:
    schema = convert_md(FILTERED_IN_A_REPEAT.replace("region=${region}", "zone=${region}"))
    visits = [{"/data/visit/region": "north", "/data/visit/places": ["dune"]}]
    result = validate_submission(schema.schema, {"/data/visit": visits}, lang="en")
    assert result.valid
    assert [n.path for n in result.not_checked] == ["/data/visit[1]/places"]
