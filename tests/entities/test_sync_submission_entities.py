"""A form submission pushed as JSON through the sync API creates its entity, as OpenRosa does."""

from __future__ import annotations

import uuid

from tests.entities.conftest import Lists
from tests.entities.forms import CREATE_MD, publish


def test_a_json_pushed_submission_of_an_entity_form_creates_the_entity(lists: Lists) -> None:
    publish(lists.client, lists.manager, lists.project_id, CREATE_MD)
    entity_id = str(uuid.uuid4())
    op = {
        "op_id": str(uuid.uuid4()),
        "client_seq": 1,
        "type": "submission",
        "form_id": "create_act",
        "record_id": f"uuid:{uuid.uuid4()}",
        "base_version": None,
        "hlc": "1764450000000-00001-laptop-1",
        "deleted": False,
        "attachments": [],
        "fields": {
            "/data/title": "Women's council on water",
            "/data/status": "planned",
            "/data/progress": "0",
            "/data/ayil_aimak": "kara-bulak",
            "/data/meta/entity/@dataset": "acts",
            "/data/meta/entity/@id": entity_id,
            "/data/meta/entity/@create": "1",
            "/data/meta/entity/label": "Women's council on water",
        },
    }
    pushed = lists.client.post(
        f"/v1/projects/{lists.project_id}/sync/push",
        headers=lists.manager,
        json={"device_id": "laptop-1", "ops": [op]},
    )
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["results"][0]["status"] == "applied"
    entity = lists.get("acts", entity_id)
    assert entity["currentVersion"]["label"] == "Women's council on water"
    assert entity["currentVersion"]["data"]["status"] == "planned"
