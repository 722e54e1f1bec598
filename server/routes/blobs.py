"""PUT …/blobs/{sha256}: a device uploads an attachment before the op that references it."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server import errors
from server.auth.deps import GrantedAccess
from server.errors import Problem
from server.http.deps import SettingsDep, WriteUoW
from server.policy_routes import register
from server.services.blobs import ensure_blob, find_blob
from server.storage import store_async_stream

router = APIRouter(tags=["sync"])
PATH = "/v1/projects/{projectId}/blobs/{sha256}"
_SHA256 = re.compile(r"[0-9a-f]{64}")
BLOB_HASH_MISMATCH = errors.register(
    "blob.hash_mismatch", 400, "The uploaded content does not have the sha256 named in the URL."
)


@router.put(PATH)
async def upload_blob(
    request: Request, projectId: int, sha256: str, uow: WriteUoW, access: GrantedAccess,
    settings: SettingsDep,
) -> Response:
    """Idempotent: 201 when the content is new, 200 when the server already had it.

    The body is streamed to a temporary file beside the store, hashed on the way, fsynced and
    renamed into place (server/storage.py), so a crash never leaves a partial blob behind.
    """
    if not _SHA256.fullmatch(sha256):
        raise Problem(errors.REQUEST_INVALID, "The blob name must be a lowercase sha256.")
    if find_blob(uow.session, sha256) is not None:
        return Response(status_code=200)
    stored = await store_async_stream(
        settings.data_dir, request.stream(), max_bytes=settings.max_body_bytes
    )
    if stored.sha256 != sha256:
        # The file sits under its real hash, where nothing refers to it unless it is uploaded
        # under that name later: content addressing makes the stray copy harmless.
        raise Problem(BLOB_HASH_MISMATCH, f"The content's sha256 is {stored.sha256}.")
    ensure_blob(uow.session, stored, request.headers.get("content-type"))
    uow.commit()
    return Response(status_code=201)


register({("PUT", PATH): "sync"})
