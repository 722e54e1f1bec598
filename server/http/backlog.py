"""The entity backlog's timeout, checked by the serving app itself (besides the cron command)."""

from __future__ import annotations

import logging
import time

from fastapi import Depends, Request

from server.services.entity_backlog import backlog_timeout, run_due_backlog

_log = logging.getLogger("kenesh.entities")
_BACKLOG_CHECK_SECONDS = 60.0  # the timeout is days: a check a minute is more than enough


def check_entity_backlog(request: Request) -> None:
    """Apply the offline entity updates held past the backlog timeout, at most once a minute
    per app, before entity lists are read or a device syncs (entity routes, OData, the CSV a
    phone downloads, the sync pull).

    Without it a held update would wait for `kenesh entities process-backlog` (cron) alone.
    """
    state = request.app.state
    now = time.monotonic()
    last = getattr(state, "entity_backlog_checked", None)
    if last is not None and now - last < _BACKLOG_CHECK_SECONDS:
        return
    state.entity_backlog_checked = now
    try:
        run_due_backlog(state.engine, backlog_timeout(state.settings))
    except Exception:  # a failed check must not fail the read; the next one retries
        _log.exception("entity backlog check failed")


BacklogCheck = Depends(check_entity_backlog)
