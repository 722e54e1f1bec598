"""Deleted entities stay restorable until `kenesh purge` removes them for good."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from server.models.base import utcnow
from server.services.trash import purge_trash
from tests.entities.conftest import Lists

OLD = "1a2b3c4d-0000-4000-8000-000000000001"
RECENT = "1a2b3c4d-0000-4000-8000-000000000002"
KEPT = "1a2b3c4d-0000-4000-8000-000000000003"


def test_purge_removes_entities_deleted_before_the_cutoff_and_keeps_the_rest(
    lists: Lists, engine: Any
) -> None:
    lists.create_list("acts", ("status",))
    for uuid, label in ((OLD, "Old"), (RECENT, "Recent"), (KEPT, "Kept")):
        lists.create_entity("acts", uuid, label, status="planned")
    feed = f"/v1/projects/{lists.project_id}/sync/pull"
    old_cursor = lists.client.get(feed, headers=lists.manager).json()["cursor"]
    for uuid in (OLD, RECENT):
        deleted = lists.client.delete(lists.url(f"/acts/entities/{uuid}"), headers=lists.manager)
        assert deleted.status_code == 200, deleted.text
    cutoff = utcnow() + timedelta(seconds=1)
    with engine.begin() as conn:  # RECENT went to the trash after the cutoff
        conn.execute(text("UPDATE entities SET deleted_at = :t WHERE uuid = :u"),
                     {"t": cutoff + timedelta(days=1), "u": RECENT})

    with Session(engine) as session:
        report = purge_trash(session, cutoff)
        session.commit()

    assert (report.submissions, report.entities) == (0, 1)
    trash = lists.client.get(lists.url("/acts/entities"), params={"deleted": "true"},
                             headers=lists.manager).json()
    assert [e["uuid"] for e in trash] == [RECENT]
    gone = lists.client.post(lists.url(f"/acts/entities/{OLD}/restore"), headers=lists.manager)
    assert gone.status_code == 404
    assert lists.get("acts", KEPT)["currentVersion"]["label"] == "Kept"
    with engine.connect() as conn:
        versions = conn.execute(text(
            "SELECT count(*) FROM entity_defs d JOIN entities e ON e.id = d.entity_id"
            " WHERE e.uuid = :u"), {"u": OLD}).scalar()
    assert versions == 0
    stale = lists.client.get(feed, params={"cursor": old_cursor}, headers=lists.manager)
    assert stale.status_code == 410
