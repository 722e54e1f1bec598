"""Reading request bodies that routes share."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from server import errors
from server.errors import Problem


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; 400 for anything else (an empty body is {})."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise Problem(errors.REQUEST_INVALID, "The body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise Problem(errors.REQUEST_INVALID, "The body must be a JSON object.")
    return body
