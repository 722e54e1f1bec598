"""Entity lists over ODK Central's REST API: list, create, read, properties, CSV, integrity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.auth.deps import GrantedAccess
from server.http.backlog import BacklogCheck, check_entity_backlog
from server.http.body import json_object
from server.http.deps import ReadUoW, WriteUoW
from server.openrosa import openrosa_response
from server.policy_routes import register
from server.routes.form_access import content_disposition
from server.services import entity_lists as lists
from server.services.entity_access import reachable_dataset, reachable_datasets
from server.services.entity_csv import (
    csv_download,
    integrity_xml,
    scope_of,
    slot_dataset,
)

router = APIRouter(tags=["datasets"], dependencies=[BacklogCheck])
DATASETS = "/v1/projects/{projectId}/datasets"
DATASET = DATASETS + "/{name}"
# ODK Collect set up with an app user's key URL checks deleted entities under it.
KEY_DATASET = "/v1/key/{token}/projects/{projectId}/datasets/{name}"
SUCCESS = {"success": True}




def _extended(request: Request) -> bool:
    return (request.headers.get("x-extended-metadata") or "").lower() == "true"


@router.get(DATASETS)
def list_datasets(request: Request, projectId: int, uow: ReadUoW,  # noqa: N803
                  access: GrantedAccess) -> list[dict[str, Any]]:
    session = uow.session
    return [
        lists.dataset_json(d, lists.extended_counts(session, d) if _extended(request) else None)
        for d in reachable_datasets(session, access, lists.list_datasets(session, projectId))
    ]


@router.post(DATASETS)
async def create_dataset(request: Request, projectId: int, uow: WriteUoW,  # noqa: N803
                         access: GrantedAccess) -> dict[str, Any]:
    body = await json_object(request)
    dataset = lists.create_dataset(uow.session, projectId, body.get("name"),
                                   body.get("approvalRequired", False))
    result = lists.dataset_metadata_json(uow.session, dataset)
    uow.commit()
    return result


@router.get(DATASET)
def get_dataset(projectId: int, name: str, uow: ReadUoW,  # noqa: N803
                access: GrantedAccess) -> dict[str, Any]:
    dataset = reachable_dataset(uow.session, access, projectId, name)
    return lists.dataset_metadata_json(uow.session, dataset)


@router.patch(DATASET)
async def update_dataset(request: Request, projectId: int, name: str, uow: WriteUoW,  # noqa: N803
                         access: GrantedAccess, convert: str | None = None) -> dict[str, Any]:
    body = await json_object(request)
    dataset = lists.update_dataset(uow.session, lists.get_dataset(uow.session, projectId, name),
                                   body, convert)
    result = lists.dataset_metadata_json(uow.session, dataset)
    uow.commit()
    return result


@router.post(DATASET + "/properties")
async def add_property(request: Request, projectId: int, name: str, uow: WriteUoW,  # noqa: N803
                       access: GrantedAccess) -> dict[str, bool]:
    body = await json_object(request)
    lists.add_property(uow.session, lists.get_dataset(uow.session, projectId, name),
                       body.get("name"))
    uow.commit()
    return SUCCESS


@router.get(DATASET + "/entities.csv")
def download_csv(request: Request, projectId: int, name: str, uow: ReadUoW,  # noqa: N803
                 access: GrantedAccess) -> Response:
    dataset = reachable_dataset(uow.session, access, projectId, name)
    status, body, headers = csv_download(uow.session, access, dataset,
                                         request.headers.get("if-none-match"))
    headers["Content-Disposition"] = content_disposition(f"{name}.csv")
    return Response(body, status_code=status, media_type="text/csv; charset=utf-8",
                    headers=headers)


@router.get(DATASET + "/integrity")
@router.get(KEY_DATASET + "/integrity")
def integrity(request: Request, projectId: int, name: str, uow: ReadUoW,  # noqa: N803
              access: GrantedAccess, id: str | None = None) -> Response:  # noqa: A002
    session = uow.session
    dataset = reachable_dataset(session, access, projectId, name)
    ids = [i.strip().lower() for i in (id or "").split(",") if i.strip()]
    return openrosa_response(request, integrity_xml(session, dataset, scope_of(session, access),
                                                    ids))


def entity_list_attachment(session: Any, access: Any, definition: Any, name: str,
                           request: Request) -> Response | None:
    """A form's file slot `<list>.csv` left empty is served from the entity list (else None)."""
    dataset = slot_dataset(session, definition, name)
    if dataset is None:
        return None
    check_entity_backlog(request)
    status, body, headers = csv_download(session, access, dataset,
                                         request.headers.get("if-none-match"))
    headers["Content-Disposition"] = content_disposition(name)
    return Response(body, status_code=status, media_type="text/csv; charset=utf-8",
                    headers=headers)


register({
    ("GET", DATASETS): "dataset.read",
    ("POST", DATASETS): "dataset.manage",
    ("GET", DATASET): "dataset.read",
    ("PATCH", DATASET): "dataset.manage",
    ("POST", DATASET + "/properties"): "dataset.manage",
    ("GET", DATASET + "/entities.csv"): "entity.read",
    ("GET", DATASET + "/integrity"): "entity.read",
    ("GET", KEY_DATASET + "/integrity"): "entity.read",
})
