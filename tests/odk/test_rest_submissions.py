"""Submissions over ODK Central's REST API, as pyodk and scripts use it: create and review."""

from __future__ import annotations

import uuid
from typing import Any

from tests.odk.conftest import Setup, instance_xml


def test_the_same_xml_posted_twice_is_200_then_409(client: Any, odk: Setup) -> None:
    url = f"/v1/projects/{odk.project_id}/forms/open_day/submissions"
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml(instance_id=instance_id)
    first = client.post(url, content=xml, headers=odk.manager)
    assert first.status_code == 200, first.text
    assert first.json()["instanceId"] == instance_id
    assert first.json()["reviewState"] is None
    again = client.post(url, content=xml, headers=odk.manager)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "submission.exists"
    assert len(client.get(url, headers=odk.manager).json()) == 1


def test_a_null_review_state_puts_a_submission_back_to_received(client: Any, odk: Setup) -> None:
    base = f"/v1/projects/{odk.project_id}/forms/open_day/submissions"
    instance_id = f"uuid:{uuid.uuid4()}"
    assert client.post(base, content=instance_xml(instance_id=instance_id),
                       headers=odk.manager).status_code == 200
    url = f"{base}/{instance_id}"
    approved = client.patch(url, json={"reviewState": "approved"}, headers=odk.manager)
    assert approved.status_code == 200 and approved.json()["reviewState"] == "approved"
    received = client.patch(url, json={"reviewState": None}, headers=odk.manager)
    assert received.status_code == 200, received.text
    assert received.json()["reviewState"] is None
    assert client.get(url, headers=odk.manager).json()["reviewState"] is None
