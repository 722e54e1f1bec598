"""ODK Central's OData feed of a form: service document, $metadata, Submissions and repeats."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import and_
from sqlmodel import col

from forms.odata import MAIN_TABLE, edmx, service_document
from server import errors
from server.auth.deps import GrantedAccess
from server.db import UnitOfWork
from server.errors import Problem
from server.http.deps import ReadUoW, WriteUoW
from server.models import Submission
from server.policy import Access
from server.policy_routes import register
from server.routes.form_access import readable_form
from server.services import odata
from server.services.audit import record_audit, request_id_of
from server.services.scope import submission_scope

router = APIRouter(tags=["odata"])
SERVICE = "/v1/projects/{projectId}/forms/{xmlFormId}.svc"
# Submissions('uuid:…'): one submission, as Central answers it (a one-row page).
_ONE = re.compile(r"^Submissions\('((?:[^']|'')*)'\)$")


def _service_root(request: Request) -> str:
    path = request.url.path
    return str(request.app.state.settings.public_url) + path[: path.index(".svc") + len(".svc")]


@router.get(SERVICE)
def service(request: Request, projectId: int, xmlFormId: str, uow: ReadUoW,
            access: GrantedAccess) -> dict[str, Any]:
    form = readable_form(uow.session, access, projectId, xmlFormId)
    return service_document(_service_root(request), odata.form_plan(uow.session, form))


@router.get(SERVICE + "/$metadata")
def metadata(projectId: int, xmlFormId: str, uow: ReadUoW, access: GrantedAccess) -> Response:
    form = readable_form(uow.session, access, projectId, xmlFormId)
    document = edmx(odata.form_plan(uow.session, form), form.xml_form_id)
    return Response(document, media_type="application/xml")


@router.get(SERVICE + "/{table}")
def table(request: Request, projectId: int, xmlFormId: str, table: str, uow: WriteUoW,
          access: GrantedAccess) -> dict[str, Any]:
    one = _ONE.match(table)
    if one is None:
        return _read(request, uow, access, projectId, xmlFormId, table)
    only = odata.Navigation(one.group(1).replace("''", "'"), MAIN_TABLE, None)
    return _read(request, uow, access, projectId, xmlFormId, table, only)


@router.get(SERVICE + "/{table}/{path:path}")
def navigation(request: Request, projectId: int, xmlFormId: str, table: str, path: str,
               uow: WriteUoW, access: GrantedAccess) -> dict[str, Any]:
    """A row's navigation link: one submission's rows of a repeat table (no paging)."""
    followed = odata.parse_navigation(f"{table}/{path}")
    if followed is None:
        raise Problem(errors.NOT_FOUND, "No such OData resource.")
    return _read(request, uow, access, projectId, xmlFormId, f"{table}/{path}", followed)


def _read(request: Request, uow: UnitOfWork, access: Access, project_id: int,
          xml_form_id: str, resource: str, only: odata.Navigation | None = None,
          ) -> dict[str, Any]:
    session = uow.session
    form = readable_form(session, access, project_id, xml_form_id)
    plan = odata.form_plan(session, form)
    options = dict(request.query_params)
    if only is not None:  # one submission's rows: nothing to page through
        for key in ("$skiptoken", "$top", "$skip"):
            options.pop(key, None)
    parsed = odata.parse_table_query(plan, only.table_name if only else resource, options)
    visible = submission_scope(session, access, form)
    if only is not None:
        wanted = col(Submission.instance_id) == only.instance_id
        visible = wanted if visible is None else and_(visible, wanted)
    public_url = str(request.app.state.settings.public_url)
    links = odata.Links(_service_root(request), public_url + request.url.path,
                        request.query_params.multi_items())
    body = odata.read_table(session, form, plan, parsed, visible=visible, links=links)
    if only is not None:
        parent_key = parsed.table.parent_id_key
        if only.parent_id is not None and parent_key is not None:
            body["value"] = [r for r in body["value"] if r.get(parent_key) == only.parent_id]
        if only.table_name == MAIN_TABLE and not body["value"]:
            raise Problem(errors.NOT_FOUND, "No such submission.")
    if form.sensitive:  # reading a sensitive form's records is always on the record
        record_audit(session, access.principal.actor_id, "submission.read",
                     f"{form.xml_form_id}.svc/{resource}", request_id=request_id_of(request))
    uow.commit()
    return body


register({
    ("GET", SERVICE): "odata",
    ("GET", SERVICE + "/$metadata"): "odata",
    ("GET", SERVICE + "/{table}"): "odata",
    ("GET", SERVICE + "/{table}/{path:path}"): "odata",
})
