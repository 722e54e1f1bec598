"""The README's device-client example runs as written against a real server.

Only what must differ on this machine is replaced: the server address, the token, the
project id and the local paths. Field paths, form and list names stay as the README has them,
so an example that names a field the form does not have fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import headers_for, make_app_user, make_project, make_user
from tests.live import serve_in_thread

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLES = Path(__file__).resolve().parents[2] / "forms" / "examples"
FORMS = ("open_day_consultation", "local_action_plan_activity")


def readme_example() -> str:
    section = README.read_text(encoding="utf-8").split("## The device client", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def publish_examples(app: Any, engine: Any, project: int) -> None:
    manager = make_user(engine, "coordinator@example.kg", admin=True)
    with TestClient(app) as client:
        for form in FORMS:
            response = client.post(
                f"/v1/projects/{project}/forms",
                params={"publish": "true", "ignoreWarnings": "true"},
                content=(EXAMPLES / f"{form}.xlsx").read_bytes(),
                headers={**headers_for(app, manager), "Content-Type":
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
            )
            assert response.status_code == 200, response.text


def test_the_readme_device_client_example_syncs_its_records(app, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    project = make_project(engine)
    publish_examples(app, engine, project)
    _, key = make_app_user(engine, project, forms=FORMS)
    photo = tmp_path / "banner.jpg"
    photo.write_bytes(b"\xff\xd8 a small jpeg")
    code = readme_example()
    assert "/sdcard/DCIM/banner.jpg" in code and "project_id=3" in code
    namespace: dict[str, Any] = {"token": key}
    with serve_in_thread(app) as base:
        code = (code.replace('"https://kenesh.example.kg"', repr(base))
                .replace("project_id=3", f"project_id={project}")
                .replace("/sdcard/DCIM/banner.jpg", str(photo))
                .replace('"kenesh-device.sqlite"', repr(str(tmp_path / "phone.sqlite")))
                .replace("\nphone.close()", "\n"))  # kept open to look at its store
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    report, phone = namespace["report"], namespace["phone"]
    try:
        assert report.count("rejected") == 0 and report.pending == 0
        record = phone.record("submission", namespace["record_id"])
        assert record.fields["/data/participants/women_18_29"] == 15
        assert phone.record("entity", namespace["activity"]).fields["status"] == "completed"
    finally:
        phone.close()
