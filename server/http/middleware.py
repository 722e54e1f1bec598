"""ASGI middleware: request ids, one JSON log line per request, and the body size limit."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import errors
from server.errors import Problem
from server.http.deps import close_request_write_uow
from server.http.problems import problem_response, render_unhandled

access_log = logging.getLogger("kenesh.access")


class BodyTooLarge(HTTPException):
    """The client sent more bytes than the configured limit (an HTTP 413 wherever it surfaces)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body exceeds the limit of {limit} bytes.")


class RequestContextMiddleware:
    """Gives each request an id (echoed in X-Request-Id) and logs one JSON line when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        response_started = False

        async def send_tracked(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send_with_id(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            # Answer here rather than in Starlette's outermost handler, so the 500 carries the id.
            if response_started:
                raise
            response = await render_unhandled(Request(scope, receive), exc)
            await response(scope, receive, send_tracked)
        finally:
            close_request_write_uow(scope["state"])
            if access_log.isEnabledFor(logging.INFO):
                _log_request(scope, request_id, status, started)


def _log_request(scope: Scope, request_id: str, status: int, started: float) -> None:
    route = scope.get("route")
    access_log.info(
        json.dumps(
            {
                "event": "request",
                "request_id": request_id,
                "method": scope.get("method"),
                "path": getattr(route, "path", None) or "<unmatched>",
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
        )
    )


class BodyLimitMiddleware:
    """Answers 413 when a body is larger than `max_bytes`, declared or streamed (chunked)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_too_large(scope, receive, send, self.max_bytes)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_too_large(scope, receive, send, self.max_bytes)


async def _send_too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    # Answered before routing, yet shaped as the route would answer: OpenRosa routes in their
    # XML envelope, which ODK Collect shows, every other route as a problem document.
    scope["route"] = _route_of(scope)
    response = problem_response(
        Request(scope, receive),
        Problem(errors.REQUEST_TOO_LARGE, f"The request body exceeds the limit of {limit} bytes."),
    )
    # The rest of the body is never read: the connection cannot carry another request.
    response.headers["connection"] = "close"
    await response(scope, receive, send)


def _route_of(scope: Scope, routes: Any = None) -> Any:
    """The route that routing would pick for this request, or None."""
    if routes is None:
        routes = getattr(getattr(scope.get("app"), "router", None), "routes", ())
    for route in routes:
        # FastAPI wraps each included router; its routes carry their full paths.
        included = getattr(route, "original_router", None)
        if included is not None:
            found = _route_of(scope, included.routes)
            if found is not None:
                return found
            continue
        match, _child = route.matches(scope)
        if match is Match.FULL:
            return route
    return None
