"""FastAPI dependencies: settings, the engine and the unit of work of a request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

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
    # Opening a unit of work touches no database and neither does closing one whose
    # transaction is over (committed): both stay on the event loop. A rollback goes to a thread.
    if uow.session.in_transaction():
        await run_in_threadpool(uow.close)
    else:
        uow.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
WriteUoW = Annotated[UnitOfWork, Depends(write_uow, scope="function")]
ReadUoW = Annotated[UnitOfWork, Depends(read_uow, scope="function")]
