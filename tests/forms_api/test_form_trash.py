"""Deleted forms stay in the trash and come back by numeric id, as on ODK Central."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from server.models.base import utcnow
from tests.forms_api.conftest import XLSX, Api, xlsform

SUBMISSION = (b'<data id="simple" version="1"><age>30</age><village>Ak-Sai</village>'
              b"<meta><instanceID>uuid:trash-1</instanceID></meta></data>")


def _trash(api: Api, project_id: int) -> list[dict[str, Any]]:
    response = api.get(f"/v1/projects/{project_id}/forms", params={"deleted": "true"})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_deleted_form_comes_back_with_its_submissions(
    sign_in_as: Callable[..., Api], project_id: int, engine: Any
) -> None:
    manager = sign_in_as("manager")
    assert manager.upload(project_id, xlsform(), publish=True).status_code == 200
    form_url = f"/v1/projects/{project_id}/forms/simple"
    assert manager.post(form_url + "/submissions", SUBMISSION, "application/xml").status_code == 200
    assert manager.delete(form_url).status_code == 200
    assert manager.get(form_url).status_code == 404

    [deleted] = _trash(manager, project_id)
    assert deleted["xmlFormId"] == "simple" and deleted["deletedAt"] is not None
    restored = manager.post(f"/v1/projects/{project_id}/forms/{deleted['id']}/restore")
    assert restored.status_code == 200 and restored.json() == {"success": True}

    assert manager.get(form_url).json()["xmlFormId"] == "simple"
    assert [s["instanceId"] for s in manager.get(form_url + "/submissions").json()] == [
        "uuid:trash-1"
    ]
    assert _trash(manager, project_id) == []
    with engine.connect() as conn:
        actions = list(conn.execute(text("SELECT action FROM audits WHERE action LIKE 'form.%'"
                                         " ORDER BY id")).scalars())
    assert actions[-2:] == ["form.delete", "form.restore"]


def test_restore_is_by_numeric_id_of_a_deleted_form_whose_id_is_free(
    sign_in_as: Callable[..., Api], project_id: int
) -> None:
    manager = sign_in_as("manager")
    base = f"/v1/projects/{project_id}/forms"
    manager.upload(project_id, xlsform(), publish=True)
    by_name = manager.post(base + "/simple/restore")
    assert by_name.status_code == 400 and by_name.json()["code"] == "request.invalid"
    manager.delete(base + "/simple")
    [first] = _trash(manager, project_id)
    # A new form with the same xmlFormId: Central's deletedFormExists warning must be waived.
    again = manager.upload(project_id, xlsform(version="2"), publish=True, ignore_warnings=True)
    assert again.status_code == 200, again.text
    taken = manager.post(f"{base}/{first['id']}/restore")
    assert taken.status_code == 409 and taken.json()["code"] == "form.exists"
    manager.delete(base + "/simple")
    trash = _trash(manager, project_id)
    assert len(trash) == 2 and trash[1]["id"] == first["id"]
    live_id = trash[0]["id"]
    assert manager.post(f"{base}/{first['id']}/restore").status_code == 200
    assert manager.get(base + "/simple").json()["version"] == "1"
    not_deleted = manager.post(f"{base}/{first['id']}/restore")
    assert not_deleted.status_code == 404
    assert manager.post(f"{base}/{live_id}/restore").status_code == 409


def test_only_those_who_may_delete_forms_see_the_trash_or_restore(
    sign_in_as: Callable[..., Api], project_id: int
) -> None:
    manager, analyst = sign_in_as("manager"), sign_in_as("analyst")
    manager.upload(project_id, xlsform(), publish=True)
    manager.delete(f"/v1/projects/{project_id}/forms/simple")
    [deleted] = _trash(manager, project_id)
    refused = analyst.get(f"/v1/projects/{project_id}/forms", params={"deleted": "true"})
    assert refused.status_code == 403
    restore = analyst.post(f"/v1/projects/{project_id}/forms/{deleted['id']}/restore")
    assert restore.status_code == 403


def test_purge_removes_a_form_deleted_long_ago_with_its_submissions_and_workbook(
    sign_in_as: Callable[..., Api], project_id: int, engine: Any, settings: Any
) -> None:
    from sqlmodel import Session

    from server.services.trash import purge_trash

    manager = sign_in_as("manager")
    workbook = (Path(__file__).resolve().parents[2] / "forms" / "examples"
                / "open_day_consultation.xlsx").read_bytes()
    uploaded = manager.upload(project_id, workbook, content_type=XLSX, publish=True,
                              ignore_warnings=True)
    assert uploaded.status_code == 200, uploaded.text
    manager.upload(project_id, xlsform(), publish=True)
    assert manager.post(f"/v1/projects/{project_id}/forms/simple/submissions", SUBMISSION,
                        "application/xml").status_code == 200
    blobs_before = {p for p in (settings.data_dir / "blobs").rglob("*") if p.is_file()}
    manager.delete(f"/v1/projects/{project_id}/forms/open_day_consultation")
    [deleted] = _trash(manager, project_id)

    with Session(engine) as session:
        report = purge_trash(session, utcnow() + timedelta(seconds=1))
        session.commit()

    assert (report.forms, report.blobs) == (1, 1)
    assert _trash(manager, project_id) == []
    gone = manager.post(f"/v1/projects/{project_id}/forms/{deleted['id']}/restore")
    assert gone.status_code == 404
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT count(*) FROM form_defs WHERE form_id = :f"),
                                {"f": deleted["id"]}).scalar()
    assert versions == 0
    # The workbook's file, for the command to unlink once the purge has committed.
    assert settings.data_dir / report.files[0] in blobs_before
    kept = manager.get(f"/v1/projects/{project_id}/forms/simple/submissions").json()
    assert [s["instanceId"] for s in kept] == ["uuid:trash-1"]
