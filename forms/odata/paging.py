"""Paging as Central pages: $top/$skip/$count, opaque $skiptoken, and @odata.nextLink."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from forms.odata.errors import invalid_skiptoken

_TOKEN_VERSION = "01"  # Central's version prefix of its skiptoken scheme
_TRUE = ("true", "1")


@dataclass(frozen=True)
class Paging:
    """The window a request asks for: $top (None = all), $skip, $count, $skiptoken."""

    top: int | None
    skip: int
    count: bool
    skiptoken: Mapping[str, Any] | None


def parse_paging(query: Mapping[str, str]) -> Paging:
    """$top, $skip, $count and $skiptoken from the query, read as Central reads them.

    Numbers that do not parse are ignored (Central's parseInt), negatives count as 0,
    $skip is ignored when a $skiptoken is given. Raises ODataError 400.35 for a bad token.
    """
    top = _leading_int(query.get("$top"))
    token_text = query.get("$skiptoken")
    token = parse_skiptoken(token_text) if token_text else None
    skip = 0 if token is not None else max(0, _leading_int(query.get("$skip")) or 0)
    return Paging(
        top=None if top is None else max(0, top),
        skip=skip,
        count=(query.get("$count") or "").lower() in _TRUE,
        skiptoken=token,
    )


def _leading_int(text: str | None) -> int | None:
    if text is None:
        return None
    digits = text.strip()
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    end = next((i for i, c in enumerate(digits) if not c.isascii() or not c.isdigit()),
               len(digits))
    return sign * int(digits[:end]) if end else None


def skiptoken(data: Mapping[str, Any]) -> str:
    """Central's $skiptoken: "01" then base64 of compact JSON, e.g. {"instanceId": "…"}.

    Central writes {"instanceId"} for Submissions, {"repeatId"} for repeat tables and
    {"uuid"} for entities: the last row sent, so the next page starts after it.
    """
    compact = json.dumps(dict(data), separators=(",", ":"), ensure_ascii=False)
    return _TOKEN_VERSION + base64.b64encode(compact.encode("utf-8")).decode("ascii")


def parse_skiptoken(token: str) -> dict[str, Any]:
    """The data of a $skiptoken; ODataError 400.35 when Kenesh did not write it."""
    if not token.startswith(_TOKEN_VERSION):
        raise invalid_skiptoken()
    try:
        parsed = json.loads(base64.b64decode(token[2:], validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_skiptoken() from None
    if not isinstance(parsed, dict):
        raise invalid_skiptoken()
    return parsed


def _form_encode(text: str) -> str:
    """application/x-www-form-urlencoded as browsers (and Central) write it."""
    return quote_plus(text, safe="*").replace("~", "%7E")


def next_link(
    request_url: str,
    query: Sequence[tuple[str, str]],
    *,
    remaining: int,
    token: Mapping[str, Any] | None,
) -> str | None:
    """@odata.nextLink, or None when nothing remains after this page.

    `request_url` is the absolute URL of the request without its query (the path as the
    client sent it); `query` its decoded parameters in order. As Central: $skip is
    dropped, $skiptoken (from `token`, the last row sent) replaces any earlier one, every
    other parameter is kept, and the query is form-encoded ("$" as %24, " " as +).
    """
    if token is None or remaining <= 0:
        return None
    params: list[tuple[str, str]] = []
    placed = False
    for key, value in query:
        if key == "$skip":
            continue
        if key == "$skiptoken":
            if not placed:
                params.append((key, skiptoken(token)))
                placed = True
            continue
        params.append((key, value))
    if not placed:
        params.append(("$skiptoken", skiptoken(token)))
    encoded = "&".join(f"{_form_encode(k)}={_form_encode(v)}" for k, v in params)
    return f"{request_url}?{encoded}"


def page(
    service_root: str,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    next_url: str | None = None,
    count: int | None = None,
) -> dict[str, Any]:
    """The JSON body of one page of a table, with Central's keys in Central's order.

    `service_root` is e.g. "https://host/v1/projects/1/forms/survey.svc"; `count` is
    given only when the request asked for $count=true (the total matching rows).
    """
    body: dict[str, Any] = {
        "value": list(rows),
        "@odata.context": f"{service_root}/$metadata#{table}",
    }
    if next_url is not None:
        body["@odata.nextLink"] = next_url
    if count is not None:
        body["@odata.count"] = count
    return body


