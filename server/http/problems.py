"""Turn every error into application/problem+json (OpenRosa routes wrap it in XML instead)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from server import errors
from server.errors import Problem

log = logging.getLogger("kenesh.errors")

PROBLEM_JSON = "application/problem+json"

# Routes whose errors must be OpenRosa XML carry a renderer under this attribute (their route
# class); it is read from the matched route, so errors raised before any dependency ran are
# rendered the route's way too.
RENDERER_KEY = "problem_renderer"


def problem_response(request: Request, problem: Problem) -> Response:
    """Render `problem` for this request: OpenRosa XML where the route asked for it, else JSON."""
    renderer = getattr(request.scope.get("route"), RENDERER_KEY, None)
    if renderer is not None:
        return renderer(request, problem)  # type: ignore[no-any-return]
    headers = dict(problem.headers)
    rid = getattr(request.state, "request_id", None)
    body = problem.body()
    if rid:
        body.setdefault("requestId", rid)
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(request, exc)


async def _credentials_problem(request: Request) -> Problem | None:
    """The 401 or 403 a request gets when the policy gate has not passed it yet.

    FastAPI parses a body before any dependency runs, so a broken body would otherwise be
    answered before the credentials were checked, telling a caller without them what a route
    expects (and a phone 400 where ODK Collect needs 401).
    """
    if getattr(request.state, "access", None) is not None:  # the gate has let it through
        return None
    from server.auth.deps import policy_gate

    try:
        await policy_gate(request)
    except Problem as problem:
        return problem
    return None


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    refused = await _credentials_problem(request)
    if refused is not None:
        return problem_response(request, refused)
    details: list[dict[str, Any]] = [
        {"loc": [str(p) for p in e.get("loc", ())], "message": e.get("msg", "")}
        for e in exc.errors()
    ]
    summary = "; ".join(f"{'.'.join(d['loc'])}: {d['message']}" for d in details[:5])
    return problem_response(request, Problem(errors.REQUEST_INVALID, summary, errors=details))


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # a body FastAPI could not parse (e.g. broken multipart)
        refused = await _credentials_problem(request)
        if refused is not None:
            return problem_response(request, refused)
    kinds = {
        404: errors.ROUTE_NOT_FOUND,
        405: errors.METHOD_NOT_ALLOWED,
        413: errors.REQUEST_TOO_LARGE,
    }
    kind = kinds.get(exc.status_code)
    if kind is None:
        kind = errors.REQUEST_INVALID if exc.status_code < 500 else errors.INTERNAL
    detail = (
        exc.detail if isinstance(exc.detail, str) and exc.status_code not in (404, 405) else None
    )
    return problem_response(request, Problem(kind, detail, headers=dict(exc.headers or {})))


async def render_unhandled(request: Request, exc: Exception) -> Response:
    rid = getattr(request.state, "request_id", "-")
    # The traceback goes to the log only; the client gets the request id to quote.
    log.exception("unhandled error in request %s", rid, extra={"request_id": rid})
    return problem_response(
        request, Problem(errors.INTERNAL, f"An internal error occurred (request id {rid}).")
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into problem responses."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, render_unhandled)
