"""ODK Collect's OpenRosa exchanges replayed over real HTTP, rule by rule, as ODK Central answers."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from tests.live import serve_in_thread
from tests.odk.conftest import OPENROSA, Setup, error_message, instance_xml

# ODK Collect sends its Date header in the phone's locale; servers must not care.
COLLECT_HEADERS = {
    **OPENROSA,
    "Date": "So., 29 Nov. 2026 10:15:00 GMT+06:00",
    "User-Agent": "org.odk.collect.android/v2024.2.1",
}


@pytest.fixture
def phone(app: Any, odk: Setup) -> Iterator[httpx.Client]:
    with serve_in_thread(app) as base_url:
        app.state.settings.public_url = base_url  # download URLs must point at the live server
        prefix = f"{base_url}/v1/key/{odk.key}/projects/{odk.project_id}"
        with httpx.Client(base_url=prefix, headers=COLLECT_HEADERS, timeout=30) as client:
            yield client


def submit(
    phone: httpx.Client, xml: bytes, files: dict[str, bytes] | None = None, **params: str
) -> httpx.Response:
    parts: list[tuple[str, tuple[str, bytes, str]]] = [
        ("xml_submission_file", ("submission.xml", xml, "text/xml"))
    ]
    for name, content in (files or {}).items():
        parts.append((name, (name, content, "image/jpeg")))
    return phone.post("/submission", files=parts, params=params)


def assert_openrosa_headers(response: httpx.Response) -> None:
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert int(response.headers["X-OpenRosa-Accept-Content-Length"]) > 0
    assert response.headers["Date"].endswith("GMT")
    if response.status_code != 204:
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"


def attachments(client: Any, odk: Setup, instance_id: str) -> list[dict[str, Any]]:
    url = f"/v1/projects/{odk.project_id}/forms/open_day/submissions/{instance_id}/attachments"
    response = client.get(url, headers=odk.manager)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_form_list_shows_the_assigned_open_form_with_the_hash_of_the_bytes_served(
    phone: httpx.Client,
) -> None:
    response = phone.get("/formList")
    assert response.status_code == 200
    assert_openrosa_headers(response)
    ns = "{http://openrosa.org/xforms/xformsList}"
    forms = ElementTree.fromstring(response.content).findall(f"{ns}xform")
    assert [f.findtext(f"{ns}formID") for f in forms] == ["open_day"]
    download = httpx.get(forms[0].findtext(f"{ns}downloadUrl") or "")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/xml")
    assert forms[0].findtext(f"{ns}hash") == "md5:" + hashlib.md5(download.content).hexdigest()
    assert forms[0].findtext(f"{ns}version") == "1"
    assert phone.get("/formList", params={"formID": "other"}).text.count("<xform>") == 0


MEDIA_FORM_MD = b"""
| survey |  |  |  |  |
| | type | name | label | image |
| | text | village | Village | map.png |
| settings | | | | |
| | form_id | version | | |
| | with_map | 1 | | |
"""
MAP_PNG = b"\x89PNG\r\n\x1a\n" + b"map pixels" * 50


def test_a_form_with_media_has_a_manifest_listing_each_file_with_its_md5_and_url(
    phone: httpx.Client, client: Any, odk: Setup
) -> None:
    base = f"/v1/projects/{odk.project_id}/forms"
    draft = client.post(base, params={"ignoreWarnings": "true"}, content=MEDIA_FORM_MD,
                        headers={**odk.manager, "Content-Type": "text/markdown"})
    assert draft.status_code == 200, draft.text
    uploaded = client.post(f"{base}/with_map/draft/attachments/map.png", content=MAP_PNG,
                           headers={**odk.manager, "Content-Type": "image/png"})
    assert uploaded.status_code == 200, uploaded.text
    assert client.post(f"{base}/with_map/draft/publish", headers=odk.manager).status_code == 200
    assigned = client.post(f"{base}/with_map/assignments/app-user/{odk.app_user_id}",
                           headers=odk.manager)
    assert assigned.status_code == 200, assigned.text
    ns = "{http://openrosa.org/xforms/xformsList}"
    listed = {
        f.findtext(f"{ns}formID"): f
        for f in ElementTree.fromstring(phone.get("/formList").content).findall(f"{ns}xform")
    }
    assert listed["open_day"].find(f"{ns}manifestUrl") is None  # no media, no manifest
    manifest_url = listed["with_map"].findtext(f"{ns}manifestUrl") or ""
    assert manifest_url == str(phone.base_url.join("forms/with_map/manifest"))
    manifest = phone.get(manifest_url)
    assert manifest.status_code == 200
    assert_openrosa_headers(manifest)
    mf = "{http://openrosa.org/xforms/xformsManifest}"
    [media] = ElementTree.fromstring(manifest.content).findall(f"{mf}mediaFile")
    assert media.findtext(f"{mf}filename") == "map.png"
    assert media.findtext(f"{mf}hash") == f"md5:{hashlib.md5(MAP_PNG).hexdigest()}"
    download = httpx.get(media.findtext(f"{mf}downloadUrl") or "")
    assert download.status_code == 200 and download.content == MAP_PNG


def test_without_the_openrosa_version_header_the_answer_is_400_in_xml(phone: httpx.Client) -> None:
    response = phone.get("/formList", headers={"X-OpenRosa-Version": ""})
    assert response.status_code == 400
    assert "X-OpenRosa-Version" in error_message(response)


def test_the_manifest_and_the_submission_also_need_the_openrosa_version_header(
    phone: httpx.Client, client: Any, odk: Setup
) -> None:
    manifest = phone.get("/forms/open_day/manifest", headers={"X-OpenRosa-Version": ""})
    assert manifest.status_code == 400
    assert "X-OpenRosa-Version" in error_message(manifest)
    instance_id = f"uuid:{uuid.uuid4()}"
    parts = {"xml_submission_file": ("s.xml", instance_xml(instance_id=instance_id), "text/xml")}
    sent = phone.post("/submission", files=parts, headers={"X-OpenRosa-Version": ""})
    assert sent.status_code == 400
    assert "X-OpenRosa-Version" in error_message(sent)
    url = f"/v1/projects/{odk.project_id}/forms/open_day/submissions/{instance_id}"
    assert client.get(url, headers=odk.manager).status_code == 404  # nothing was stored


def test_authentication_errors_come_in_the_openrosa_envelope(app: Any, odk: Setup) -> None:
    with serve_in_thread(app) as base:
        no_credentials = httpx.get(
            f"{base}/v1/projects/{odk.project_id}/formList", headers=OPENROSA
        )
        unknown_key = httpx.get(
            f"{base}/v1/key/{'A' * 64}/projects/{odk.project_id}/formList", headers=OPENROSA
        )
        malformed_key = httpx.get(
            f"{base}/v1/key/short/projects/{odk.project_id}/formList", headers=OPENROSA
        )
    assert no_credentials.status_code == 401
    assert unknown_key.status_code == 403
    assert malformed_key.status_code == 401
    for response in (no_credentials, unknown_key, malformed_key):
        assert error_message(response)
        assert_openrosa_headers(response)


def test_head_and_get_submission_answer_204(phone: httpx.Client) -> None:
    for method in ("HEAD", "GET"):
        response = phone.request(method, "/submission")
        assert response.status_code == 204
        assert_openrosa_headers(response)


def test_a_new_instance_is_created_with_201_and_the_success_message(
    phone: httpx.Client, client: Any, odk: Setup
) -> None:
    instance_id = f"uuid:{uuid.uuid4()}"
    response = submit(phone, instance_xml(instance_id=instance_id), deviceID="collect:abc123")
    assert response.status_code == 201
    assert_openrosa_headers(response)
    assert "full submission upload was successful!" in response.text
    got = client.get(
        f"/v1/projects/{odk.project_id}/forms/open_day/submissions/{instance_id}",
        headers=odk.manager,
    )
    assert got.json()["deviceId"] == "collect:abc123"
    assert got.json()["reviewState"] is None
    assert got.json()["userAgent"].startswith("org.odk.collect")


def test_an_identical_resend_fills_the_attachment_that_had_not_arrived(
    phone: httpx.Client, client: Any, odk: Setup
) -> None:
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml(instance_id=instance_id, photo="p1.jpg")
    assert submit(phone, xml).status_code == 201
    assert attachments(client, odk, instance_id) == [{"name": "p1.jpg", "exists": False}]
    assert submit(phone, xml, {"p1.jpg": b"\xff\xd8 photo bytes"}).status_code == 201
    assert attachments(client, odk, instance_id) == [{"name": "p1.jpg", "exists": True}]
    url = (
        f"/v1/projects/{odk.project_id}/forms/open_day/submissions/{instance_id}/attachments/p1.jpg"
    )
    download = client.get(url, headers=odk.manager)
    assert download.content == b"\xff\xd8 photo bytes"
    assert "filename*=UTF-8''p1.jpg" in download.headers["content-disposition"]
    assert (
        client.get(
            url, headers={**odk.manager, "If-None-Match": download.headers["etag"]}
        ).status_code
        == 304
    )


def test_the_same_instance_id_with_different_xml_is_409(phone: httpx.Client) -> None:
    instance_id = f"uuid:{uuid.uuid4()}"
    assert submit(phone, instance_xml(instance_id=instance_id)).status_code == 201
    response = submit(phone, instance_xml(instance_id=instance_id, women=13))
    assert response.status_code == 409
    assert error_message(response)


def test_an_edit_makes_a_new_version_marked_edited_and_keeps_the_photo(
    phone: httpx.Client, client: Any, odk: Setup
) -> None:
    first = f"uuid:{uuid.uuid4()}"
    assert (
        submit(
            phone, instance_xml(instance_id=first, photo="p.jpg"), {"p.jpg": b"jpeg"}
        ).status_code
        == 201
    )
    second = f"uuid:{uuid.uuid4()}"
    edit = instance_xml(instance_id=second, deprecated_id=first, photo="p.jpg", women=20)
    assert submit(phone, edit).status_code == 201
    base = f"/v1/projects/{odk.project_id}/forms/open_day/submissions/{first}"
    record = client.get(base, headers=odk.manager).json()
    assert record["reviewState"] == "edited"
    assert record["currentVersion"]["instanceId"] == second
    assert attachments(client, odk, first) == [{"name": "p.jpg", "exists": True}]
    versions = client.get(base + "/versions", headers=odk.manager).json()
    assert [v["instanceId"] for v in versions] == [second, first]
    assert client.get(base + ".xml", headers=odk.manager).content == edit


def test_edit_rules_unknown_outdated_and_reused_ids(phone: httpx.Client) -> None:
    first, second = f"uuid:{uuid.uuid4()}", f"uuid:{uuid.uuid4()}"
    assert submit(phone, instance_xml(instance_id=first)).status_code == 201
    unknown = submit(
        phone, instance_xml(instance_id=f"uuid:{uuid.uuid4()}", deprecated_id="uuid:nope")
    )
    assert unknown.status_code == 404
    assert (
        submit(phone, instance_xml(instance_id=second, deprecated_id=first, women=1)).status_code
        == 201
    )
    outdated = submit(
        phone, instance_xml(instance_id=f"uuid:{uuid.uuid4()}", deprecated_id=first, women=2)
    )
    assert outdated.status_code == 409
    reused = submit(phone, instance_xml(instance_id=second, women=3))
    assert reused.status_code == 409


def test_an_edit_sent_again_fills_its_files_and_makes_no_new_version(
    phone: httpx.Client, client: Any, odk: Setup
) -> None:
    # Collect sends a large edit in several POSTs, and resends one whose answer it lost: the
    # same new instanceID and deprecatedID with byte-identical XML is 201, as in Central.
    first, second = f"uuid:{uuid.uuid4()}", f"uuid:{uuid.uuid4()}"
    assert submit(phone, instance_xml(instance_id=first)).status_code == 201
    edit = instance_xml(instance_id=second, deprecated_id=first, photo="p2.jpg", women=20)
    assert submit(phone, edit).status_code == 201
    assert attachments(client, odk, first) == [{"name": "p2.jpg", "exists": False}]
    again = submit(phone, edit, {"p2.jpg": b"\xff\xd8 edited photo"})
    assert again.status_code == 201
    assert "full submission upload was successful!" in again.text
    assert attachments(client, odk, first) == [{"name": "p2.jpg", "exists": True}]
    base = f"/v1/projects/{odk.project_id}/forms/open_day/submissions/{first}"
    versions = client.get(base + "/versions", headers=odk.manager).json()
    assert [v["instanceId"] for v in versions] == [second, first]
    photo = client.get(base + "/attachments/p2.jpg", headers=odk.manager)
    assert photo.content == b"\xff\xd8 edited photo"
    changed = instance_xml(instance_id=second, deprecated_id=first, photo="p2.jpg", women=21)
    conflict = submit(phone, changed)
    assert conflict.status_code == 409
    assert error_message(conflict)


def test_a_deleted_submission_sent_again_is_409(
    phone: httpx.Client, client: Any, odk: Setup
) -> None:
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml(instance_id=instance_id)
    assert submit(phone, xml).status_code == 201
    url = f"/v1/projects/{odk.project_id}/forms/open_day/submissions/{instance_id}"
    assert client.delete(url, headers=odk.manager).json() == {"success": True}
    assert submit(phone, xml).status_code == 409


@pytest.mark.parametrize(
    ("xml", "status"),
    [
        (
            b'<data id="no_such_form" version="1"><meta><instanceID>uuid:x1</instanceID></meta></data>',
            404,
        ),
        (b'<data version="1"><meta><instanceID>uuid:x2</instanceID></meta></data>', 400),
        (b'<data id="open_day"><meta><instanceID>uuid:x3</instanceID></meta></data>', 404),
        (
            b'<data id="open_day" version="99"><meta><instanceID>uuid:x4</instanceID></meta></data>',
            404,
        ),
        (b"<data id='open_day' version='1'><unclosed>", 400),
    ],
    ids=["unknown form", "no id attribute", "no version attribute", "unknown version", "not xml"],
)
def test_unattributable_submissions_are_refused(
    phone: httpx.Client, xml: bytes, status: int
) -> None:
    response = submit(phone, xml)
    assert response.status_code == status
    assert error_message(response)


def test_a_closed_form_refuses_and_a_closing_form_accepts_but_is_not_listed(
    phone: httpx.Client, client: Any, odk: Setup
) -> None:
    form_url = f"/v1/projects/{odk.project_id}/forms/open_day"
    assert client.patch(form_url, json={"state": "closing"}, headers=odk.manager).status_code == 200
    assert "<xform>" not in phone.get("/formList").text
    assert submit(phone, instance_xml()).status_code == 201
    assert client.patch(form_url, json={"state": "closed"}, headers=odk.manager).status_code == 200
    assert submit(phone, instance_xml()).status_code == 409


def test_multipart_without_the_submission_file_or_malformed_is_400(phone: httpx.Client) -> None:
    missing = phone.post("/submission", files={"other": ("a.txt", b"x", "text/plain")})
    assert missing.status_code == 400
    assert "xml_submission_file" in error_message(missing)
    malformed = phone.post(
        "/submission",
        content=b"--nope\r\ngarbage",
        headers={"Content-Type": "multipart/form-data; boundary=zzz"},
    )
    assert malformed.status_code == 400
    assert error_message(malformed)


def test_files_the_xml_does_not_reference_are_ignored(
    phone: httpx.Client, client: Any, odk: Setup
) -> None:
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml(instance_id=instance_id, photo="p.jpg")
    assert submit(phone, xml, {"stray.jpg": b"stray"}).status_code == 201
    assert attachments(client, odk, instance_id) == [{"name": "p.jpg", "exists": False}]
