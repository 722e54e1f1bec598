"""GET …/forms/{id}/versions with X-Extended-Metadata: true names who published each version
(publishedBy, ODK Central's Actor) and the content type of its XLSForm (excelContentType, null
for an XForm), as ODK Central does (its test/integration/api/forms/versions.js)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.forms_api.conftest import ACTOR_KEYS, MARKDOWN, XLSX, Api, forms_url, xlsform, xlsx_form

EXTENDED = {"X-Extended-Metadata": "true"}
def _actor(api: Api) -> dict[str, Any]:
    user = api.get("/v1/users/current").json()
    return {key: user[key] for key in ACTOR_KEYS}


def _publish_draft(api: Api, project_id: int, body: bytes, content_type: str) -> None:
    draft = api.post(forms_url(project_id, "/simple/draft"), body, content_type)
    assert draft.status_code == 200, draft.text
    published = api.post(forms_url(project_id, "/simple/draft/publish"))
    assert published.status_code == 200, published.text


def _versions(api: Api, project_id: int) -> list[dict[str, Any]]:
    response = api.get(forms_url(project_id, "/simple/versions"), headers=EXTENDED)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_each_version_names_its_own_publisher_and_excel_content_type(
    sign_in_as: Callable[..., Api], project_id: int
) -> None:
    alice, bob = sign_in_as("manager"), sign_in_as("manager")
    # 1: an .xlsx published at creation by Alice; 2: markdown published by Bob from a draft;
    # 3: an XForm (version 2's XML, renumbered) published by Alice from a draft.
    created = alice.upload(project_id, xlsx_form("simple", "1"), content_type=XLSX,
                           publish=True)
    assert created.status_code == 200, created.text
    _publish_draft(bob, project_id, xlsform("simple", "2"), MARKDOWN)
    xml = alice.get(forms_url(project_id, "/simple.xml")).content
    assert b'version="2"' in xml
    _publish_draft(alice, project_id, xml.replace(b'version="2"', b'version="3"'),
                   "application/xml")

    versions = _versions(alice, project_id)
    assert [v["version"] for v in versions] == ["3", "2", "1"]
    assert [v["publishedBy"] for v in versions] == [_actor(alice), _actor(bob), _actor(alice)]
    assert [v["excelContentType"] for v in versions] == [None, MARKDOWN, XLSX]
    # Additive: the keys the list gave before are still there.
    for key in ("xmlFormId", "publishedAt", "submissions", "reviewStates", "createdBy"):
        assert all(key in v for v in versions)
    # Without the header, neither key is given (ODK Central's plain Form).
    plain = alice.get(forms_url(project_id, "/simple/versions")).json()
    assert all("publishedBy" not in v and "excelContentType" not in v for v in plain)


def test_a_deleted_form_with_the_same_id_lends_it_no_publisher(
    sign_in_as: Callable[..., Api], project_id: int
) -> None:
    alice, bob = sign_in_as("manager"), sign_in_as("manager")
    assert alice.upload(project_id, xlsform("simple", "1"), publish=True).status_code == 200
    assert alice.delete(forms_url(project_id, "/simple")).status_code == 200
    again = bob.upload(project_id, xlsform("simple", "1"), publish=True, ignore_warnings=True)
    assert again.status_code == 200, again.text
    _publish_draft(alice, project_id, xlsform("simple", "2"), MARKDOWN)

    versions = _versions(bob, project_id)
    assert [v["version"] for v in versions] == ["2", "1"]
    assert [v["publishedBy"] for v in versions] == [_actor(alice), _actor(bob)]
