"""FastAPI dependencies: settings, the engine and the unit of work of a request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from server.db import UnitOfWork
from server.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


async def write_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """A write transaction; the service commits it once, before the response is built."""
    uow = request_write_uow(request)
    try:
        yield uow
    finally:
        await _close(uow)


_WRITE_UOW = "kenesh_write_uow"


def request_write_uow(request: Request) -> UnitOfWork:
    """The request's write unit of work, made at the first call: the policy gate may read
    through it before the route's dependency hands it to the route (see server.auth.deps).
    `close_request_write_uow` closes it however the request ends."""
    state = request.scope.setdefault("state", {})
    uow = state.get(_WRITE_UOW)
    if uow is None:
        uow = state[_WRITE_UOW] = UnitOfWork(request.app.state.engine, write=True)
    return uow  # type: ignore[no-any-return]


def close_request_write_uow(state: dict[str, object]) -> None:
    """Give back the connection of a request's write unit of work, if it still holds one (a
    check that failed between the gate and the route leaves it open)."""
    uow = state.pop(_WRITE_UOW, None)
    if isinstance(uow, UnitOfWork):
        uow.close()


async def read_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """A read-only transaction (no write lock on SQLite)."""
    uow = UnitOfWork(request.app.state.engine, write=False)
    try:
        yield uow
    finally:
        await _close(uow)


async def _close(uow: UnitOfWork) -> None:
    # Closed right here on the event loop, never handed to a thread: a transaction that ends in
    # an error must give its locks back before any other request on this loop can start
    # waiting for them (a waiter blocks the loop, and a thread hop would need the loop).
    uow.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
WriteUoW = Annotated[UnitOfWork, Depends(write_uow, scope="function")]
ReadUoW = Annotated[UnitOfWork, Depends(read_uow, scope="function")]
