"""A refused form definition leaves no file in KENESH_DATA_DIR; an accepted one keeps its own."""

from __future__ import annotations

from pathlib import Path

from server.settings import Settings
from tests.factories import form_with_warning
from tests.forms_api.conftest import Api, xlsform

# select_one_external: the upload also yields an itemsets.csv.
WITH_EXTERNAL_CHOICES = b"""
| survey |  |  |  |  |
| | type | name | label | choice_filter |
| | select_one oblast | oblast | Oblast | |
| | select_one_external village | village | Village | oblast=${oblast} |
| choices | | | | |
| | list_name | name | label | |
| | oblast | osh | Osh | |
| external_choices | | | | |
| | list_name | name | label | oblast |
| | village | kara_suu | Kara-Suu | osh |
| settings | | | | |
| | form_id | version | | |
| | {form_id} | 1 | | |
"""


def stored_files(settings: Settings) -> set[str]:
    blobs = Path(settings.data_dir) / "blobs"
    if not blobs.is_dir():
        return set()
    return {p.name for p in blobs.rglob("*") if p.is_file() and p.parent.name != "tmp"}


def test_refused_uploads_and_drafts_write_no_file(
    admin: Api, project_id: int, settings: Settings
) -> None:
    url = f"/v1/projects/{project_id}/forms/simple/draft"
    assert admin.upload(project_id, xlsform("simple", "1"), publish=True).status_code == 200
    before = stored_files(settings)
    assert len(before) == 1  # the original of version 1

    refusals = [
        admin.upload(project_id, form_with_warning("other", "9")),  # warnings
        admin.upload(project_id, xlsform("simple", "2")),  # the form exists
        admin.post(url, form_with_warning("simple", "9"), "text/markdown"),  # a draft, warnings
        admin.post(url, xlsform("another", "2"), "text/markdown"),  # another form's id
        admin.upload(project_id, WITH_EXTERNAL_CHOICES.replace(b"{form_id}", b"simple")),
    ]
    assert [r.status_code for r in refusals] == [400, 409, 400, 400, 409]
    assert stored_files(settings) == before
    assert not list((Path(settings.data_dir) / "blobs" / "tmp").iterdir())


def test_an_accepted_upload_stores_its_original_and_itemsets(
    admin: Api, project_id: int, settings: Settings
) -> None:
    body = WITH_EXTERNAL_CHOICES.replace(b"{form_id}", b"external")
    response = admin.upload(project_id, body, ignore_warnings=True)
    assert response.status_code == 200, response.text
    assert len(stored_files(settings)) == 2
    download = admin.get(f"/v1/projects/{project_id}/forms/external/draft.md")
    assert download.content == body
    itemsets = admin.get(f"/v1/projects/{project_id}/forms/external/draft/attachments/itemsets.csv")
    assert itemsets.status_code == 200
    assert b'"village","kara_suu","Kara-Suu","osh"' in itemsets.content
