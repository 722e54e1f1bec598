"""A phone's submission on PostgreSQL: the policy gate's reads and the submission's own run on
one pooled connection, and every way the request ends gives it back."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event

from server.auth.deps import SHARES_GATE_READS
from server.routes.openrosa import DirectOpenRosaRoute
from tests.odk.conftest import OPENROSA, Setup, instance_xml


def _url(odk: Setup, key: str | None = None) -> str:
    return f"/v1/key/{key or odk.key}/projects/{odk.project_id}/submission"


def _files(instance_id: str) -> dict[str, Any]:
    return {"xml_submission_file": ("s.xml", instance_xml(instance_id=instance_id), "text/xml")}


def _checkouts(engine: Any, send: Any) -> int:
    taken: list[int] = []

    def count(*_args: Any) -> None:
        taken.append(1)

    event.listen(engine, "checkout", count)
    try:
        send()
    finally:
        event.remove(engine, "checkout", count)
    return len(taken)


def test_the_submission_route_asks_the_gate_to_share() -> None:
    assert getattr(DirectOpenRosaRoute, SHARES_GATE_READS) is True


def test_a_new_submission_takes_one_connection(client, engine, odk, backend) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite's gate reads in a transaction of its own")

    def send() -> None:
        answer = client.post(_url(odk), headers=OPENROSA, files=_files(f"uuid:{uuid.uuid4()}"))
        assert answer.status_code == 201, answer.text

    # The first may find the clock's row gone (another test empties it) and write it back in
    # a transaction of its own, as submission_at_once says.
    send()
    assert _checkouts(engine, send) == 1
    assert engine.pool.checkedout() == 0


def test_an_edit_after_the_gates_reads_is_stored_as_a_new_version(client, engine, odk) -> None:
    first = f"uuid:{uuid.uuid4()}"
    assert client.post(_url(odk), headers=OPENROSA, files=_files(first)).status_code == 201
    edit = instance_xml(instance_id=f"uuid:{uuid.uuid4()}", deprecated_id=first)
    answer = client.post(
        _url(odk), headers=OPENROSA,
        files={"xml_submission_file": ("s.xml", edit, "text/xml")},
    )
    assert answer.status_code == 201, answer.text
    versions = client.get(
        f"/v1/projects/{odk.project_id}/forms/{odk.form_id}/submissions/{first}/versions",
        headers=odk.manager,
    )
    assert versions.status_code == 200 and len(versions.json()) == 2


@pytest.mark.parametrize(
    ("headers", "key", "status"),
    [({}, None, 400), (OPENROSA, "A" * 64, 403)],
    ids=["refused after the gate", "refused by the gate"],
)
def test_a_refused_submission_gives_its_connection_back(
    client, engine, odk, headers, key, status
) -> None:
    answer = client.post(_url(odk, key), headers=headers, files=_files(f"uuid:{uuid.uuid4()}"))
    assert answer.status_code == status
    if hasattr(engine.pool, "checkedout"):
        assert engine.pool.checkedout() == 0
