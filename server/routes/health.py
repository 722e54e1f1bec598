"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server import errors
from server.errors import Problem
from server.http.deps import EngineDep
from server.migrate import pending_reason

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(engine: EngineDep) -> dict[str, str]:
    """The database is reachable and its schema is at the head migration."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        reason = pending_reason(engine)
    except SQLAlchemyError as exc:
        raise Problem(errors.NOT_READY, f"database unreachable: {type(exc).__name__}") from exc
    if reason:
        raise Problem(errors.NOT_READY, reason)
    return {"status": "ready"}
