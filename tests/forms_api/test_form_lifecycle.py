"""Upload, drafts, publish, versions and states through ODK Central's form routes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from xml.etree import ElementTree

from tests.forms_api.conftest import XLSX, Api, forms_url, xlsform, xlsx_form

OPENROSA = {"X-OpenRosa-Version": "1.0"}
LIST_NS = "{http://openrosa.org/xforms/xformsList}"

PYODK_FORM_KEYS = {
    "projectId", "xmlFormId", "name", "version", "enketoId", "hash", "keyId", "state",
    "createdAt", "updatedAt", "publishedAt",
}


def test_an_uploaded_xlsform_becomes_a_draft_with_every_key_pyodk_reads(
    admin: Api, project_id: int
) -> None:
    response = admin.upload(project_id, xlsform("simple", "1"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert PYODK_FORM_KEYS <= set(body)
    assert body["xmlFormId"] == "simple"
    assert body["version"] == "1"
    assert body["name"] == "Simple"
    assert body["state"] == "open"
    assert body["publishedAt"] is None
    assert body["draftToken"]
    assert body["enketoId"] is None and body["keyId"] is None
    shown = admin.get(forms_url(project_id, "/simple")).json()
    assert shown["publishedAt"] is None and shown["hash"] == body["hash"]


def test_publish_true_publishes_at_once_and_the_xml_download_matches_the_hash(
    admin: Api, project_id: int
) -> None:
    body = admin.upload(project_id, xlsform("simple", "1"), publish=True).json()
    assert body["publishedAt"] is not None
    assert body["draftToken"] is None
    xml = admin.get(forms_url(project_id, "/simple.xml"))
    assert xml.status_code == 200
    assert xml.headers["content-type"].startswith("application/xml")
    assert hashlib.md5(xml.content).hexdigest() == body["hash"]
    assert hashlib.sha256(xml.content).hexdigest() == body["sha256"]
    assert b'version="1"' in xml.content


def test_publishing_a_new_draft_needs_a_version_string_not_published_before(
    admin: Api, project_id: int
) -> None:
    admin.upload(project_id, xlsform("simple", "1"), publish=True)
    draft = admin.post(forms_url(project_id, "/simple/draft"), xlsform("simple", "1"),
                       "text/markdown")
    assert draft.json() == {"success": True}
    refused = admin.post(forms_url(project_id, "/simple/draft/publish"))
    assert refused.status_code == 409
    assert refused.json()["code"] == "form.version_unchanged"
    admin.post(forms_url(project_id, "/simple/draft"), xlsform("simple", "2"), "text/markdown")
    published = admin.post(forms_url(project_id, "/simple/draft/publish"))
    assert published.json() == {"success": True}
    assert admin.get(forms_url(project_id, "/simple")).json()["version"] == "2"


def test_publish_with_a_version_rewrites_the_stored_xform_and_the_hash_follows(
    admin: Api, project_id: int
) -> None:
    admin.upload(project_id, xlsform("simple", "1"), publish=True)
    admin.post(forms_url(project_id, "/simple/draft"))
    response = admin.post(forms_url(project_id, "/simple/draft/publish"),
                          params={"version": "2024-06-01"})
    assert response.status_code == 200, response.text
    form = admin.get(forms_url(project_id, "/simple")).json()
    xml = admin.get(forms_url(project_id, "/simple.xml")).content
    assert form["version"] == "2024-06-01"
    assert b'version="2024-06-01"' in xml
    assert hashlib.md5(xml).hexdigest() == form["hash"]
    old = admin.get(forms_url(project_id, "/simple/versions/1.xml")).content
    assert b'version="1"' in old and old != xml


def test_formlist_lists_the_rewritten_version_with_the_md5_of_the_bytes_it_serves(
    admin: Api, project_id: int, app_user: Callable[..., Api]
) -> None:
    first = admin.upload(project_id, xlsform("simple", "1"), publish=True).json()
    admin.post(forms_url(project_id, "/simple/draft"))
    admin.post(forms_url(project_id, "/simple/draft/publish"), params={"version": "2024-06-01"})
    phone = app_user("simple")
    listing = phone.get(f"/v1/projects/{project_id}/formList", headers=OPENROSA)
    assert listing.status_code == 200, listing.text
    [entry] = ElementTree.fromstring(listing.content).findall(f"{LIST_NS}xform")
    assert entry.findtext(f"{LIST_NS}formID") == "simple"
    assert entry.findtext(f"{LIST_NS}version") == "2024-06-01"
    url = (entry.findtext(f"{LIST_NS}downloadUrl") or "").removeprefix("http://testserver")
    served = phone.get(url)
    assert served.status_code == 200 and b'version="2024-06-01"' in served.content
    listed_hash = entry.findtext(f"{LIST_NS}hash")
    assert listed_hash == "md5:" + hashlib.md5(served.content).hexdigest()
    assert listed_hash != "md5:" + first["hash"]


def test_every_published_version_is_kept_with_its_xform_and_original_workbook(
    admin: Api, project_id: int
) -> None:
    first = admin.upload(project_id, xlsform("simple", "1"), publish=True).json()
    admin.post(forms_url(project_id, "/simple/draft"), xlsform("simple", "2", title="Second"),
               "text/markdown")
    admin.post(forms_url(project_id, "/simple/draft/publish"))
    versions = admin.get(forms_url(project_id, "/simple/versions")).json()
    assert [v["version"] for v in versions] == ["2", "1"]
    assert all(v["publishedAt"] for v in versions)
    one = admin.get(forms_url(project_id, "/simple/versions/1")).json()
    assert one["hash"] == first["hash"] and one["name"] == "Simple"
    assert admin.get(forms_url(project_id, "/simple/versions/3")).status_code == 404


def test_an_xlsx_upload_can_be_downloaded_again_and_an_xml_upload_has_no_xlsx(
    admin: Api, project_id: int
) -> None:
    content = xlsx_form("villages", "7")
    assert admin.upload(project_id, content, content_type=XLSX, publish=True).status_code == 200
    download = admin.get(forms_url(project_id, "/villages.xlsx"))
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == XLSX
    assert "villages.xlsx" in download.headers["content-disposition"]
    assert admin.get(forms_url(project_id, "/villages.xls")).status_code == 404

    xml = admin.get(forms_url(project_id, "/villages.xml")).content.replace(b"villages", b"raw")
    assert admin.upload(project_id, xml, content_type="application/xml").status_code == 200
    assert admin.get(forms_url(project_id, "/raw.xml")).content == xml
    assert admin.get(forms_url(project_id, "/raw.xlsx")).status_code == 404


def test_a_second_form_with_the_same_id_is_a_conflict(admin: Api, project_id: int) -> None:
    admin.upload(project_id, xlsform("simple", "1"))
    again = admin.upload(project_id, xlsform("simple", "2"))
    assert again.status_code == 409
    assert again.json()["code"] == "form.exists"


def test_a_draft_for_another_form_id_is_refused(admin: Api, project_id: int) -> None:
    admin.upload(project_id, xlsform("simple", "1"), publish=True)
    response = admin.post(forms_url(project_id, "/simple/draft"), xlsform("other", "2"),
                          "text/markdown")
    assert response.status_code == 400
    assert response.json()["code"] == "form.id_mismatch"


def test_the_fallback_header_names_a_workbook_without_form_id(
    admin: Api, project_id: int
) -> None:
    body = b"""
| survey |  |  |  |
| | type | name | label |
| | text | village | Village |
"""
    response = admin.upload(project_id, body, headers={"X-XlsForm-FormId-Fallback": "my%20form"})
    assert response.status_code == 200, response.text
    assert response.json()["xmlFormId"] == "my form"
    assert admin.get(forms_url(project_id, "/my%20form")).status_code == 200


def test_states_open_closing_closed_and_nothing_else(admin: Api, project_id: int) -> None:
    admin.upload(project_id, xlsform("simple", "1"), publish=True)
    for state in ("closing", "closed", "open"):
        response = admin.patch(forms_url(project_id, "/simple"), json={"state": state})
        assert response.status_code == 200
        assert response.json()["state"] == state
    bad = admin.patch(forms_url(project_id, "/simple"), json={"state": "archived"})
    assert bad.status_code == 400
    assert admin.get(forms_url(project_id, "/simple")).json()["state"] == "open"


def test_a_deleted_form_disappears_and_its_id_can_be_reused_after_a_warning(
    admin: Api, project_id: int
) -> None:
    admin.upload(project_id, xlsform("simple", "1"), publish=True)
    assert admin.delete(forms_url(project_id, "/simple")).json() == {"success": True}
    assert admin.get(forms_url(project_id, "/simple")).status_code == 404
    assert admin.get(forms_url(project_id)).json() == []
    warned = admin.upload(project_id, xlsform("simple", "1"))
    assert warned.status_code == 400
    assert warned.json()["warnings"]["workflowWarnings"][0]["type"] == "deletedFormExists"
    assert admin.upload(project_id, xlsform("simple", "1"), ignore_warnings=True).status_code == 200


def test_a_draft_can_be_deleted_only_when_a_published_version_remains(
    admin: Api, project_id: int
) -> None:
    admin.upload(project_id, xlsform("simple", "1"))
    never_published = admin.delete(forms_url(project_id, "/simple/draft"))
    assert never_published.status_code == 409
    admin.post(forms_url(project_id, "/simple/draft/publish"))
    assert admin.delete(forms_url(project_id, "/simple/draft")).status_code == 404
    admin.post(forms_url(project_id, "/simple/draft"))
    assert admin.get(forms_url(project_id, "/simple/draft")).status_code == 200
    assert admin.delete(forms_url(project_id, "/simple/draft")).json() == {"success": True}
    assert admin.get(forms_url(project_id, "/simple/draft")).status_code == 404


def test_an_empty_draft_without_a_published_version_is_a_400(admin: Api, project_id: int) -> None:
    admin.upload(project_id, xlsform("simple", "1"))
    assert admin.post(forms_url(project_id, "/simple/draft")).status_code == 400
