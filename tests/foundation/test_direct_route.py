"""A DirectRoute serves its endpoint as FastAPI would, and refuses shapes it cannot serve."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi.testclient import TestClient

from server.http.direct_route import DirectRoute

calls: list[str] = []


async def app_gate(request: Request) -> None:
    calls.append("app gate")
    if request.headers.get("x-deny"):
        raise PermissionError("denied")


async def route_check(request: Request) -> None:
    calls.append("route check")


async def provide_session(request: Request) -> AsyncIterator[str]:
    calls.append("provider opened")
    try:
        yield "session-1"
    finally:
        calls.append("provider closed")


Session = Annotated[str, Depends(provide_session)]


async def endpoint(
    request: Request, itemId: int, name: str, session: Session, note: str | None = None
) -> Response:
    calls.append("endpoint")
    if note == "fail":
        raise ValueError("the endpoint failed")
    return Response(f"{itemId + 1}|{name}|{session}|{note}|{request.method}")


async def include_check(request: Request) -> None:
    calls.append("include check")


def _app(direct: bool, included: bool = True) -> FastAPI:
    """The route on a router included in the app (as Kenesh's routes are), or on the app's own."""
    app = FastAPI(dependencies=[Depends(app_gate)])
    router = APIRouter() if included else app.router
    router.add_api_route(
        "/items/{itemId}/{name}", endpoint, methods=["POST"],
        dependencies=[Depends(route_check)],
        route_class_override=DirectRoute if direct else None,
    )
    if included:
        app.include_router(router, dependencies=[Depends(include_check)])

    @app.exception_handler(PermissionError)
    async def denied(_request: Request, exc: PermissionError) -> Response:
        return Response(str(exc), status_code=403)

    return app


@pytest.fixture(params=["direct", "fastapi"])
def client(request: pytest.FixtureRequest) -> TestClient:
    calls.clear()
    return TestClient(_app(request.param == "direct"), raise_server_exceptions=False)


def test_parameters_and_dependencies_in_fastapis_order(client: TestClient) -> None:
    answer = client.post("/items/41/flask", params={"note": "a", "other": "b"})
    assert answer.status_code == 200
    assert answer.text == "42|flask|session-1|a|POST"
    assert calls == [
        "app gate", "include check", "route check", "provider opened", "endpoint",
        "provider closed",
    ]


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "fastapi"])
def test_a_route_on_the_apps_own_router_runs_the_gate_once(direct: bool) -> None:
    calls.clear()
    client = TestClient(_app(direct, included=False))
    assert client.post("/items/1/x").status_code == 200
    assert calls == ["app gate", "route check", "provider opened", "endpoint", "provider closed"]


def test_an_absent_query_parameter_is_none(client: TestClient) -> None:
    assert client.post("/items/1/x").text == "2|x|session-1|None|POST"


def test_a_path_parameter_that_is_not_a_number_is_a_422(client: TestClient) -> None:
    answer = client.post("/items/forty/x")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["path", "itemId"]
    assert "endpoint" not in calls


def test_the_app_gate_stops_the_request_before_anything_else(client: TestClient) -> None:
    answer = client.post("/items/1/x", headers={"x-deny": "1"})
    assert (answer.status_code, answer.text) == (403, "denied")
    assert calls == ["app gate"]  # and not the include's check, the route's or the endpoint


def test_the_provider_is_closed_when_the_endpoint_fails(client: TestClient) -> None:
    assert client.post("/items/1/x", params={"note": "fail"}).status_code == 500
    assert calls[-2:] == ["endpoint", "provider closed"]


def test_the_route_is_documented_like_any_other() -> None:
    direct, plain = (_app(flag).openapi()["paths"] for flag in (True, False))
    assert direct == plain
    names = [p["name"] for p in direct["/items/{itemId}/{name}"]["post"]["parameters"]]
    assert names == ["itemId", "name", "note"]


def _sync_endpoint(request: Request) -> Response:
    return Response()


async def _header_endpoint(request: Request, token: Annotated[str, Header()]) -> Response:
    return Response()


async def _list_query(request: Request, tag: list[str] | None = None) -> Response:
    return Response()


def _sync_check(request: Request) -> None:
    return None


async def _no_request() -> Response:
    return Response()


@pytest.mark.parametrize(
    ("endpoint_", "dependencies"),
    [
        (_sync_endpoint, []),
        (_header_endpoint, []),
        (_list_query, []),
        (_no_request, []),
        (endpoint, [Depends(_sync_check)]),
    ],
    ids=["sync endpoint", "header", "list query", "no request", "sync check"],
)
def test_a_shape_it_cannot_serve_is_refused_when_the_route_is_made(
    endpoint_, dependencies  # type: ignore[no-untyped-def]
) -> None:
    app = FastAPI()
    with pytest.raises(TypeError, match="direct route"):
        app.router.add_api_route(
            "/items/{itemId}/{name}", endpoint_, methods=["POST"], dependencies=dependencies,
            route_class_override=DirectRoute,
        )
