"""The world the role x route matrix runs in: one project holding everything its routes name.

Built once per database: a web user with each role, a user with no role, app users (one of this
project with the form assigned, one of another project), two published XLSForms (one marked
sensitive) with a submission each (a photo and a repeat), a form with a draft, an entity list
with an entity, and a sync conflict. Writes that use up what they act on (delete, restore,
resolve, publish a draft) get a fresh target per call from the `new_*` helpers, so the shared
world stays as every read expects it.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from openpyxl import Workbook

from server.db import unit_of_work
from server.models import User
from server.policy import ANALYST, COLLECTOR
from tests.factories import PASSWORD, bearer, make_app_user, make_project, make_user, session_token

FORM, SENSITIVE, DRAFTS = "matrix_form", "matrix_sensitive", "matrix_drafts"
DATASET = "things"
OPENROSA = {"X-OpenRosa-Version": "1.0"}  # harmless elsewhere, required by OpenRosa routes
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WEB_ROLES = ("admin", "manager", "analyst", "collector", "outsider")
APP_ROLES = ("app_user", "app_user_other")
SURVEY = [
    ("type", "name", "label"),
    ("text", "village", "Village"),
    ("integer", "count", "Count"),
    ("image", "photo", "Photo"),
    (f"select_one_from_file {DATASET}.csv", "thing", "Thing"),
    ("begin_repeat", "visit", "Visit"),
    ("text", "note", "Note"),
    ("end_repeat", "visit", ""),
]


def xlsform(form_id: str, *, sensitive: bool = False) -> bytes:
    """A small XLSForm: the .xlsx routes serve it back, its empty things.csv slot is the list."""
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    for row in SURVEY:
        survey.append(row)
    settings = book.create_sheet("settings")
    settings.append(("form_id", "version", "form_title", "sensitive"))
    settings.append((form_id, "1", form_id.replace("_", " "), "yes" if sensitive else "no"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def instance_xml(form_id: str, instance_id: str, deprecated: str | None = None) -> bytes:
    """A submission of the matrix form: a photo and one repeat entry."""
    replaces = f"<deprecatedID>{deprecated}</deprecatedID>" if deprecated else ""
    return (
        f'<data id="{form_id}" version="1"><village>Ak-Sai</village><count>3</count>'
        f"<photo>photo.jpg</photo><thing/><visit><note>first</note></visit>"
        f"<meta>{replaces}<instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()


def new_instance_id() -> str:
    return f"uuid:{uuid.uuid4()}"


@dataclass
class World:
    client: Any
    app: Any
    engine: Any
    project: int = 0
    actors: dict[str, int] = field(default_factory=dict)  # role -> actor id
    tokens: dict[str, str] = field(default_factory=dict)  # role -> session JWT or app user key
    instances: dict[str, str] = field(default_factory=dict)  # form -> its submission
    ids: dict[str, Any] = field(default_factory=dict)  # other things the routes name
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    seqs: dict[str, int] = field(default_factory=dict)  # device -> its last client_seq

    # Requests as the site admin, for setting things up.
    def admin(self, method: str, url: str, expect: int = 200, **kwargs: Any) -> Any:
        headers = {**OPENROSA, **bearer(self.tokens["admin"]), **kwargs.pop("headers", {})}
        response = self.client.request(method, url, headers=headers, **kwargs)
        assert response.status_code == expect, f"{method} {url}: {response.text}"
        return response

    def unique(self, prefix: str) -> str:
        return f"{prefix}_{next(self.counter)}"

    @property
    def base(self) -> str:
        return f"/v1/projects/{self.project}"

    def publish_xlsform(self, form_id: str, *, sensitive: bool = False) -> None:
        self.admin("POST", f"{self.base}/forms", content=xlsform(form_id, sensitive=sensitive),
                   params={"publish": "true", "ignoreWarnings": "true"},
                   headers={"Content-Type": XLSX})

    def new_form(self) -> str:
        """A published copy of the matrix form under a new id (an XForm: no conversion)."""
        form_id = self.unique("copy")
        xml = self.ids["xform"].replace(f'id="{FORM}"', f'id="{form_id}"')
        self.admin("POST", f"{self.base}/forms", content=xml.encode(),
                   params={"publish": "true", "ignoreWarnings": "true"},
                   headers={"Content-Type": "application/xml"})
        return form_id

    def deleted_form(self) -> int:
        """The numeric id of a form in the trash."""
        form_id = self.new_form()
        self.admin("DELETE", f"{self.base}/forms/{form_id}")
        trash = self.admin("GET", f"{self.base}/forms", params={"deleted": "true"}).json()
        return int(next(f["id"] for f in trash if f["xmlFormId"] == form_id))

    def make_draft(self) -> None:
        self.admin("POST", f"{self.base}/forms/{DRAFTS}/draft")

    def submit(self, form_id: str = FORM) -> str:
        """A new submission with its photo, sent as ODK Collect sends it; returns its id."""
        instance_id = new_instance_id()
        files = {"xml_submission_file": ("submission.xml", instance_xml(form_id, instance_id),
                                         "text/xml"),
                 "photo.jpg": ("photo.jpg", b"\xff\xd8 not really a jpeg", "image/jpeg")}
        self.admin("POST", f"{self.base}/submission", expect=201, files=files)
        return instance_id

    def deleted_submission(self) -> str:
        instance_id = self.submit()
        self.admin("DELETE", f"{self.base}/forms/{FORM}/submissions/{instance_id}")
        return instance_id

    def new_entity(self) -> str:
        entity = str(uuid.uuid4())
        self.admin("POST", f"{self.base}/datasets/{DATASET}/entities",
                   json={"uuid": entity, "label": "Well", "data": {"kind": "water"}})
        return entity

    def deleted_entity(self) -> str:
        entity = self.new_entity()
        self.admin("DELETE", f"{self.base}/datasets/{DATASET}/entities/{entity}")
        return entity

    def push(self, device: str, record: str, value: int, base: int | None) -> dict[str, Any]:
        wall = 1_764_450_000_000 + next(self.counter)
        self.seqs[device] = seq = self.seqs.get(device, 0) + 1  # a device numbers its ops 1, 2, …
        op = {"op_id": str(uuid.uuid4()), "client_seq": seq,
              "type": "submission", "form_id": FORM, "record_id": record, "base_version": base,
              "hlc": f"{wall:013d}-00000-{device}", "fields": {"/data/count": value},
              "deleted": False, "attachments": []}
        body = {"device_id": device, "ops": [op]}
        return self.admin("POST", f"{self.base}/sync/push", json=body).json()  # type: ignore[no-any-return]

    def new_conflict(self) -> int:
        """Two phones changed the same answer of one record offline: an open conflict."""
        record = new_instance_id()
        self.push("phone-a", record, 1, None)
        self.push("phone-a", record, 2, 1)
        result = self.push("phone-b", record, 3, 1)["results"][0]
        assert result["status"] == "conflict", result
        return int(result["conflicts"][0]["id"])

    def new_user(self, role: str | None = None) -> int:
        email = f"{self.unique('user')}@matrix.kg"
        return make_user(self.engine, email, role=role, project=self.project if role else None)

    def new_admin(self) -> int:
        actor = self.new_user()
        self.admin("POST", f"/v1/assignments/admin/{actor}")
        return actor

    def new_app_user(self, forms: tuple[str, ...] = ()) -> int:
        return make_app_user(self.engine, self.project, self.unique("phone"), forms=forms)[0]

    def granted_analyst(self) -> int:
        actor = self.new_user(ANALYST)
        self.admin("POST", f"{self.base}/personal-data-access/{actor}")
        return actor

    def session_of(self, role: str) -> str:
        """A second web session of the role's user (to end without ending the shared one)."""
        return session_token(self.app, self.actors[role])

    def refresh(self, role: str) -> None:
        """A new shared session for the role (after something ended all of the user's)."""
        if role in WEB_ROLES:
            self.tokens[role] = session_token(self.app, self.actors[role])

    def defaults(self, path: str, form: str = FORM) -> dict[str, str]:
        """What each path parameter names in this world, for the route `path`."""
        instance = self.instances.get(form, self.instances[FORM])
        values = {
            "projectId": str(self.project), "xmlFormId": form, "instanceId": instance,
            "recordId": instance, "kind": "submission", "version": "1", "table": "Submissions",
            "uuid": self.ids["entity"], "conflictId": str(self.ids["conflict"]),
            "appUserId": str(self.ids["spare_app_user"]), "actorId": str(self.ids["target"]),
            "roleId": "collector", "formId": "0", "sha256": "0" * 64, "name": "things.csv",
        }
        if "{path:path}" in path:  # one submission's rows of the repeat
            values |= {"table": f"Submissions('{instance}')", "path": "visit"}
        if "/datasets/{name}" in path:
            values["name"] = DATASET
        elif "/submissions/{instanceId}/attachments/{name}" in path:
            values["name"] = "photo.jpg"
        if path.startswith("/v1/assignments/"):
            values["roleId"] = "admin"
        elif "/forms/{xmlFormId}/assignments" in path:
            values |= {"roleId": "app-user", "actorId": str(self.ids["spare_app_user"])}
        elif "/personal-data-access/" in path:
            values["actorId"] = str(self.ids["analyst2"])
        return values


def fill(path: str, values: dict[str, str]) -> str:
    """The route template with its parameters filled in."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


def cheap_passwords(engine: Any, actor_ids: list[int]) -> None:
    """PASSWORD hashed with argon2's smallest cost: signing in verifies it in microseconds."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with unit_of_work(engine) as uow:
        for actor_id in actor_ids:
            user = uow.session.get(User, actor_id)
            assert user is not None
            user.password_hash = cheap
            uow.session.add(user)
        uow.commit()


def build_world(client: Any, app: Any, engine: Any) -> World:
    world = World(client, app, engine)
    world.project = project = make_project(engine, "Matrix")
    other = make_project(engine, "Elsewhere")
    for role in WEB_ROLES:
        email = f"{role}@matrix.kg"
        if role == "admin":
            world.actors[role] = make_user(engine, email, admin=True)
        elif role == "outsider":
            world.actors[role] = make_user(engine, email)
        else:
            world.actors[role] = make_user(engine, email, role=role, project=project)
        world.tokens[role] = session_token(app, world.actors[role])
    cheap_passwords(engine, list(world.actors.values()))
    for role, where in (("app_user", project), ("app_user_other", other)):
        world.actors[role], world.tokens[role] = make_app_user(engine, where, role, forms=(FORM,))
    world.admin("POST", f"{world.base}/datasets", json={"name": DATASET})
    world.admin("POST", f"{world.base}/datasets/{DATASET}/properties", json={"name": "kind"})
    for form_id, sensitive in ((FORM, False), (SENSITIVE, True), (DRAFTS, False)):
        world.publish_xlsform(form_id, sensitive=sensitive)
    world.ids["xform"] = world.admin("GET", f"{world.base}/forms/{FORM}.xml").text
    world.make_draft()
    world.instances = {FORM: world.submit(FORM), SENSITIVE: world.submit(SENSITIVE)}
    world.ids |= {
        "entity": world.new_entity(), "conflict": world.new_conflict(),
        "target": world.new_user(COLLECTOR), "analyst2": world.new_user(ANALYST),
        "spare_app_user": world.new_app_user(), "granted": world.granted_analyst(),
    }
    world.tokens["granted_analyst"] = session_token(app, world.ids["granted"])
    return world


# Request arguments (json, content, files, params, headers) for an allowed call, made from the
# world and the call's filled path parameters; and fresh targets, made per allowed call.
Body = dict[str, Any]


def json_body(make: Callable[[World], Any]) -> Callable[[World, dict[str, Any]], Body]:
    return lambda w, p: {"json": make(w)}


def xml_body(w: World, p: dict[str, Any]) -> Body:
    return {"content": instance_xml(FORM, new_instance_id()),
            "headers": {"Content-Type": "application/xml"}}


def edit_body(w: World, p: dict[str, Any]) -> Body:
    """A new version of the submission the path names (PUT …/submissions/{instanceId})."""
    return {"content": instance_xml(FORM, new_instance_id(), deprecated=p["instanceId"]),
            "headers": {"Content-Type": "application/xml"}}


def openrosa_body(w: World, p: dict[str, Any]) -> Body:
    xml = instance_xml(FORM, new_instance_id())
    return {"files": {"xml_submission_file": ("submission.xml", xml, "text/xml")}}


def push_body(w: World, p: dict[str, Any]) -> Body:
    """A new device's first op: a new record."""
    device = w.unique("device")
    op = {"op_id": str(uuid.uuid4()), "client_seq": 1, "type": "submission", "form_id": FORM,
          "record_id": new_instance_id(), "base_version": None,
          "hlc": f"{1_764_450_000_000 + next(w.counter):013d}-00000-{device}",
          "fields": {"/data/count": 1}, "deleted": False, "attachments": []}
    return {"json": {"device_id": device, "ops": [op]}}


def new_form_body(w: World, p: dict[str, Any]) -> Body:
    xml = w.ids["xform"].replace(f'id="{FORM}"', f'id="{w.unique("created")}"')
    return {"content": xml.encode(), "params": {"publish": "true"},
            "headers": {"Content-Type": "application/xml"}}


def csv_body(w: World, p: dict[str, Any]) -> Body:
    return {"content": b"name,label\nw1,Well\n", "headers": {"Content-Type": "text/csv"}}


def new_blob(w: World, role: str) -> dict[str, Any]:
    """A blob the server has not seen (its upload answers 201); "_content" is its body."""
    content = f"blob {uuid.uuid4()}".encode()
    return {"sha256": hashlib.sha256(content).hexdigest(), "_content": content}


def own_actor(w: World, role: str) -> dict[str, Any]:
    return {"actorId": str(w.actors[role])}


def own_session(w: World, role: str) -> dict[str, Any]:
    return {"token": w.session_of(role)}


def csv_uploaded(w: World, role: str) -> dict[str, Any]:
    """The draft's things.csv uploaded (a slot never filled has nothing to delete: 404)."""
    w.admin("POST", f"{w.base}/forms/{DRAFTS}/draft/attachments/things.csv", **csv_body(w, {}))
    return {}


def draft_again(w: World, role: str) -> None:
    w.make_draft()
