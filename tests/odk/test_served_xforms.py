"""The XForms Kenesh serves, read without pyxform: well-formed, and hashed as formList says."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from tests.factories import headers_for, make_app_user, make_project, make_user
from tests.odk.conftest import OPENROSA

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "forms" / "examples").glob("*.xlsx"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST_NS = "{http://openrosa.org/xforms/xformsList}"
XFORMS_NS = "{http://www.w3.org/2002/xforms}"


def test_every_example_form_is_served_well_formed_with_the_hash_formlist_gives(
    client: Any, app: Any, engine: Any
) -> None:
    project = make_project(engine)
    manager = headers_for(app, make_user(engine, "m@example.org", role="manager", project=project))
    form_ids = []
    for path in EXAMPLES:
        response = client.post(
            f"/v1/projects/{project}/forms",
            content=path.read_bytes(),
            params={"publish": "true", "ignoreWarnings": "true"},
            headers={**manager, "Content-Type": XLSX},
        )
        assert response.status_code == 200, response.text
        form_ids.append(response.json()["xmlFormId"])
    _, key = make_app_user(engine, project, forms=tuple(form_ids))
    listing = client.get(f"/v1/key/{key}/projects/{project}/formList", headers=OPENROSA)
    entries = ElementTree.fromstring(listing.content).findall(f"{LIST_NS}xform")
    assert sorted(e.findtext(f"{LIST_NS}formID") for e in entries) == sorted(form_ids)
    for entry in entries:
        url = (entry.findtext(f"{LIST_NS}downloadUrl") or "").removeprefix("http://testserver")
        served = client.get(url)
        assert served.status_code == 200
        assert entry.findtext(f"{LIST_NS}hash") == "md5:" + hashlib.md5(served.content).hexdigest()
        root = ElementTree.fromstring(served.content)  # well-formed, or this raises
        instance = root.find(f".//{XFORMS_NS}model/{XFORMS_NS}instance")
        assert instance is not None and len(instance) == 1
        primary = instance[0]
        assert primary.get("id") == entry.findtext(f"{LIST_NS}formID")
        assert primary.get("version") == entry.findtext(f"{LIST_NS}version")
        assert primary.find(f".//{XFORMS_NS}instanceID") is not None
