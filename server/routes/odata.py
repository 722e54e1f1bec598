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
from server.errors import Problem
from server.http.deps import ReadUoW, WriteUoW
from server.models import Submission
from server.policy_routes import register
from server.routes.form_access import readable_form
from server.services import odata
from server.services.audit import record_audit, request_id_of
from server.services.scope import load_scope, scope_filter

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
    session = uow.session
    form = readable_form(session, access, projectId, xmlFormId)
    plan = odata.form_plan(session, form)
    query_text = dict(request.query_params)
    one = _ONE.match(table)
    if one is not None:
        query_text.pop("$skiptoken", None)  # one row: nothing to page through
    parsed = odata.parse_table_query(plan, MAIN_TABLE if one else table, query_text)
    scope = load_scope(session, access, sensitive=form.sensitive)
    visible = scope_filter(access.principal, scope, submitter_col=Submission.submitter_id,
                           location_col=Submission.scope_value)
    if one is not None:
        wanted = col(Submission.instance_id) == one.group(1).replace("''", "'")
        visible = wanted if visible is None else and_(visible, wanted)
    links = odata.Links(_service_root(request), request.app.state.settings.public_url
                        + request.url.path, request.query_params.multi_items())
    body = odata.read_table(session, form, plan, parsed, visible=visible, links=links)
    if one is not None and not body["value"]:
        raise Problem(errors.NOT_FOUND, "No such submission.")
    if form.sensitive:  # reading a sensitive form's records is always on the record
        record_audit(session, access.principal.actor_id, "submission.read",
                     f"{form.xml_form_id}.svc/{table}", request_id=request_id_of(request))
    uow.commit()
    return body


register({
    ("GET", SERVICE): "odata",
    ("GET", SERVICE + "/$metadata"): "odata",
    ("GET", SERVICE + "/{table}"): "odata",
})
