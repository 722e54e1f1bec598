"""The audit log: admins read it with filters; nothing in the API edits or deletes it."""

from __future__ import annotations

from datetime import timedelta

from fastapi.routing import APIRoute, iter_route_contexts

from server.db import unit_of_work
from server.models.base import iso, utcnow
from server.services.audit import record_audit
from tests.factories import headers_for, make_project, make_user


def test_admins_filter_the_audit_log_by_action_and_time(app, client, engine) -> None:
    admin_id = make_user(engine, "admin@example.kg", admin=True)
    with unit_of_work(engine) as uow:
        record_audit(uow.session, admin_id, "submission.read", target="submission:uuid:1",
                     details={"form": "incident_report"}, request_id="req-1")
        record_audit(uow.session, admin_id, "export.download", target="form:incident_report")
        uow.commit()
    admin = headers_for(app, admin_id)
    reads = client.get("/v1/audits?action=submission.read", headers=admin).json()
    assert [(a["actorId"], a["target"], a["details"], a["requestId"]) for a in reads] == [
        (admin_id, "submission:uuid:1", {"form": "incident_report"}, "req-1")]
    later = iso(utcnow() + timedelta(minutes=1))
    assert client.get("/v1/audits", params={"start": later}, headers=admin).json() == []
    assert len(client.get("/v1/audits", params={"end": later}, headers=admin).json()) == 2


def test_managers_cannot_read_the_audit_log(app, client, engine) -> None:
    project = make_project(engine)
    manager = make_user(engine, "m@example.kg", role="manager", project=project)
    assert client.get("/v1/audits", headers=headers_for(app, manager)).status_code == 403


def test_no_route_can_change_or_delete_audit_rows(app) -> None:
    writes = [
        (method, ctx.path) for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute) and "audit" in (ctx.path or "")
        for method in ctx.original_route.methods if method not in ("GET", "HEAD")
    ]
    assert writes == []


def test_granting_a_role_is_audited_with_who_and_what(app, client, engine) -> None:
    admin_id = make_user(engine, "admin@example.kg", admin=True)
    project, user = make_project(engine), make_user(engine, "u@example.kg")
    admin = headers_for(app, admin_id)
    client.post(f"/v1/projects/{project}/assignments/manager/{user}", headers=admin)
    grants = client.get("/v1/audits?action=role.*", headers=admin).json()
    assert [(g["actorId"], g["target"], g["details"]) for g in grants] == [
        (admin_id, f"user:{user}", {"projectId": project, "role": "manager"})]
