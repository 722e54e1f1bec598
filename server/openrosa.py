"""OpenRosa plumbing: the headers every OpenRosa response carries and the XML error envelope."""

from __future__ import annotations

from email.utils import formatdate
from xml.sax.saxutils import escape

from fastapi import Request
from fastapi.responses import Response

from server import errors
from server.errors import Problem

OPENROSA_NS = "http://openrosa.org/http/response"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"

OPENROSA_VERSION_MISSING = errors.register(
    "openrosa.version_required", 400, "OpenRosa requests must carry X-OpenRosa-Version: 1.0."
)


def openrosa_headers(request: Request) -> dict[str, str]:
    """Headers required on every OpenRosa response (formList, manifest, submission)."""
    return {
        "X-OpenRosa-Version": "1.0",
        "X-OpenRosa-Accept-Content-Length": str(request.app.state.settings.max_body_bytes),
        "Date": formatdate(usegmt=True),
    }


def openrosa_message(message: str, *, nature: str = "") -> str:
    """An <OpenRosaResponse> with one message (nature "error" for failures)."""
    return (
        f'<OpenRosaResponse xmlns="{OPENROSA_NS}" items="0">'
        f'<message nature="{nature}">{escape(message)}</message></OpenRosaResponse>'
    )


def openrosa_response(request: Request, body: str, status: int = 200) -> Response:
    """An OpenRosa XML response with the protocol headers."""
    return Response(
        content=body.encode("utf-8"),
        status_code=status,
        media_type=XML_CONTENT_TYPE,
        headers=openrosa_headers(request),
    )


def render_openrosa_problem(request: Request, problem: Problem) -> Response:
    """The problem as ODK Collect expects it: an OpenRosaResponse error with the right status."""
    response = openrosa_response(
        request, openrosa_message(problem.detail, nature="error"), problem.status
    )
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


async def openrosa_context(request: Request) -> None:
    """Route dependency: the protocol header is required (errors are XML by the route's class)."""
    if request.headers.get("x-openrosa-version") != "1.0":
        raise Problem(OPENROSA_VERSION_MISSING)
