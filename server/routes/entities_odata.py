"""OData for entity lists: …/datasets/{name}.svc, its $metadata and the Entities table."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from forms.odata import entities_edmx, entities_service_document
from server.auth.deps import GrantedAccess
from server.http.backlog import BacklogCheck
from server.http.deps import ReadUoW
from server.policy_routes import register
from server.services.entity_access import reachable_dataset
from server.services.entity_csv import scope_of
from server.services.entity_lists import property_names
from server.services.entity_odata import EntityQuery, entities_page

router = APIRouter(tags=["odata"], dependencies=[BacklogCheck])
SERVICE = "/v1/projects/{projectId}/datasets/{name}.svc"
ODATA_HEADERS = {"OData-Version": "4.0"}


def _service_root(request: Request, project_id: int, name: str) -> str:
    base = request.app.state.settings.public_url
    return f"{base}/v1/projects/{project_id}/datasets/{name}.svc"


@router.get(SERVICE)
def service_document(request: Request, projectId: int, name: str, uow: ReadUoW,  # noqa: N803
                     access: GrantedAccess) -> Response:
    reachable_dataset(uow.session, access, projectId, name)
    body = entities_service_document(_service_root(request, projectId, name))
    return JSONResponse(body, headers=ODATA_HEADERS)


@router.get(SERVICE + "/$metadata")
def metadata(projectId: int, name: str, uow: ReadUoW,  # noqa: N803
             access: GrantedAccess) -> Response:
    dataset = reachable_dataset(uow.session, access, projectId, name)
    xml = entities_edmx(dataset.name, property_names(uow.session, dataset))
    return Response(xml, media_type="application/xml", headers=ODATA_HEADERS)


@router.get(SERVICE + "/Entities")
def entities(request: Request, projectId: int, name: str, uow: ReadUoW,  # noqa: N803
             access: GrantedAccess) -> Response:
    session = uow.session
    dataset = reachable_dataset(session, access, projectId, name)
    root = _service_root(request, projectId, name)
    query = EntityQuery(url=f"{root}/Entities", params=list(request.query_params.multi_items()),
                        service_root=root)
    body: dict[str, Any] = entities_page(session, dataset, scope_of(session, access), query)
    return JSONResponse(body, headers=ODATA_HEADERS)


register({
    ("GET", SERVICE): "entity.read",
    ("GET", SERVICE + "/$metadata"): "entity.read",
    ("GET", SERVICE + "/Entities"): "entity.read",
})
