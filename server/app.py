"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from server import __version__
from server.auth.deps import PolicyGate
from server.db import make_engine
from server.http.middleware import BodyLimitMiddleware, RequestContextMiddleware
from server.http.problems import install_problem_handlers
from server.routes import (
    app_users,
    assignments,
    audits,
    blobs,
    conflicts,
    datasets,
    entities,
    entities_odata,
    exports,
    form_drafts,
    forms,
    health,
    odata,
    openrosa,
    projects,
    records,
    sessions,
    submissions,
    sync,
    users,
)
from server.settings import Settings, get_settings


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; tests pass their own settings and engine."""
    settings = settings or get_settings()
    _configure_logging(settings.log_level)
    app = FastAPI(
        title="Kenesh",
        version=__version__,
        description="Offline-first field data collection for UNSCR 1325 monitoring.",
        # Every route passes the policy gate first: credentials, then the route's verb.
        dependencies=[PolicyGate],
    )
    app.state.settings = settings
    app.state.secret_key = settings.resolved_secret_key()
    app.state.engine = engine or make_engine(
        settings.resolved_database_url(), pool_size=settings.db_pool_size
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    # Phones' submissions are the hottest route: matched first, not after every other route.
    app.include_router(openrosa.router)
    for accounts_router in (sessions, users, projects, app_users, assignments, audits):
        app.include_router(accounts_router.router)
    app.include_router(submissions.router)
    app.include_router(exports.router)
    for sync_router in (sync, blobs, conflicts, records):
        app.include_router(sync_router.router)
    # Before the dataset routes: `…/datasets/{name}` would otherwise take "acts.svc".
    app.include_router(entities_odata.router)
    app.include_router(datasets.router)
    app.include_router(entities.router)
    # Before the form routes: `…/forms/{xmlFormId}` would otherwise take "survey.svc".
    app.include_router(odata.router)
    app.include_router(form_drafts.router)
    app.include_router(forms.router)
    app.include_router(forms.device_router)
    # Order matters: the request id must exist before the body limit can answer.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    return app


def create_served_app() -> FastAPI:
    """The app as `kenesh serve` runs it in each worker: ``create_app`` with the settings of
    the environment, then the objects of start-up frozen (``freeze_startup_objects``)."""
    app = create_app()
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Keep the objects alive now out of every later garbage collection (``gc.freeze``).

    After start-up a worker holds some 230,000 objects (modules, routes, models, pyxform's
    tables) that live as long as it does, and a collection of the oldest generation walks them
    all: on 2026-12-01 one such collection, every ten thousand sync ops or so, held a worker
    for 100-127 ms (12 µs per op). Frozen, they are never walked; garbage is collected first,
    so nothing unreachable is kept.
    """
    gc.collect()
    gc.freeze()


def _configure_logging(level: str) -> None:
    # Kenesh's own loggers print one JSON line per event; other libraries keep their defaults.
    logger = logging.getLogger("kenesh")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level)
