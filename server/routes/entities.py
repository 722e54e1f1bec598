"""Entities over ODK Central's REST API: list, create (one or bulk), read, PATCH, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from server.auth.deps import GrantedAccess
from server.http.backlog import BacklogCheck
from server.http.deps import ReadUoW, WriteUoW
from server.policy_routes import register
from server.routes.datasets import DATASET, SUCCESS, json_object
from server.services import entity_records, entity_rest
from server.services.entities import Writer, current_def, get_entity, list_defs
from server.services.entity_access import reachable_dataset
from server.services.entity_csv import scope_of, visible_clause
from server.services.entity_views import entity_json, history_json, list_entities

router = APIRouter(tags=["entities"], dependencies=[BacklogCheck])
assert entity_records.ENTITY_KIND  # importing it registers the "entity" sync record kind
ENTITIES = DATASET + "/entities"
ENTITY = ENTITIES + "/{uuid}"


def writer_of(request: Request) -> Writer:
    """A REST caller as the writer of entity versions."""
    actor_id = request.state.principal.actor_id
    return Writer(actor_id, f"user:{actor_id}", request.headers.get("user-agent"))


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _scoped_entity(session: Any, access: Any, dataset: Any, uuid: str, **kw: Any) -> Any:
    """The entity, 404 when it is out of the caller's record scope."""
    return get_entity(session, dataset, uuid, visible=visible_clause(scope_of(session, access)),
                      **kw)


@router.get(ENTITIES)
def list_all(projectId: int, name: str, uow: ReadUoW, access: GrantedAccess,  # noqa: N803
             deleted: str | None = None) -> list[dict[str, Any]]:
    dataset = reachable_dataset(uow.session, access, projectId, name)
    visible = visible_clause(scope_of(uow.session, access))
    return list_entities(uow.session, dataset, deleted=_is_true(deleted), visible=visible)


@router.post(ENTITIES)
async def create(request: Request, projectId: int, name: str, uow: WriteUoW,  # noqa: N803
                 access: GrantedAccess) -> dict[str, Any]:
    body = await json_object(request)
    dataset = reachable_dataset(uow.session, access, projectId, name)
    writer = writer_of(request)
    if "entities" in body:
        entity_rest.create_entities(uow.session, dataset, body["entities"], writer)
        uow.commit()
        return SUCCESS
    applied = entity_rest.create_entity(uow.session, dataset, body, writer)
    result = entity_json(applied.entity, applied.definition)
    uow.commit()
    return result


@router.get(ENTITY)
def get_one(projectId: int, name: str, uuid: str, uow: ReadUoW,  # noqa: N803
            access: GrantedAccess) -> dict[str, Any]:
    dataset = reachable_dataset(uow.session, access, projectId, name)
    entity = _scoped_entity(uow.session, access, dataset, uuid)
    return entity_json(entity, current_def(uow.session, entity))


@router.patch(ENTITY)
async def patch(request: Request, projectId: int, name: str, uuid: str,  # noqa: N803
                uow: WriteUoW, access: GrantedAccess, baseVersion: str | None = None,  # noqa: N803
                force: str | None = None, resolve: str | None = None) -> dict[str, Any]:
    body = await json_object(request)
    dataset = reachable_dataset(uow.session, access, projectId, name)
    _scoped_entity(uow.session, access, dataset, uuid)
    entity = entity_rest.update_entity(
        uow.session, dataset, uuid, body, writer_of(request), base_version=baseVersion,
        force=_is_true(force), resolve=_is_true(resolve),
    )
    result = entity_json(entity, current_def(uow.session, entity))
    uow.commit()
    return result


@router.delete(ENTITY)
def delete(request: Request, projectId: int, name: str, uuid: str, uow: WriteUoW,  # noqa: N803
           access: GrantedAccess) -> dict[str, bool]:
    dataset = reachable_dataset(uow.session, access, projectId, name)
    _scoped_entity(uow.session, access, dataset, uuid)
    entity_rest.delete_entity(uow.session, dataset, uuid, writer_of(request))
    uow.commit()
    return SUCCESS


@router.post(ENTITY + "/restore")
def restore(request: Request, projectId: int, name: str, uuid: str, uow: WriteUoW,  # noqa: N803
            access: GrantedAccess) -> dict[str, bool]:
    dataset = reachable_dataset(uow.session, access, projectId, name)
    _scoped_entity(uow.session, access, dataset, uuid, deleted=True)
    entity_rest.restore_entity(uow.session, dataset, uuid, writer_of(request))
    uow.commit()
    return SUCCESS


@router.get(ENTITY + "/versions")
def versions(projectId: int, name: str, uuid: str, uow: ReadUoW,  # noqa: N803
             access: GrantedAccess) -> list[dict[str, Any]]:
    dataset = reachable_dataset(uow.session, access, projectId, name)
    entity = _scoped_entity(uow.session, access, dataset, uuid)
    return [history_json(d) for d in list_defs(uow.session, entity)]


SUBMISSION_ENTITIES = "/v1/projects/{projectId}/forms/{xmlFormId}/submissions/{instanceId}/entities"


@router.get(SUBMISSION_ENTITIES)
def submission_entities(projectId: int, xmlFormId: str, instanceId: str,  # noqa: N803
                        uow: ReadUoW, access: GrantedAccess) -> list[dict[str, Any]]:
    """What the submission did to entities: applied, held, pending approval, or the error."""
    from server.routes.form_access import readable_submission
    from server.services.entity_views import submission_entity_json, submission_entity_rows

    session = uow.session
    _, submission = readable_submission(session, access, projectId, xmlFormId, instanceId)
    return [submission_entity_json(r) for r in submission_entity_rows(session, submission)]


register({
    ("GET", SUBMISSION_ENTITIES): "submission.read",
    ("GET", ENTITIES): "entity.read",
    ("POST", ENTITIES): "entity.update",
    ("GET", ENTITY): "entity.read",
    ("PATCH", ENTITY): "entity.update",
    ("DELETE", ENTITY): "entity.update",
    ("POST", ENTITY + "/restore"): "entity.update",
    ("GET", ENTITY + "/versions"): "entity.read",
})
