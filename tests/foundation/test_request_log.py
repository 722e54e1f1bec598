"""One JSON log line per request, tracebacks in the log only, and app user keys never logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from tests.factories import headers_for, make_app_user, make_project, make_user
from tests.foundation.test_http_basics import failing_route_response


class _Lines(logging.Handler):
    """Every record of the `kenesh` loggers, formatted as the server prints them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def requests(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.lines if line.startswith('{"event": "request"')]


@pytest.fixture
def log(app) -> Iterator[_Lines]:  # type: ignore[no-untyped-def]
    # After create_app, which configured the `kenesh` logger (it does not propagate).
    handler = _Lines()
    logger = logging.getLogger("kenesh")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def test_each_request_logs_one_json_line_with_its_route_template(app, client, engine, log) -> None:
    project = make_project(engine)
    admin = headers_for(app, make_user(engine, "admin@example.kg", admin=True))
    response = client.get(f"/v1/projects/{project}", headers={**admin, "X-Request-Id": "trace-42"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-42"
    [line] = log.requests()
    assert set(line) == {"event", "request_id", "method", "path", "status", "duration_ms"}
    assert line["request_id"] == "trace-42"
    assert line["method"] == "GET"
    assert line["path"] == "/v1/projects/{projectId}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0


def test_a_generated_request_id_is_echoed_and_logged(client, log) -> None:
    response = client.get("/v1/no/such/route")
    assert response.status_code == 404
    [line] = log.requests()
    assert line["request_id"] == response.headers["x-request-id"] == response.json()["requestId"]
    assert (line["path"], line["status"]) == ("<unmatched>", 404)


def test_an_unhandled_error_sends_its_traceback_to_the_log_only(app, log) -> None:
    response = failing_route_response(app)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    request_id = response.headers["x-request-id"]
    assert response.json()["requestId"] == request_id
    assert request_id in response.json()["detail"]
    assert "secret internals" not in response.text and "Traceback" not in response.text
    [error] = [line for line in log.lines if "Traceback" in line]
    assert request_id in error
    assert "RuntimeError: secret internals" in error
    assert [(r["path"], r["status"]) for r in log.requests()] == [("/boom", 500)]


def test_app_user_keys_never_appear_in_the_log(client, engine, log) -> None:
    project = make_project(engine)
    _actor, key = make_app_user(engine, project)
    revoked_or_unknown = "A" * 64
    openrosa = {"X-OpenRosa-Version": "1.0"}
    statuses = [
        client.get(f"/v1/key/{key}/projects/{project}/formList", headers=openrosa).status_code,
        client.get(f"/v1/key/{revoked_or_unknown}/projects/{project}/formList",
                   headers=openrosa).status_code,
        client.get(f"/v1/key/{key}/projects/{project}/no-such-thing").status_code,
        client.get("/v1/users/current", headers={"Authorization": f"Bearer {key}"}).status_code,
    ]
    assert statuses == [200, 403, 404, 403]
    paths = [line["path"] for line in log.requests()]
    assert paths == [
        "/v1/key/{token}/projects/{projectId}/formList",
        "/v1/key/{token}/projects/{projectId}/formList",
        "<unmatched>",
        "/v1/users/current",
    ]
    everything = "\n".join(log.lines)
    assert key not in everything and revoked_or_unknown not in everything
