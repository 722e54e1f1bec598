"""Paging: following @odata.nextLink to the end gives every row exactly once, on every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from server.services import odata as odata_service
from tests.odata_api.conftest import ODataSetup

SAME_TIME = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def follow(od: ODataSetup, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every row of a table, page by page; and how many pages it took."""
    response = od.get(path, **params)
    rows, pages = [], 0
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body["value"]
        pages += 1
        link = body.get("@odata.nextLink")
        if link is None:
            return rows, pages
        assert link.startswith("http://testserver/")
        response = od.client.get(link.removeprefix("http://testserver"), headers=od.manager)


@pytest.fixture
def many(od: ODataSetup, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Seven submissions with 0 to 3 recommendations each; some share a submission time."""
    monkeypatch.setattr(odata_service, "_BATCH", 2)  # cross batch boundaries with few records
    ids = []
    for i in range(7):
        recs = tuple((f"r{i}.{j}", tuple(range(j))) for j in range(i % 4))
        ids.append(od.submit(recs=recs, women=i))
    for instance_id in ids[2:5]:
        od.set_created(instance_id, SAME_TIME)
    return ids


def test_paging_the_main_table_gives_every_submission_once_newest_first(
    od: ODataSetup, many: list[str]
) -> None:
    everything = od.rows("/Submissions")
    rows, pages = follow(od, "/Submissions", **{"$top": "3"})
    assert [r["__id"] for r in rows] == [r["__id"] for r in everything]
    assert sorted(r["__id"] for r in rows) == sorted(many)
    assert pages == 3


def test_paging_a_repeat_table_gives_every_row_once(od: ODataSetup, many: list[str]) -> None:
    for table, size in (("/Submissions.rec", 9), ("/Submissions.rec.vote", 5)):
        everything = od.rows(table)
        assert len(everything) == size
        for top in (1, 2, 5):
            rows, pages = follow(od, table, **{"$top": str(top)})
            assert rows == everything, (table, top)
            assert pages == -(-size // top), (table, top)  # and no empty last page


def test_count_is_the_total_whatever_the_page(od: ODataSetup, many: list[str]) -> None:
    first = od.get("/Submissions", **{"$top": "2", "$count": "true"}).json()
    assert first["@odata.count"] == 7 and len(first["value"]) == 2
    link = first["@odata.nextLink"].removeprefix("http://testserver")
    assert od.client.get(link, headers=od.manager).json()["@odata.count"] == 7
    repeat = od.get("/Submissions.rec", **{"$top": "2", "$count": "true"}).json()
    assert repeat["@odata.count"] == 9


def test_skip_and_top_cut_the_rows_as_central_does(od: ODataSetup, many: list[str]) -> None:
    everything = od.rows("/Submissions")
    assert od.rows("/Submissions", **{"$skip": "2", "$top": "3"}) == everything[2:5]
    recs = od.rows("/Submissions.rec")
    assert od.rows("/Submissions.rec", **{"$skip": "4", "$top": "3"}) == recs[4:7]
    body = od.get("/Submissions", **{"$skip": "5"}).json()
    assert body["value"] == everything[5:] and "@odata.nextLink" not in body


def test_next_links_keep_the_other_options(od: ODataSetup, many: list[str]) -> None:
    body = od.get("/Submissions", **{"$top": "2", "$select": "__id", "$skip": "1"}).json()
    link = body["@odata.nextLink"]
    assert "%24select=__id" in link and "%24skip=" not in link and "%24skiptoken=01" in link
    following = od.client.get(link.removeprefix("http://testserver"), headers=od.manager)
    ids = [r["__id"] for r in od.rows("/Submissions")]
    assert following.json()["value"] == [{"__id": i} for i in ids[3:5]]


def test_paging_with_a_form_field_filter_gives_each_match_once(
    od: ODataSetup, many: list[str]
) -> None:
    rows, _pages = follow(od, "/Submissions", **{"$top": "2", "$filter": "women ge 3",
                                                  "$count": "true"})
    assert sorted(r["women"] for r in rows) == [3, 4, 5, 6]
    assert od.get("/Submissions", **{"$filter": "women ge 3", "$count": "true"}
                  ).json()["@odata.count"] == 4


def test_a_repeat_page_reads_only_a_batch_of_submissions(
    od: ODataSetup, many: list[str]
) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM submissions" in statement and "submission_defs.data" in statement:
            statements.append(statement)

    event.listen(od.engine, "before_cursor_execute", seen)
    try:
        second_page = od.get("/Submissions.rec", **{"$top": "1"}).json()["@odata.nextLink"]
        statements.clear()
        od.client.get(second_page.removeprefix("http://testserver"), headers=od.manager)
    finally:
        event.remove(od.engine, "before_cursor_execute", seen)
    # One keyset query of one batch: the page does not walk the submissions before it.
    assert len(statements) == 1 and "LIMIT" in statements[0]
