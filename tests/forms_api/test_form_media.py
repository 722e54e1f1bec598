"""Form media: declared files uploaded to the draft, streamed to disk, served with ETags."""

from __future__ import annotations

import hashlib
from pathlib import Path

from server.storage import blob_path, store_stream
from tests.forms_api.conftest import Api

WITH_MEDIA = b"""
| survey |  |  |  |  |
| | type | name | label | image |
| | text | village | Village | map.png |
| | select_one_from_file rayons.csv | rayon | Rayon | |
| settings | | | | |
| | form_id | version | | |
| | media | 1 | | |
"""
PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 100
CSV = "name,label\nbatken,Баткен\nkadamjay,Кадамжай\n".encode()


def draft_files(admin: Api, project_id: int) -> str:
    admin.upload(project_id, WITH_MEDIA)
    return f"/v1/projects/{project_id}/forms/media/draft/attachments"


def test_a_draft_lists_the_files_its_form_declares_as_missing(admin: Api, project_id: int) -> None:
    files = admin.get(draft_files(admin, project_id)).json()
    assert [(f["name"], f["type"], f["exists"]) for f in files] == [
        ("map.png", "image", False), ("rayons.csv", "file", False),
    ]


def test_an_uploaded_file_is_stored_once_with_its_hash_and_published_with_the_form(
    admin: Api, project_id: int, settings
) -> None:
    url = draft_files(admin, project_id)
    uploaded = admin.post(f"{url}/map.png", PNG, "image/png")
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["hash"] == hashlib.md5(PNG).hexdigest()
    assert uploaded.json()["exists"] is True and uploaded.json()["updatedAt"]
    stored = Path(settings.data_dir) / blob_path(hashlib.sha256(PNG).hexdigest())
    assert stored.read_bytes() == PNG
    admin.post(f"{url}/rayons.csv", CSV, "text/csv")
    admin.post(f"/v1/projects/{project_id}/forms/media/draft/publish")
    published = f"/v1/projects/{project_id}/forms/media/attachments"
    assert all(f["exists"] for f in admin.get(published).json())
    download = admin.get(f"{published}/rayons.csv")
    assert download.content == CSV
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["etag"] == f'"{hashlib.md5(CSV).hexdigest()}"'
    assert "filename*=UTF-8''rayons.csv" in download.headers["content-disposition"]


def test_a_matching_if_none_match_gets_304_without_a_body(admin: Api, project_id: int) -> None:
    url = draft_files(admin, project_id)
    admin.post(f"{url}/map.png", PNG, "image/png")
    first = admin.get(f"{url}/map.png")
    assert first.content == PNG
    again = admin.get(f"{url}/map.png", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_a_file_the_form_does_not_declare_is_refused(admin: Api, project_id: int) -> None:
    url = draft_files(admin, project_id)
    response = admin.post(f"{url}/other.png", PNG, "image/png")
    assert response.status_code == 404
    assert response.json()["code"] == "form.attachment_unknown"


def test_a_cleared_file_is_missing_again(admin: Api, project_id: int) -> None:
    url = draft_files(admin, project_id)
    admin.post(f"{url}/map.png", PNG, "image/png")
    assert admin.delete(f"{url}/map.png").json() == {"success": True}
    assert admin.get(f"{url}/map.png").status_code == 404
    assert admin.delete(f"{url}/map.png").status_code == 404


def test_a_new_draft_keeps_the_media_of_the_published_version(
    admin: Api, project_id: int
) -> None:
    url = draft_files(admin, project_id)
    admin.post(f"{url}/map.png", PNG, "image/png")
    admin.post(f"/v1/projects/{project_id}/forms/media/draft/publish")
    admin.post(f"/v1/projects/{project_id}/forms/media/draft")
    assert admin.get(f"{url}/map.png").content == PNG
    next_version = WITH_MEDIA.replace(b"| media | 1 |", b"| media | 2 |")
    admin.post(f"/v1/projects/{project_id}/forms/media/draft", next_version, "text/markdown")
    assert admin.get(f"{url}/map.png").content == PNG


def test_a_chunked_upload_without_content_length_is_accepted(admin: Api, project_id: int) -> None:
    url = draft_files(admin, project_id)

    def chunks():
        yield PNG[:10]
        yield PNG[10:]

    response = admin.client.post(
        f"{url}/map.png", content=chunks(),
        headers={**admin.headers, "Content-Type": "image/png"},
    )
    assert response.status_code == 200
    assert admin.get(f"{url}/map.png").content == PNG


def test_the_blob_store_keeps_one_file_per_content(tmp_path: Path) -> None:
    first = store_stream(tmp_path, [b"same ", b"bytes"])
    second = store_stream(tmp_path, [b"same bytes"])
    assert first == second
    assert first.sha256 == hashlib.sha256(b"same bytes").hexdigest()
    assert first.md5 == hashlib.md5(b"same bytes").hexdigest() and first.size == 10
    assert (tmp_path / first.path).read_bytes() == b"same bytes"
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []
