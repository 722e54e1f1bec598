"""Who sees which forms: managers everything, collectors open published forms, app users theirs."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from server.db import unit_of_work
from server.services import forms as form_service
from tests.forms_api.conftest import Api, xlsform


def listed(api: Api, project_id: int) -> list[str]:
    response = api.get(f"/v1/projects/{project_id}/forms")
    assert response.status_code == 200, response.text
    return [f["xmlFormId"] for f in response.json()]


def three_forms(admin: Api, project_id: int) -> None:
    """open (published), draft (never published), closed (published then closed)."""
    admin.upload(project_id, xlsform("open", "1"), publish=True)
    admin.upload(project_id, xlsform("draft", "1"))
    admin.upload(project_id, xlsform("closed", "1"), publish=True)
    admin.patch(f"/v1/projects/{project_id}/forms/closed", json={"state": "closed"})


def test_form_routes_need_credentials(client, project_id: int) -> None:
    assert client.get(f"/v1/projects/{project_id}/forms").status_code == 401
    assert client.post(f"/v1/projects/{project_id}/forms", content=xlsform()).status_code == 401


def test_a_manager_sees_drafts_and_closed_forms(
    admin: Api, sign_in_as: Callable[..., Api], project_id: int
) -> None:
    three_forms(admin, project_id)
    manager = sign_in_as("manager")
    assert sorted(listed(manager, project_id)) == ["closed", "draft", "open"]
    assert manager.get(f"/v1/projects/{project_id}/forms/draft/draft.xml").status_code == 200


def test_a_data_collector_sees_only_open_published_forms_and_cannot_change_them(
    admin: Api, sign_in_as: Callable[..., Api], project_id: int
) -> None:
    three_forms(admin, project_id)
    collector = sign_in_as("collector")
    assert listed(collector, project_id) == ["open"]
    assert collector.get(f"/v1/projects/{project_id}/forms/open.xml").status_code == 200
    assert collector.get(f"/v1/projects/{project_id}/forms/draft").status_code == 403
    assert collector.get(f"/v1/projects/{project_id}/forms/closed.xml").status_code == 403
    refused = collector.upload(project_id, xlsform("mine", "1"))
    assert refused.status_code == 403
    assert collector.post(f"/v1/projects/{project_id}/forms/open/draft").status_code == 403


def test_an_analyst_reads_closed_forms_but_not_drafts(
    admin: Api, sign_in_as: Callable[..., Api], project_id: int
) -> None:
    three_forms(admin, project_id)
    analyst = sign_in_as("analyst")
    assert sorted(listed(analyst, project_id)) == ["closed", "open"]
    assert analyst.patch(f"/v1/projects/{project_id}/forms/open",
                         json={"state": "closed"}).status_code == 403


def test_a_user_without_a_role_in_the_project_is_told_nothing_exists(
    admin: Api, sign_in_as: Callable[..., Api], project_id: int
) -> None:
    three_forms(admin, project_id)
    stranger = sign_in_as(None)
    assert stranger.get(f"/v1/projects/{project_id}/forms").status_code == 404
    assert stranger.get(f"/v1/projects/{project_id}/forms/open.xml").status_code == 404


def test_an_app_user_downloads_only_the_forms_assigned_to_it(
    admin: Api, app_user: Callable[..., Api], project_id: int
) -> None:
    three_forms(admin, project_id)
    admin.upload(project_id, xlsform("other", "1"), publish=True)
    phone = app_user("open")
    assert phone.get(f"/v1/projects/{project_id}/forms/open.xml").status_code == 200
    assert phone.get(f"/v1/projects/{project_id}/forms/other.xml").status_code == 403


def test_fillable_forms_are_open_published_and_allowed(
    admin: Api, engine: Engine, project_id: int
) -> None:
    three_forms(admin, project_id)
    admin.upload(project_id, xlsform("closing", "1"), publish=True)
    admin.patch(f"/v1/projects/{project_id}/forms/closing", json={"state": "closing"})
    admin.upload(project_id, xlsform("hidden", "1"), publish=True)
    with unit_of_work(engine, write=False) as uow:
        views = form_service.list_fillable_forms(
            uow.session, project_id, lambda form: form.xml_form_id != "hidden"
        )
        assert [v.form.xml_form_id for v in views] == ["open"]
        assert views[0].definition is not None and views[0].definition.published_at
        form = form_service.get_form(uow.session, project_id, "open")
        found = form_service.get_published_version(uow.session, form, "1")
        assert found.id == form.current_def_id


def test_an_app_user_key_url_serves_the_assigned_form_and_its_media(
    admin: Api, app_user: Callable[..., Api], project_id: int
) -> None:
    media = b"""
| survey |  |  |  |  |
| | type | name | label | image |
| | text | village | Village | map.png |
| settings | | | | |
| | form_id | version | | |
| | media | 1 | | |
"""
    admin.upload(project_id, media)
    admin.post(f"/v1/projects/{project_id}/forms/media/draft/attachments/map.png", b"png",
               "image/png")
    admin.post(f"/v1/projects/{project_id}/forms/media/draft/publish")
    admin.upload(project_id, xlsform("other", "1"), publish=True)
    key = app_user("media").headers["Authorization"].removeprefix("Bearer ")
    base = f"/v1/key/{key}/projects/{project_id}/forms"
    xml = admin.client.get(f"{base}/media.xml")
    assert xml.status_code == 200
    assert xml.content == admin.get(f"/v1/projects/{project_id}/forms/media.xml").content
    assert admin.client.get(f"{base}/media/attachments/map.png").content == b"png"
    assert admin.client.get(f"{base}/other.xml").status_code == 403
