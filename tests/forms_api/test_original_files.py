"""The original XLSForm of every definition (.xlsx, .xls, .csv, .md) can be downloaded again."""

from __future__ import annotations

from tests.forms_api.conftest import MARKDOWN, XLSX, Api, forms_url, xlsform, xlsx_form

CSV_FORM = b"""survey,,,
,type,name,label
,integer,age,Age
,text,village,Village
settings,,,
,form_id,version,form_title
,simple,1,Simple
"""


def test_a_markdown_upload_is_downloaded_byte_for_byte_as_form_id_md(
    admin: Api, project_id: int
) -> None:
    content = xlsform("simple", "1")
    assert admin.upload(project_id, content, publish=True).status_code == 200
    download = admin.get(forms_url(project_id, "/simple.md"))
    assert download.status_code == 200, download.text
    assert download.content == content
    assert download.headers["content-type"].startswith("text/markdown")
    assert 'filename="simple.md"' in download.headers["content-disposition"]
    for other in ("xlsx", "xls", "csv"):
        missing = admin.get(forms_url(project_id, f"/simple.{other}"))
        assert missing.status_code == 404
        assert missing.json()["detail"] == f"No .{other} file was uploaded for it."


def test_a_csv_upload_is_downloaded_byte_for_byte_as_form_id_csv(
    admin: Api, project_id: int
) -> None:
    response = admin.upload(project_id, CSV_FORM, content_type="text/csv", publish=True)
    assert response.status_code == 200, response.text
    download = admin.get(forms_url(project_id, "/simple.csv"))
    assert download.status_code == 200
    assert download.content == CSV_FORM
    assert download.headers["content-type"].startswith("text/csv")
    assert 'filename="simple.csv"' in download.headers["content-disposition"]
    assert admin.get(forms_url(project_id, "/simple.md")).status_code == 404


def test_each_version_and_the_draft_serve_their_own_original(
    admin: Api, project_id: int
) -> None:
    first = xlsx_form("villages", "1")
    assert admin.upload(project_id, first, content_type=XLSX, publish=True).status_code == 200
    second = xlsform("villages", "2")
    admin.post(forms_url(project_id, "/villages/draft"), second, MARKDOWN)
    admin.post(forms_url(project_id, "/villages/draft/publish"))
    third = CSV_FORM.replace(b"simple,1", b"villages,3")
    admin.post(forms_url(project_id, "/villages/draft"), third, "text/csv")

    one = admin.get(forms_url(project_id, "/villages/versions/1.xlsx"))
    assert one.status_code == 200
    assert one.content == first
    assert one.headers["content-type"] == XLSX
    assert 'filename="villages.xlsx"' in one.headers["content-disposition"]
    assert admin.get(forms_url(project_id, "/villages/versions/1.md")).status_code == 404
    assert admin.get(forms_url(project_id, "/villages/versions/2.md")).content == second
    assert admin.get(forms_url(project_id, "/villages/versions/2.xlsx")).status_code == 404
    assert admin.get(forms_url(project_id, "/villages.md")).content == second
    assert admin.get(forms_url(project_id, "/villages/draft.csv")).content == third
    assert admin.get(forms_url(project_id, "/villages/versions/9.xlsx")).status_code == 404


def test_an_original_download_answers_304_to_its_etag(admin: Api, project_id: int) -> None:
    admin.upload(project_id, CSV_FORM, content_type="text/csv")
    download = admin.get(forms_url(project_id, "/simple.csv"))
    again = admin.get(
        forms_url(project_id, "/simple.csv"), headers={"If-None-Match": download.headers["etag"]}
    )
    assert again.status_code == 304


def test_a_form_id_ending_like_a_download_is_refused(admin: Api, project_id: int) -> None:
    for form_id in ("notes.md", "villages.csv"):
        response = admin.upload(project_id, xlsform(form_id, "1"))
        assert response.status_code == 400
        assert response.json()["code"] == "form.id_invalid"
    assert admin.get(forms_url(project_id)).json() == []
