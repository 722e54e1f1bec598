"""Warnings, invalid XLSForms and workbook bombs: clear 4xx answers, never a 500."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.factories import form_with_warning
from tests.fixtures import pyxform_examples
from tests.forms_api.conftest import XLSX, Api, xlsform

EXAMPLES = pyxform_examples()
WITH_WARNING = form_with_warning("warned", "1")


def test_a_definition_with_warnings_is_refused_and_nothing_is_created(
    admin: Api, project_id: int
) -> None:
    response = admin.upload(project_id, WITH_WARNING)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "xlsform.warnings"
    assert any("disabled" in w for w in body["warnings"]["xlsFormWarnings"])
    assert admin.get(f"/v1/projects/{project_id}/forms/warned").status_code == 404


def test_with_ignore_warnings_the_form_is_created_and_its_warnings_are_kept(
    admin: Api, project_id: int
) -> None:
    response = admin.upload(project_id, WITH_WARNING, ignore_warnings=True)
    assert response.status_code == 200
    assert any("disabled" in w for w in response.json()["warnings"]["xlsFormWarnings"])
    again = admin.get(f"/v1/projects/{project_id}/forms/warned").json()
    assert again["warnings"] == response.json()["warnings"]


def test_a_form_without_warnings_reports_none(admin: Api, project_id: int) -> None:
    assert admin.upload(project_id, xlsform()).json()["warnings"] is None


def test_a_new_draft_that_drops_published_fields_is_a_warning(admin: Api, project_id: int) -> None:
    admin.upload(project_id, xlsform("simple", "1"), publish=True)
    smaller = b"""
| survey |  |  |  |
| | type | name | label |
| | integer | age | Age |
| settings | | | |
| | form_id | version | |
| | simple | 2 | |
"""
    url = f"/v1/projects/{project_id}/forms/simple/draft"
    refused = admin.post(url, smaller, "text/markdown")
    assert refused.status_code == 400
    assert refused.json()["warnings"]["workflowWarnings"] == [
        {"type": "structureChanged", "details": ["village"]}
    ]
    accepted = admin.post(url, smaller, "text/markdown", params={"ignoreWarnings": "true"})
    assert accepted.json() == {"success": True}


def test_an_invalid_xlsform_is_a_400_with_pyxforms_message_sheet_and_row(
    admin: Api, project_id: int
) -> None:
    broken = b"""
| survey |  |  |  |
| | type | name | label |
| | integer | age | Age |
| | integer | age | Age again |
"""
    response = admin.upload(project_id, broken)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "xlsform.invalid"
    assert body["problems"], body
    problem = body["problems"][0]
    assert set(problem) == {"sheet", "row", "message"}
    assert "'age'" in problem["message"]
    assert (problem["sheet"], problem["row"]) == ("survey", 3)
    assert admin.get(f"/v1/projects/{project_id}/forms").json() == []


def test_a_file_that_is_no_form_at_all_is_a_400(admin: Api, project_id: int) -> None:
    response = admin.upload(project_id, b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
                            content_type="image/png")
    assert response.status_code == 400
    assert response.json()["code"] == "xlsform.invalid"


def test_an_empty_body_is_a_400(admin: Api, project_id: int) -> None:
    assert admin.upload(project_id, b"").status_code == 400


def test_a_workbook_bomb_is_refused_with_413_before_pyxform_reads_it(
    admin: Api, project_id: int, settings
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a/>" + b" " * (25 * 1024 * 1024))
    response = admin.upload(project_id, buffer.getvalue(), content_type=XLSX)
    assert response.status_code == 413
    assert response.json()["code"] == "form.too_large"


def test_a_form_id_ending_in_xlsx_is_refused(admin: Api, project_id: int) -> None:
    body = b"""
| survey |  |  |  |
| | type | name | label |
| | text | village | Village |
"""
    response = admin.upload(project_id, body, headers={"X-XlsForm-FormId-Fallback": "form.xlsx"})
    assert response.status_code == 400
    assert response.json()["code"] == "form.id_invalid"


def _content_type(path: Path) -> str:
    return {
        ".xlsx": XLSX, ".xls": "application/vnd.ms-excel", ".xml": "application/xml",
        ".csv": "text/csv", ".md": "text/markdown",
    }.get(path.suffix, "application/octet-stream")


@pytest.mark.skipif(not EXAMPLES, reason="../shared/conformance/pyxform-examples is absent")
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_pyxform_example_converts_or_gets_a_clear_400(
    admin: Api, project_id: int, path: Path
) -> None:
    response = admin.upload(
        project_id, path.read_bytes(), content_type=_content_type(path), ignore_warnings=True,
        headers={"X-XlsForm-FormId-Fallback": path.stem.replace(".", "_")},
    )
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        body = response.json()
        assert body["code"] in ("xlsform.invalid", "form.missing_meta", "form.id_invalid")
        assert body["detail"]
    else:
        form_id = response.json()["xmlFormId"]
        xml = admin.get(f"/v1/projects/{project_id}/forms/{form_id}/draft.xml")
        assert xml.status_code == 200 and xml.content.startswith(b"<")
