"""GET …/forms/{id}/versions with X-Extended-Metadata: true, for a manager and a scoped collector.

Each version carries the form's submission stats (of the records the caller may see), as the
extended single-form and single-version reads do; they are computed once per request. Who
published each version and excelContentType: test_version_publishers.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.factories import headers_for, make_user
from tests.forms_api.conftest import ACTOR_KEYS, Api, forms_url, xlsform

EXTENDED = {"X-Extended-Metadata": "true"}
# (instanceID, form version, village), sent in this order: the newest is out of the
# collector's scope, so their lastSubmission differs from the manager's.
SUBMISSIONS = [
    ("uuid:v1-ak-sai", "1", "Ak-Sai"),
    ("uuid:v2-ak-sai", "2", "Ak-Sai"),
    ("uuid:v2-kulundu", "2", "Kulundu"),
]


def _submission(instance_id: str, version: str, village: str) -> bytes:
    return (f'<data id="simple" version="{version}"><age>30</age><village>{village}</village>'
            f"<meta><instanceID>{instance_id}</instanceID></meta></data>").encode()


def _publish_version(manager: Api, project_id: int, version: str) -> None:
    draft = manager.post(forms_url(project_id, "/simple/draft"), xlsform("simple", version),
                         "text/markdown")
    assert draft.status_code == 200, draft.text
    published = manager.post(forms_url(project_id, "/simple/draft/publish"))
    assert published.status_code == 200, published.text


@pytest.fixture
def callers(sign_in_as: Callable[..., Api], client: Any, app: Any, engine: Engine,
            project_id: int) -> dict[str, Api]:
    """Versions 1 and 2 of `simple` with three submissions (one of them hasIssues), a manager,
    and a collector whose record scope is the village Ak-Sai."""
    manager = sign_in_as("manager")
    assert manager.upload(project_id, xlsform("simple", "1"), publish=True).status_code == 200
    _publish_version(manager, project_id, "2")
    for instance_id, version, village in SUBMISSIONS:
        sent = manager.post(forms_url(project_id, "/simple/submissions"),
                            _submission(instance_id, version, village), "application/xml")
        assert sent.status_code == 200, sent.text
    flagged = manager.patch(forms_url(project_id, "/simple/submissions/uuid:v2-ak-sai"),
                            json={"reviewState": "hasIssues"})
    assert flagged.status_code == 200, flagged.text
    collector_id = make_user(engine, "scoped@example.org", role="collector", project=project_id)
    base = f"/v1/projects/{project_id}"
    scope = {"mode": "location", "field": "/data/village"}
    assert manager.client.put(f"{base}/scope", json=scope,
                              headers=manager.headers).status_code == 200
    assert manager.client.put(f"{base}/scopes/{collector_id}", json={"values": ["Ak-Sai"]},
                              headers=manager.headers).status_code == 200
    return {"manager": manager, "collector": Api(client, headers_for(app, collector_id))}


def _versions(api: Api, project_id: int) -> list[dict[str, Any]]:
    response = api.get(forms_url(project_id, "/simple/versions"), headers=EXTENDED)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _created_at(manager: Api, project_id: int) -> dict[str, str]:
    listed = manager.get(forms_url(project_id, "/simple/submissions")).json()
    return {s["instanceId"]: s["createdAt"] for s in listed}


def test_each_version_carries_the_forms_stats_of_every_record_for_a_manager(
    callers: dict[str, Api], project_id: int
) -> None:
    manager = callers["manager"]
    versions = _versions(manager, project_id)
    assert [v["version"] for v in versions] == ["2", "1"]
    created = _created_at(manager, project_id)
    # The manager uploaded the form: ODK Central's createdBy is that actor.
    creator = {key: manager.get("/v1/users/current").json()[key] for key in ACTOR_KEYS}
    for entry in versions:
        assert entry["submissions"] == 3
        assert entry["reviewStates"] == {"received": 2, "hasIssues": 1, "edited": 0}
        assert entry["lastSubmission"] == created["uuid:v2-kulundu"]
        assert entry["publicLinks"] == 0
        assert entry["createdBy"] == creator
        assert entry["excelContentType"] == "text/markdown"


def test_a_scoped_collector_counts_only_the_records_in_scope_on_every_version(
    callers: dict[str, Api], project_id: int
) -> None:
    created = _created_at(callers["manager"], project_id)
    versions = _versions(callers["collector"], project_id)
    assert [v["version"] for v in versions] == ["2", "1"]
    for entry in versions:
        assert entry["submissions"] == 2
        assert entry["reviewStates"] == {"received": 1, "hasIssues": 1, "edited": 0}
        assert entry["lastSubmission"] == created["uuid:v2-ak-sai"]


@pytest.mark.parametrize("caller", ["manager", "collector"])
def test_each_entry_equals_the_extended_read_of_that_version(
    callers: dict[str, Api], project_id: int, caller: str
) -> None:
    api = callers[caller]
    for entry in _versions(api, project_id):
        single = api.get(forms_url(project_id, f"/simple/versions/{entry['version']}"),
                         headers=EXTENDED)
        assert single.status_code == 200, single.text
        # The list adds who published each version (ODK Central's extended version).
        assert {k: v for k, v in entry.items() if k != "publishedBy"} == single.json()
    form = api.get(forms_url(project_id, "/simple"), headers=EXTENDED).json()
    stats = ("submissions", "reviewStates", "lastSubmission")
    assert {k: form[k] for k in stats} == {k: _versions(api, project_id)[0][k] for k in stats}


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_scope_and_stats_are_read_once_however_many_versions(
    callers: dict[str, Api], project_id: int, engine: Engine
) -> None:
    collector = callers["collector"]
    with _statements(engine) as two_versions:
        assert len(_versions(collector, project_id)) == 2
    _publish_version(callers["manager"], project_id, "3")
    with _statements(engine) as three_versions:
        assert len(_versions(collector, project_id)) == 3
    assert len(three_versions) == len(two_versions), "\n".join(three_versions)
