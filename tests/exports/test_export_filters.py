"""Filtering an export: $filter as in ODK Central's OData, and the convenience parameters."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from forms.odata import And, Compare, Constant, Member, Or
from server.services.export_query import split_filter
from tests.exports.conftest import World


def keys(world: World, **params: str) -> list[str]:
    response = world.export("submissions.csv", **params)
    assert response.status_code == 200, response.text
    return sorted(row["KEY"] for row in csv.DictReader(io.StringIO(response.text, newline="")))


def test_a_select_field_filters_through_odata(world: World) -> None:
    assert keys(world, **{"$filter": "district eq 'nookat'"}) == ["uuid:new"]
    assert keys(world, **{"$filter": "district eq null"}) == ["uuid:middle", "uuid:old"]
    assert keys(world, **{"$filter": "age gt 10 and grp/name ne 'Айгүл'"}) == ["uuid:middle"]


def test_the_form_version_filters_by_filter_or_parameter(world: World) -> None:
    assert keys(world, **{"$filter": "__system/formVersion eq '2'"}) == ["uuid:middle"]
    assert keys(world, version="1") == ["uuid:old"]


def test_review_state_filters_with_null_as_received(world: World) -> None:
    url = world.url("submissions/uuid:old")
    assert world.client.patch(url, json={"reviewState": "approved"},
                              headers=world.manager).status_code == 200
    assert keys(world, reviewState="approved") == ["uuid:old"]
    assert keys(world, reviewState="received") == ["uuid:middle", "uuid:new"]
    assert keys(world, **{"$filter": "__system/reviewState ne 'approved'"}) == \
        ["uuid:middle", "uuid:new"]


def test_a_date_range_filters_on_the_submission_date(world: World) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert keys(world, start=tomorrow) == []
    assert keys(world, start=yesterday, end=tomorrow) == ["uuid:middle", "uuid:new", "uuid:old"]
    assert keys(world, **{"$filter": f"__system/submissionDate lt {yesterday}"}) == []
    assert keys(world, **{"$filter": f"__system/submissionDate ge {yesterday}"}) == \
        ["uuid:middle", "uuid:new", "uuid:old"]


def test_the_submitter_filters_by_parameter_or_filter(world: World) -> None:
    mine = str(world.manager_id)
    assert len(keys(world, submitterId=mine)) == 3
    assert keys(world, submitterId=str(world.manager_id + 1000)) == []
    assert keys(world, **{"$filter": f"__system/submitterId eq {world.manager_id + 1000}"}) == []


@pytest.mark.parametrize(("text", "status", "code"), [
    ("age gt", 400, "export.filter_invalid"),
    ("age add 1 eq 2", 501, "export.filter_unsupported"),
    ("nosuchfield eq 1", 501, "export.filter_unsupported"),
])
def test_a_bad_filter_is_refused_with_centrals_code(world: World, text: str, status: int,
                                                    code: str) -> None:
    response = world.export("submissions.csv.zip", **{"$filter": text})
    assert response.status_code == status
    assert response.json()["code"] == code


@pytest.mark.parametrize("params", [
    {"start": "yesterday"}, {"reviewState": "pending"}, {"submitterId": "me"}, {"lang": "<x>"},
])
def test_bad_options_are_a_bad_request(world: World, params: dict[str, str]) -> None:
    response = world.export("submissions.csv", **params)
    assert response.status_code == 400
    assert response.json()["code"] == "export.option_invalid"


def test_submission_columns_become_sql_and_form_fields_stay_for_python() -> None:
    date_part = Compare("ge", Member("__system/submissionDate"), Constant(datetime(2026, 1, 1)))
    field = Compare("eq", Member("district", "/data/district"), Constant("osh"))
    either = Or(Compare("eq", Member("__system/reviewState"), Constant(None)), field)
    split = split_filter(And(And(date_part, field), either))
    assert len(split.sql) == 1
    assert split.residual == And(field, either)
    assert split_filter(Compare("eq", Constant("approved"), Member("__system/reviewState"))) \
        .residual is None
