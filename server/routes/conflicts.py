"""Conflicts for review: list them, and resolve one by choosing a side or a value."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from server.auth.deps import GrantedAccess
from server.http.deps import ReadUoW, SettingsDep, WriteUoW
from server.policy_routes import register
from server.routes.sync import read_json
from server.services import sync_submissions  # noqa: F401  (registers the "submission" kind)
from server.services.audit import request_id_of
from server.services.conflicts import conflict_json, list_conflicts, parse_choice, resolve

router = APIRouter(tags=["sync"])
BASE = "/v1/projects/{projectId}/conflicts"


@router.get(BASE)
def conflicts(
    projectId: int, uow: ReadUoW, access: GrantedAccess, status: str | None = None
) -> list[dict[str, Any]]:
    rows = list_conflicts(uow.session, access, projectId, status)
    return [conflict_json(row) for row in rows]


@router.post(BASE + "/{conflictId}/resolve")
async def resolve_one(
    request: Request, projectId: int, conflictId: int, uow: WriteUoW, access: GrantedAccess,
    settings: SettingsDep,
) -> dict[str, Any]:
    choice = parse_choice(await read_json(request, settings.max_body_bytes))
    row = resolve(uow.session, projectId, conflictId, choice, access.principal.actor_id,
                  request_id_of(request))
    uow.commit()
    return conflict_json(row)


register({
    ("GET", BASE): "conflict.read",
    ("POST", BASE + "/{conflictId}/resolve"): "conflict.resolve",
})
