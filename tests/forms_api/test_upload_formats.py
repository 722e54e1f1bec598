""".xls, .csv and .md XLSForms upload, publish and download again, from fixtures in the repository."""

from __future__ import annotations

import hashlib

import pytest

from tests.fixtures import XLSFORMS
from tests.forms_api.conftest import Api

CONTENT_TYPES = {".xls": "application/vnd.ms-excel", ".csv": "text/csv", ".md": "text/markdown"}


@pytest.mark.parametrize("suffix", sorted(CONTENT_TYPES))
def test_each_format_uploads_publishes_and_downloads_byte_for_byte(
    admin: Api, project_id: int, suffix: str
) -> None:
    content = (XLSFORMS / f"group{suffix}").read_bytes()
    response = admin.upload(
        project_id, content, content_type=CONTENT_TYPES[suffix], publish=True,
        headers={"X-XlsForm-FormId-Fallback": "family"},
    )
    assert response.status_code == 200, response.text
    form = response.json()
    assert form["xmlFormId"] == "family" and form["publishedAt"]
    xml = admin.get(f"/v1/projects/{project_id}/forms/family.xml").content
    assert hashlib.md5(xml).hexdigest() == form["hash"]
    assert b"What's your father's phone number?" in xml
    original = admin.get(f"/v1/projects/{project_id}/forms/family{suffix}")
    assert original.status_code == 200
    assert original.content == content
    assert original.headers["content-type"].startswith(CONTENT_TYPES[suffix])
    assert f'filename="family{suffix}"' in original.headers["content-disposition"]
    assert form["version"] == ""  # no settings sheet: Central's "___" names the empty version
    version = admin.get(f"/v1/projects/{project_id}/forms/family/versions/___{suffix}")
    assert version.content == content


def test_the_three_formats_of_one_form_give_one_xform(admin: Api, project_id: int) -> None:
    xforms = set()
    for suffix, content_type in CONTENT_TYPES.items():
        response = admin.upload(
            project_id, (XLSFORMS / f"group{suffix}").read_bytes(), content_type=content_type,
            headers={"X-XlsForm-FormId-Fallback": f"group{suffix.replace('.', '_')}"},
        )
        assert response.status_code == 200, response.text
        xml = admin.get(f"/v1/projects/{project_id}/forms/{response.json()['xmlFormId']}.xml")
        xforms.add(xml.content.replace(suffix.replace(".", "_").encode(), b""))
    assert len(xforms) == 1


def test_an_xls_sent_as_octet_stream_is_recognised_by_its_bytes(
    admin: Api, project_id: int
) -> None:
    content = (XLSFORMS / "group.xls").read_bytes()
    response = admin.upload(
        project_id, content, content_type="application/octet-stream",
        headers={"X-XlsForm-FormId-Fallback": "sniffed"},
    )
    assert response.status_code == 200, response.text
    assert admin.get(f"/v1/projects/{project_id}/forms/sniffed/draft.xls").content == content
