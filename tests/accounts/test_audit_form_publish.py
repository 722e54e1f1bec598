"""Publishing a form is in the audit log as ODK Central writes it, and found as form.publish."""

from __future__ import annotations

from tests.factories import headers_for, make_project, make_user

FORM_MD = """
| survey |          |         |            |
|        | type     | name    | label      |
|        | text     | village | Village    |
| settings |        |         |            |
|        | form_id  | version | form_title |
|        | {form_id} | 1      | Open day   |
"""


def test_publishing_a_form_is_found_as_form_publish(app, client, engine) -> None:
    project = make_project(engine)
    admin = headers_for(app, make_user(engine, "admin@example.kg", admin=True))
    manager = headers_for(app, make_user(engine, "m@example.kg", role="manager", project=project))
    forms = f"/v1/projects/{project}/forms"
    markdown = {**manager, "Content-Type": "text/markdown"}
    for form_id, publish in (("at_once", "true"), ("later", "false")):
        response = client.post(forms, params={"publish": publish, "ignoreWarnings": "true"},
                               content=FORM_MD.format(form_id=form_id).encode(), headers=markdown)
        assert response.status_code == 200, response.text
    assert client.post(f"{forms}/later/draft/publish", headers=manager).status_code == 200

    def targets(action: str) -> list[tuple[str, str]]:
        response = client.get("/v1/audits", params={"action": action}, headers=admin)
        assert response.status_code == 200, response.text
        return [(a["action"], a["target"]) for a in response.json()]

    published = [("form.update.publish", f"project:{project}/form:later"),
                 ("form.update.publish", f"project:{project}/form:at_once")]
    assert targets("form.publish") == published
    assert targets("form.update.publish") == published  # ODK Central's name
    assert set(published) <= set(targets("form.*"))
    assert ("form.create", f"project:{project}/form:later") in targets("form.*")
