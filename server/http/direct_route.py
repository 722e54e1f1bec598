"""A route FastAPI documents like any other, served without solving its dependencies per request.

On every request FastAPI's handler walks the route's dependency graph, validates each parameter
with pydantic and opens exit stacks for the dependencies that yield: for a phone's submission,
the hottest route, that machinery was 6 % of the server's instructions (callgrind, 2026-11-30:
8.55M per submission with it, 8.05M without). A DirectRoute serves its endpoint by a plan made once, when the
route is made, and accepts only the endpoint shapes the plan can serve the way FastAPI would:

- the `Request`; `int` and `str` path parameters; optional `str` query parameters;
- dependencies that take the request alone: checks (`async def check(request) -> None`) and
  providers (`async def provide(request)` yielding one value, closed when the endpoint returns).

Any other shape (a body, headers, a sub-dependency, a sync function) is a TypeError when the route
is made, so a changed endpoint cannot be served wrongly. The dependencies run in FastAPI's order:
the app's (the policy gate) and the include's first, then the route's, then the endpoint's.
`app.dependency_overrides` is not consulted.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import fastapi.routing
from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute


@dataclass(frozen=True)
class _Plan:
    call: Callable[..., Any]
    request_name: str
    checks: tuple[Callable[[Request], Any], ...]
    providers: tuple[tuple[str, Callable[[Request], Any]], ...]
    path: tuple[tuple[str, str, type], ...]  # parameter, alias, int or str
    query: tuple[tuple[str, str], ...]  # parameter, alias


class DirectRoute(APIRoute):
    """An APIRoute whose requests are served by `serve_direct` (see the module)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        plan = plan_of(_effective_dependant(self))

        async def handler(request: Request) -> Response:
            return await serve_direct(plan, request)

        return handler


def _effective_dependant(route: APIRoute) -> Dependant:
    # A route of an included router is served with the dependencies of its inclusion (the app's
    # and the include's) before its own. FastAPI builds that dependant and calls this route's
    # get_route_handler with it in a context variable, which its own handler reads as here;
    # FastAPI versions before that one copy the route with the dependencies in its dependant.
    context_var = getattr(fastapi.routing, "_effective_route_context_var", None)
    context = context_var.get() if context_var is not None else None
    if context is not None and context.original_route is route:
        return context.dependant  # type: ignore[no-any-return]
    return route.dependant


def plan_of(dependant: Dependant) -> _Plan:
    """How to call the endpoint of `dependant`; TypeError for a shape the plan cannot serve."""
    call = dependant.call
    if call is None or not inspect.iscoroutinefunction(call) or dependant.request_param_name is None:
        raise TypeError("a direct route's endpoint is an async function taking the Request")
    if dependant.body_params or dependant.header_params or dependant.cookie_params:
        raise TypeError(f"{call.__name__}: a direct route reads no body, header or cookie")
    _no_other_params(dependant)
    checks, providers = [], []
    for dependency in dependant.dependencies:
        _takes_request_alone(dependency)
        if dependency.name is None:
            checks.append(_check(dependency.call))
        elif inspect.isasyncgenfunction(dependency.call):
            providers.append((dependency.name, asynccontextmanager(dependency.call)))
        else:
            raise TypeError(f"{dependency.name}: a direct route's provider yields its value")
    path = tuple((f.name, f.alias, _path_type(f.field_info.annotation)) for f in dependant.path_params)
    for field in dependant.query_params:
        if field.field_info.annotation != str | None or field.field_info.default is not None:
            raise TypeError(f"{field.name}: a direct route's query parameters are `str | None = None`")
    query = tuple((f.name, f.alias) for f in dependant.query_params)
    return _Plan(call, dependant.request_param_name, tuple(checks), tuple(providers), path, query)


async def serve_direct(plan: _Plan, request: Request) -> Response:
    """Run the route's checks, its providers and the endpoint, as FastAPI would."""
    for check in plan.checks:
        await check(request)
    arguments: dict[str, Any] = {plan.request_name: request}
    for name, alias, kind in plan.path:
        arguments[name] = _path_value(alias, request.path_params[alias], kind)
    for name, alias in plan.query:
        arguments[name] = request.query_params.get(alias)
    async with AsyncExitStack() as stack:
        for name, provide in plan.providers:
            arguments[name] = await stack.enter_async_context(provide(request))
        response = await plan.call(**arguments)
    if not isinstance(response, Response):
        raise TypeError(f"{plan.call.__name__} answered {type(response).__name__}, not a Response")
    return response


def _check(call: Callable[..., Any] | None) -> Callable[[Request], Any]:
    if call is None or not inspect.iscoroutinefunction(call):
        raise TypeError(f"{call!r}: a direct route's checks are async functions of the request")
    return call


def _takes_request_alone(dependency: Dependant) -> None:
    others = (
        dependency.dependencies, dependency.body_params, dependency.header_params,
        dependency.cookie_params, dependency.path_params, dependency.query_params,
    )
    if dependency.request_param_name is None or any(others):
        raise TypeError(f"{dependency.call!r}: a direct route's dependencies take the request alone")
    _no_other_params(dependency)


def _no_other_params(dependant: Dependant) -> None:
    others: Sequence[str | None] = (
        dependant.websocket_param_name, dependant.http_connection_param_name,
        dependant.response_param_name, dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
    )
    if any(others):
        raise TypeError(f"{dependant.call!r}: not a parameter a direct route passes")


def _path_type(annotation: Any) -> type:
    if annotation not in (int, str):
        raise TypeError(f"a direct route's path parameters are int or str, not {annotation!r}")
    return annotation  # type: ignore[no-any-return]


def _path_value(alias: str, raw: str, kind: type) -> Any:
    if kind is str:
        return raw
    try:
        return int(raw)
    except ValueError:
        # FastAPI's answer to the same path, so both kinds of route fail alike.
        raise RequestValidationError([{
            "type": "int_parsing", "loc": ("path", alias), "input": raw,
            "msg": "Input should be a valid integer, unable to parse string as an integer",
        }]) from None
