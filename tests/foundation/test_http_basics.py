"""Health probes, problem documents, request ids and the body size limit."""

from __future__ import annotations

import socket
from typing import Any

from fastapi import APIRouter, Request
from fastapi.testclient import TestClient
from sqlalchemy import text

from server.app import create_app

PROBLEM = "application/problem+json"


def test_healthz_answers_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_migrations_are_at_head(client) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readyz_is_503_with_the_reason_when_migrations_are_behind(settings, tmp_path) -> None:
    from server.db import make_engine

    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(settings, engine=empty)) as c:
        response = c.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "server.not_ready"
    assert "kenesh db upgrade" in response.json()["detail"]


def _unreachable_database_url(backend: str, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        (tmp_path / "gone").mkdir()
        return f"sqlite:///{tmp_path / 'gone'}"  # a folder: SQLite cannot open it
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/test"


def test_readyz_is_503_with_the_reason_when_the_database_is_unreachable(
    settings, backend, tmp_path
) -> None:
    from server.db import make_engine

    unreachable = make_engine(_unreachable_database_url(backend, tmp_path))
    with TestClient(create_app(settings, engine=unreachable)) as c:
        response = c.get("/readyz")
        assert c.get("/healthz").status_code == 200  # alive, only not ready
    unreachable.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "server.not_ready"
    assert response.json()["detail"].startswith("database unreachable")


def test_unknown_path_is_a_404_problem(client) -> None:
    response = client.get("/v1/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "route.not_found"
    assert {"type", "title", "status", "detail"} <= set(body)


def test_every_response_carries_a_request_id(client) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    assert len(client.get("/healthz").headers["x-request-id"]) == 32


def failing_route_response(app) -> Any:  # type: ignore[no-untyped-def]
    """GET a route added to `app` that raises "secret internals"."""
    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as c:
        return c.get("/boom")


def test_an_unhandled_error_is_a_500_problem_with_the_request_id_and_no_traceback(app) -> None:
    response = failing_route_response(app)
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "server.internal"
    assert body["requestId"] == response.headers["x-request-id"]
    assert "secret internals" not in response.text


def _echo_router() -> APIRouter:
    router = APIRouter()

    @router.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    return router


def test_a_declared_body_above_the_limit_gets_413(settings, engine) -> None:
    settings.max_body_bytes = 1000
    app = create_app(settings, engine=engine)
    app.include_router(_echo_router())
    with TestClient(app) as c:
        assert c.post("/echo", content=b"x" * 999).json() == {"size": 999}
        response = c.post("/echo", content=b"x" * 1001)
    assert response.status_code == 413
    assert response.json()["code"] == "request.too_large"


def test_a_chunked_body_above_the_limit_gets_413(settings, engine) -> None:
    settings.max_body_bytes = 1000
    app = create_app(settings, engine=engine)
    app.include_router(_echo_router())

    def chunks():  # no Content-Length: the limit must count streamed bytes
        for _ in range(5):
            yield b"y" * 300

    with TestClient(app) as c:
        response = c.post("/echo", content=chunks())
    assert response.status_code == 413
    assert response.json()["code"] == "request.too_large"


def test_openapi_docs_are_served(client) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "Kenesh"


def test_database_session_is_usable_from_the_app(engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
