"""The sync API for devices: push ops, pull changes, and the quarantine of rejected ops."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError

from server import errors
from server.auth.deps import GrantedAccess
from server.errors import Problem
from server.http.backlog import BacklogCheck
from server.http.deps import ReadUoW, SettingsDep, WriteUoW
from server.models.base import iso
from server.policy_routes import register
from server.services import sync_submissions  # noqa: F401  (registers the "submission" kind)
from server.services.audit import request_id_of
from server.services.sync_pull import pull
from server.services.sync_push import push
from server.services.sync_quarantine import list_quarantined

router = APIRouter(tags=["sync"])
BASE = "/v1/projects/{projectId}/sync"
SYNC_BUSY = errors.register(
    "sync.busy", 503, "The server is busy with concurrent writes to these records; retry."
)
BODY_UNREADABLE = errors.register(
    "request.body_unreadable", 400, "The request body is not valid (gzip) JSON."
)
# PostgreSQL's "deadlock detected" and "could not serialize": the client retries the push.
_RETRYABLE_SQLSTATES = {"40P01", "40001"}
_GZIP_MIN_BYTES = 1024


async def read_json(request: Request, max_bytes: int) -> Any:
    """The JSON body, gunzipped when Content-Encoding says gzip, never beyond ``max_bytes``."""
    raw = await request.body()
    if request.headers.get("content-encoding", "").lower() == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, max_bytes + 1)
        except zlib.error:
            raise Problem(BODY_UNREADABLE, "The body is not valid gzip.") from None
        if len(raw) > max_bytes or inflater.unconsumed_tail:
            raise Problem(errors.REQUEST_TOO_LARGE)  # a zip bomb, or just too much
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Problem(BODY_UNREADABLE) from None


def json_answer(request: Request, payload: Any) -> Response:
    """A JSON response, gzipped when the client accepts it and it is worth it."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Vary": "Accept-Encoding"}
    if len(body) >= _GZIP_MIN_BYTES and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)


@router.post(BASE + "/push")
async def push_ops(
    request: Request, projectId: int, uow: WriteUoW, access: GrantedAccess,
    settings: SettingsDep,
) -> Response:
    body = await read_json(request, settings.max_body_bytes)
    try:
        answer = push(uow.session, access, projectId, body, max_skew_ms=settings.max_clock_skew_ms)
        uow.commit()
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
            raise Problem(SYNC_BUSY, headers={"Retry-After": "1"}) from None
        raise
    return json_answer(request, answer)


@router.get(BASE + "/pull", dependencies=[BacklogCheck])
def pull_changes(
    request: Request, projectId: int, uow: ReadUoW, access: GrantedAccess,
    cursor: str | None = None, limit: int | None = None,
) -> Response:
    answer = pull(uow.session, access, projectId, cursor, limit,
                  request_id=request_id_of(request))
    return json_answer(request, answer)


@router.get(BASE + "/quarantine")
def quarantine(projectId: int, uow: ReadUoW, access: GrantedAccess) -> list[dict[str, Any]]:
    """The ops the push set aside in this project, oldest first."""
    return [
        {"id": r.id, "device_id": r.device_id, "actor_id": r.actor_id, "op_id": r.op_id,
         "op": r.op, "error": r.error, "created_at": iso(r.created_at)}
        for r in list_quarantined(uow.session, projectId)
    ]


register({
    ("POST", BASE + "/push"): "sync",
    ("GET", BASE + "/pull"): "sync",
    ("GET", BASE + "/quarantine"): "sync.quarantine",
})
