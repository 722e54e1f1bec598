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
    uow = UnitOfWork(request.app.state.engine, write=True)
    try:
        yield uow
    finally:
        await _close(uow)


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
