"""A consultation form in three versions and three languages, filled in through OpenRosa."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest

from tests.consult_form import consult_md
from tests.factories import headers_for, make_project, make_user
from tests.odk.conftest import odk as odk  # noqa: F401  (a form with a photo, for media/)

OPENROSA = {"X-OpenRosa-Version": "1.0"}


def instance_xml(instance_id: str, version: str, answers: dict[str, str],
                 reps: tuple[tuple[int, tuple[str, ...]], ...] = ()) -> bytes:
    """A submission of `consult`; `answers` by element name, grp/name as "name"."""
    simple = "".join(
        f"<{k}>{v}</{k}>" for k, v in answers.items() if k not in ("name",)
    )
    rep_xml = "".join(
        f"<rep><q>{q}</q>" + "".join(f"<inner><t>{t}</t></inner>" for t in inner) + "</rep>"
        for q, inner in reps
    )
    name = answers.get("name", "")
    return (
        f'<data xmlns:orx="http://openrosa.org/xforms" id="consult" version="{version}">'
        f"<grp><name>{name}</name></grp>{simple}{rep_xml}"
        f"<meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()


@dataclass
class World:
    client: Any
    app: Any
    engine: Any
    project_id: int
    manager: dict[str, str]
    manager_id: int

    def url(self, suffix: str, form: str = "consult") -> str:
        return f"/v1/projects/{self.project_id}/forms/{form}/{suffix}"

    def publish(self, version: str) -> None:
        body = consult_md(version)
        headers = {**self.manager, "Content-Type": "text/markdown"}
        if version == "1":
            response = self.client.post(f"/v1/projects/{self.project_id}/forms", content=body,
                                        params={"publish": "true", "ignoreWarnings": "true"},
                                        headers=headers)
        else:
            response = self.client.post(self.url("draft"), content=body, headers=headers,
                                        params={"ignoreWarnings": "true"})
            assert response.status_code == 200, response.text
            response = self.client.post(self.url("draft/publish"), headers=self.manager)
        assert response.status_code == 200, response.text

    def submit(self, xml: bytes, headers: dict[str, str] | None = None,
               files: dict[str, bytes] | None = None) -> None:
        parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
        parts += [(n, (n, c, "image/jpeg")) for n, c in (files or {}).items()]
        response = self.client.post(f"/v1/projects/{self.project_id}/submission", files=parts,
                                    headers={**OPENROSA, **(headers or self.manager)})
        assert response.status_code == 201, response.text

    def export(self, suffix: str, headers: dict[str, str] | None = None, **params: str) -> Any:
        return self.client.get(self.url(suffix), params=params, headers=headers or self.manager)


OLD = instance_xml("uuid:old", "1", {
    "age": "34", "name": "Айгүл", "phone": "+996555123456", "colors": "red green",
    "loc": "40.5283 72.7985 1020 5", "visited": "2026-03-01", "score": "7.5",
}, reps=((1, ("a",)), (2, ("b", "c"))))
MIDDLE = instance_xml("uuid:middle", "2", {
    "age": "20", "name": '=HYPERLINK("http://evil")', "colors": "blue",
    "loc": "40.9 73.1 800 3", "visited": "2026-03-04",
})
NEW = instance_xml("uuid:new", "3", {
    "age": "-3", "name": "Бакыт", "colors": "blue", "district": "nookat", "visited": "2026-03-07",
}, reps=((3, ()),))

# Version 3 has no colour "purple": the submission is stored, with one problem.
INVALID = instance_xml("uuid:invalid", "3", {
    "age": "5", "name": "Эрлан", "colors": "purple", "loc": "40.5 72.8 900 5",
    "visited": "2026-03-09",
})
MESSAGES = {
    "ky": "«purple» жооп варианттарынын арасында жок.",
    "ru": "«purple» нет среди вариантов ответа.",
    "en": "“purple” is not one of the choices.",
}


@pytest.fixture
def world(client: Any, app: Any, engine: Any) -> World:
    """The form in its three versions, one submission filled in each."""
    project_id = make_project(engine)
    manager_id = make_user(engine, "coordinator@example.kg", role="manager", project=project_id)
    w = World(client, app, engine, project_id, headers_for(app, manager_id), manager_id)
    w.publish("1")
    w.submit(OLD)
    w.publish("2")
    w.submit(MIDDLE)
    w.publish("3")
    w.submit(NEW)
    return w


def read_zip(content: bytes) -> dict[str, list[dict[str, str]]]:
    """Each CSV of a zip as dict rows; other entries as raw bytes under their name."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return {
            name: list(csv.DictReader(io.StringIO(archive.read(name).decode(), newline="")))
            for name in archive.namelist() if name.endswith(".csv")
        }


def by_key(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["KEY"]: row for row in rows}


def insert_submissions(engine: Any, project_id: int, xml_form_id: str,
                       documents: list[dict[str, Any]]) -> None:
    """Many submissions at once, straight into the tables (setup for volume, not for rules)."""
    from sqlalchemy import insert, select

    from server.models import Form, Submission, SubmissionDef
    from server.models.base import utcnow

    with engine.begin() as conn:
        form_id, def_id = conn.execute(select(Form.id, Form.current_def_id).where(
            Form.project_id == project_id, Form.xml_form_id == xml_form_id)).one()
        first = conn.execute(select(Submission.id).order_by(Submission.id.desc())).scalar() or 0
        now = utcnow()
        ids = [f"uuid:bulk-{first + n}" for n in range(len(documents))]
        conn.execute(insert(Submission), [
            {"id": first + 1 + n, "project_id": project_id, "form_id": form_id,
             "instance_id": iid, "version": 1, "conflict": False, "created_at": now}
            for n, iid in enumerate(ids)])
        conn.execute(insert(SubmissionDef), [
            {"submission_id": first + 1 + n, "form_id": form_id, "form_def_id": def_id,
             "version": 1, "instance_id": iid, "xml": b"<data/>", "data": doc,
             "validation": {"status": "valid", "issues": [], "notChecked": []},
             "current": True, "created_at": now}
            for n, (iid, doc) in enumerate(zip(ids, documents, strict=True))])
