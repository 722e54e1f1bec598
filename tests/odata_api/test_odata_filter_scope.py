"""$filter in SQL on both backends, and per-record scope: what each reader may see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from forms.odata import ODataRecord, matches, parse_filter
from tests.factories import make_app_user
from tests.odata_api.conftest import FORM_ID, ODataSetup


@pytest.fixture
def four(od: ODataSetup) -> dict[str, str]:
    """A approved (2023), B received by the collector (mid 2024), C rejected (last hour of
    2024), D deleted (2024); their instance ids by letter."""
    ids = {
        "A": od.submit(instance_id="uuid:a", women=5),
        "B": od.submit(True, instance_id="uuid:b", women=20),
        "C": od.submit(instance_id="uuid:c", women=8),
        "D": od.submit(instance_id="uuid:d", women=1),
    }
    od.set_created("uuid:a", datetime(2023, 3, 5, 8, 0, tzinfo=UTC))
    od.set_created("uuid:b", datetime(2024, 7, 1, 10, 15, tzinfo=UTC))
    od.set_created("uuid:c", datetime(2024, 12, 31, 23, 30, tzinfo=UTC))
    od.set_created("uuid:d", datetime(2024, 5, 5, 0, 0, tzinfo=UTC))
    base = f"/v1/projects/{od.project_id}/forms/{FORM_ID}/submissions/"
    for letter, state in (("A", "approved"), ("C", "rejected")):
        response = od.client.patch(base + ids[letter], json={"reviewState": state},
                                   headers=od.manager)
        assert response.status_code == 200
    assert od.client.delete(base + ids["D"], headers=od.manager).status_code == 200
    return ids


FILTERS = [
    ("__system/reviewState eq 'approved'", "A"),
    ("__system/reviewState eq null", "B"),
    ("__system/reviewState ne 'approved'", "BC"),
    ("not (__system/reviewState eq 'approved')", "BC"),
    ("not (__system/reviewState lt 'b')", "C"),  # null < 'b' is unknown, and so is its negation
    ("year(__system/submissionDate) eq 2024", "BC"),
    ("year(__system/submissionDate) eq 2024 and month(__system/submissionDate) ge 7", "BC"),
    ("day(__system/submissionDate) eq 31 and hour(__system/submissionDate) eq 23", "C"),
    ("minute(__system/submissionDate) eq 15", "B"),
    ("__system/submissionDate lt 2024-01-01", "A"),
    ("__system/submissionDate ge 2024-07-01T10:15:00Z", "BC"),
    ("__system/submissionDate gt 2024-07-01T12:00:00+02:00", "BC"),
    ("2024-01-01 gt __system/submissionDate", "A"),
    ("__system/submissionDate lt now()", "ABC"),
    ("__system/updatedAt eq null or __system/reviewState eq 'rejected'", "BC"),
    ("__id eq 'uuid:b' or __id eq 'uuid:c'", "BC"),
    ("$root/Submissions/__id eq 'uuid:a'", "A"),
    ("__system/submitterId eq {collector}", "B"),
    ("__system/submitterId eq '{collector}'", "B"),
    ("__system/submitterId ne {collector}", "AC"),
    ("__system/deletedAt ne null", "D"),
    ("__system/deletedAt eq null", "ABC"),
    ("__system/reviewState eq 5", ""),
    ("true", "ABC"),
    ("false", ""),
    ("1 eq 1 and year(2024-05-01) eq 2024", "ABC"),
    ("women gt 6", "BC"),  # a form field: evaluated by forms.odata.matches
    ("women gt 6 and __system/reviewState eq null", "B"),
]


def test_filters_select_the_submissions_central_would(
    od: ODataSetup, four: dict[str, str]
) -> None:
    wrong = []
    for expression, expected in FILTERS:
        text = expression.replace("{collector}", str(od.collector_id))
        rows = od.rows("/Submissions", **{"$filter": text})
        letters = "".join(sorted(r["__id"][-1].upper() for r in rows))
        if letters != expected:
            wrong.append(f"{text}: got {letters!r}, expected {expected!r}")
    assert wrong == []


def test_the_sql_filter_agrees_with_the_reference_evaluator(
    od: ODataSetup, four: dict[str, str]
) -> None:
    """Every filter above, evaluated by forms.odata.matches on the rows the feed shows."""
    shown = od.rows("/Submissions", **{"$filter": "__system/deletedAt eq null or true"})
    records = [_record(row) for row in shown]
    now = datetime.now(UTC)
    for expression, _expected in FILTERS:
        text = expression.replace("{collector}", str(od.collector_id))
        if "women" in text:
            continue  # the reference needs the document, not the row
        chosen = {r.instance_id for r in records if matches(parse_filter(text), r, now=now)}
        in_sql = {r["__id"] for r in od.rows("/Submissions", **{"$filter": f"({text}) and "
                                                                "(__system/deletedAt eq null "
                                                                "or true)"})}
        assert in_sql == chosen, text


def _record(row: dict[str, object]) -> ODataRecord:
    system: dict[str, str | None] = row["__system"]  # type: ignore[assignment]

    def instant(key: str) -> datetime | None:
        text = system[key]
        return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))

    return ODataRecord(
        instance_id=str(row["__id"]), data={}, submission_date=instant("submissionDate"),
        updated_at=instant("updatedAt"), deleted_at=instant("deletedAt"),
        submitter_id=int(system["submitterId"] or 0), review_state=system["reviewState"],
    )


def test_repeat_tables_filter_on_their_submission(od: ODataSetup, four: dict[str, str]) -> None:
    rows = od.rows("/Submissions.rec", **{"$filter": "$root/Submissions/__id eq 'uuid:b'"})
    assert [r["__Submissions-id"] for r in rows] == ["uuid:b"]


def _scope_own(od: ODataSetup) -> None:
    response = od.client.put(f"/v1/projects/{od.project_id}/scope", json={"mode": "own"},
                             headers=od.manager)
    assert response.status_code == 200, response.text


def test_a_scoped_collector_reads_only_its_own_records(
    od: ODataSetup, four: dict[str, str]
) -> None:
    _scope_own(od)
    mine = od.rows("/Submissions", od.collector, **{"$count": "true"})
    assert [r["__id"] for r in mine] == ["uuid:b"]
    assert od.get("/Submissions", od.collector, **{"$count": "true"}).json()["@odata.count"] == 1
    recs = od.rows("/Submissions.rec", od.collector)
    assert {r["__Submissions-id"] for r in recs} == {"uuid:b"}
    # The manager still sees everything.
    assert len(od.rows("/Submissions", od.manager)) == 3


def test_records_out_of_scope_stay_invisible_whatever_the_filter(
    od: ODataSetup, four: dict[str, str]
) -> None:
    _scope_own(od)
    for text in (f"__system/submitterId eq {od.manager_id}", "__id eq 'uuid:a'",
                 "__system/deletedAt ne null", "true or __id eq 'uuid:a'", "women lt 10"):
        rows = od.rows("/Submissions", od.collector, **{"$filter": text})
        assert {r["__id"] for r in rows} <= {"uuid:b"}, text
    assert od.get("/Submissions('uuid:a')", od.collector).status_code == 404
    assert od.get("/Submissions('uuid:b')", od.collector).status_code == 200


def test_app_users_have_no_odata_feed(od: ODataSetup) -> None:
    _actor, key = make_app_user(od.engine, od.project_id, forms=(FORM_ID,))
    bearer = {"Authorization": f"Bearer {key}"}
    assert od.get("/Submissions", bearer).status_code == 403
