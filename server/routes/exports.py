"""Exports over ODK Central's routes: submissions.csv.zip, .csv, and Kenesh's .xlsx and .geojson."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from threading import Event
from typing import Any

import anyio
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from server.auth.deps import GrantedAccess
from server.http.deps import WriteUoW
from server.policy_routes import register
from server.routes.form_access import content_disposition, readable_form
from server.services import exports
from server.services.audit import request_id_of
from server.services.export_query import ExportCancelled
from server.services.scope import submission_scope

router = APIRouter(tags=["exports"])
BASE = "/v1/projects/{projectId}/forms/{xmlFormId}/submissions"


class ExportResponse(StreamingResponse):
    """Streams a synchronous generator, stops it when the client goes, and closes it.

    Each chunk is produced in the thread pool, and a thread cannot be interrupted: a chunk
    may take many rows (a compressor that has nothing to emit yet, rows a filter drops).
    So the generator is made with `stop`, an Event its row source looks at before every row,
    and `stop` is set the moment the server reports the disconnect, while that thread still
    runs. Closing the generator then runs its `finally`, which ends the query and gives the
    database connection back instead of leaving it to the garbage collector.
    """

    def __init__(self, source: Iterator[bytes], stop: Event, **kwargs: Any) -> None:
        self._source = source
        self._stop = stop
        super().__init__(self._chunks(), **kwargs)

    async def _chunks(self) -> AsyncIterator[bytes]:
        while True:
            try:
                chunk = await run_in_threadpool(next, self._source, None)
            except ExportCancelled:
                # Only a disconnect sets `stop`, and Starlette's listener is cancelling this
                # task: returning instead would send the end of a body cut short.
                await anyio.sleep_forever()
            if chunk is None:
                return
            if chunk:
                yield chunk

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def watched() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                self._stop.set()
            return message

        try:
            await super().__call__(scope, watched, send)
        finally:
            # Also when sending failed (ASGI 2.4 servers report a disconnect only that way).
            self._stop.set()
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(self._source.close)  # type: ignore[attr-defined]


def _export(request: Request, project_id: int, xml_form_id: str, uow: Any, access: Any,
            fmt: exports.Format) -> ExportResponse:
    session = uow.session
    form = readable_form(session, access, project_id, xml_form_id)
    options = exports.options_from_query(fmt, request.query_params)
    job = exports.prepare_export(session, form, options, submission_scope(session, access, form))
    # The audit row is committed before the first byte: a stream cut short is still on record.
    exports.audit_export(session, access.principal.actor_id, job, request_id_of(request),
                         projectId=project_id)
    uow.commit()
    settings = request.app.state.settings
    stop = Event()
    source = exports.stream_export(request.app.state.engine, job, data_dir=settings.data_dir,
                                   stop=stop)
    return ExportResponse(
        source, stop, media_type=job.media_type,
        headers={"Content-Disposition": content_disposition(job.filename),
                 "Cache-Control": "no-store"},
    )


@router.get(BASE + ".csv.zip")
def csv_zip(request: Request, projectId: int, xmlFormId: str, uow: WriteUoW,
            access: GrantedAccess) -> ExportResponse:
    """Every table as CSV in a zip (with the submissions' files unless attachments=false)."""
    return _export(request, projectId, xmlFormId, uow, access, "csv.zip")


@router.get(BASE + ".csv")
def csv_main(request: Request, projectId: int, xmlFormId: str, uow: WriteUoW,
             access: GrantedAccess) -> ExportResponse:
    """The main table alone as CSV."""
    return _export(request, projectId, xmlFormId, uow, access, "csv")


@router.get(BASE + ".xlsx")
def xlsx(request: Request, projectId: int, xmlFormId: str, uow: WriteUoW,
         access: GrantedAccess) -> ExportResponse:
    """A workbook: the main sheet, then one sheet per repeat, with a row of labels."""
    return _export(request, projectId, xmlFormId, uow, access, "xlsx")


@router.get(BASE + ".geojson")
def geojson(request: Request, projectId: int, xmlFormId: str, uow: WriteUoW,
            access: GrantedAccess) -> ExportResponse:
    """A FeatureCollection of the geopoint answers, the other fields as properties."""
    return _export(request, projectId, xmlFormId, uow, access, "geojson")


register({
    ("GET", BASE + ".csv.zip"): "export",
    ("GET", BASE + ".csv"): "export",
    ("GET", BASE + ".xlsx"): "export",
    ("GET", BASE + ".geojson"): "export",
})
