"""Turning approvalRequired off while submissions wait for approval, as ODK Central does it.

PATCH …/datasets/{name} with approvalRequired false needs `convert` then: true creates the
waiting submissions' entities now, false leaves them; without it the answer is 400 with how
many wait. Rejected submissions do not wait.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.entities.conftest import Lists
from tests.entities.forms import CREATE_MD, create_xml, publish, submit

FIRST = "1a1a1a1a-1111-4111-8111-111111111111"
SECOND = "2b2b2b2b-2222-4222-8222-222222222222"
REJECTED = "3c3c3c3c-3333-4333-8333-333333333333"
LATER = "4d4d4d4d-4444-4444-8444-444444444444"


def _send(lists: Lists, uuid: str, title: str) -> str:
    xml = create_xml(uuid, title)
    submit(lists.client, lists.manager, lists.project_id, xml)
    found = re.search(rb"<instanceID>([^<]+)</instanceID>", xml)
    assert found is not None
    return found.group(1).decode()


def _review(lists: Lists, instance_id: str, state: str) -> None:
    response = lists.client.patch(
        f"/v1/projects/{lists.project_id}/forms/create_act/submissions/{instance_id}",
        headers=lists.manager, json={"reviewState": state})
    assert response.status_code == 200, response.text


def _uuids(lists: Lists) -> list[str]:
    listed = lists.client.get(lists.url("/acts/entities"), headers=lists.manager).json()
    return sorted(e["uuid"] for e in listed)


def _turn_off(lists: Lists, **params: str) -> Any:
    return lists.client.patch(lists.url("/acts"), headers=lists.manager, params=params,
                              json={"approvalRequired": False})


def _statuses(lists: Lists, instance_id: str) -> list[str]:
    rows = lists.client.get(
        f"/v1/projects/{lists.project_id}/forms/create_act/submissions/{instance_id}/entities",
        headers=lists.manager).json()
    return [row["status"] for row in rows]


@pytest.fixture
def waiting(lists: Lists) -> dict[str, str]:
    """Two submissions wait for approval; a third was rejected."""
    lists.create_list("acts", approval_required=True)
    publish(lists.client, lists.manager, lists.project_id, CREATE_MD)
    ids = {uuid: _send(lists, uuid, title) for uuid, title in
           ((FIRST, "Water committee"), (SECOND, "Youth forum"), (REJECTED, "Rejected one"))}
    _review(lists, ids[REJECTED], "rejected")
    assert _uuids(lists) == []
    return ids


def test_turning_approval_off_with_waiting_submissions_needs_convert(
        lists: Lists, waiting: dict[str, str]) -> None:
    refused = _turn_off(lists)
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "dataset.pending_submissions"
    assert body["details"] == {"count": 2}  # the rejected one does not wait
    assert body["detail"] == "There are 2 pending submissions"
    metadata = lists.client.get(lists.url("/acts"), headers=lists.manager).json()
    assert metadata["approvalRequired"] is True


def test_convert_true_creates_the_waiting_submissions_entities_now(
        lists: Lists, waiting: dict[str, str]) -> None:
    response = _turn_off(lists, convert="true")
    assert response.status_code == 200, response.text
    assert response.json()["approvalRequired"] is False
    assert _uuids(lists) == [FIRST, SECOND]
    assert lists.get("acts", FIRST)["currentVersion"]["label"] == "Water committee"
    assert _statuses(lists, waiting[FIRST]) == ["applied"]
    assert _statuses(lists, waiting[REJECTED]) == ["pending"]
    _review(lists, waiting[REJECTED], "approved")  # no longer creates: approval is off
    assert _uuids(lists) == [FIRST, SECOND]
    assert _turn_off(lists).status_code == 200  # nothing waits any more


def test_convert_false_leaves_the_waiting_submissions(
        lists: Lists, waiting: dict[str, str]) -> None:
    response = _turn_off(lists, convert="false")
    assert response.status_code == 200, response.text
    assert response.json()["approvalRequired"] is False
    assert _uuids(lists) == []
    _review(lists, waiting[FIRST], "approved")  # as Central: left means left
    assert _uuids(lists) == []
    _send(lists, LATER, "Clinic repair")  # new submissions create entities at once
    assert _uuids(lists) == [LATER]
    # The one still unreviewed waits: turning approval off again asks again, and
    # convert=true takes it (the approved one, as in Central, is no longer waiting).
    assert _turn_off(lists).json()["details"] == {"count": 1}
    assert _turn_off(lists, convert="true").status_code == 200
    assert _uuids(lists) == [SECOND, LATER]


def test_convert_must_be_true_or_false(lists: Lists, waiting: dict[str, str]) -> None:
    response = _turn_off(lists, convert="yes")
    assert response.status_code == 400
    assert response.json()["code"] == "request.invalid"
    assert _uuids(lists) == []


def test_without_waiting_submissions_approval_turns_off_without_convert(lists: Lists) -> None:
    lists.create_list("acts", approval_required=True)
    response = _turn_off(lists)
    assert response.status_code == 200, response.text
    assert response.json()["approvalRequired"] is False
    turned_on = lists.client.patch(lists.url("/acts"), headers=lists.manager,
                                   json={"approvalRequired": True})
    assert turned_on.json()["approvalRequired"] is True
