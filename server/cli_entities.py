"""`kenesh entities process-backlog`: apply offline entity updates whose base never arrived.

ODK Central forces such updates from a cron job once they have waited 5 days; Kenesh's serving
app also checks at most once a minute on entity reads, and this command does the same work
for cron or a systemd timer (see the README), so that no read has to come first.
"""

from __future__ import annotations

from datetime import timedelta

import typer

from server.cli import _check_database, _engine, app
from server.db import unit_of_work
from server.services.entity_backlog import backlog_timeout, process_backlog, run_due_backlog
from server.settings import get_settings

entities_app = typer.Typer(help="Entity lists.", no_args_is_help=True)
app.add_typer(entities_app, name="entities")


@entities_app.command("process-backlog")
def process_backlog_command(
    days: float | None = typer.Option(
        None, "--days", min=0,
        help="Apply updates held longer than this many days "
             "(default: KENESH_ENTITY_BACKLOG_DAYS, 5).",
    ),
    everything: bool = typer.Option(
        False, "--all", help="Apply every held update now, however recent.",
    ),
) -> None:
    """Apply held offline entity updates whose wait is over (on the latest version, flagged)."""
    engine = _engine()
    _check_database(engine)
    timeout = backlog_timeout(get_settings()) if days is None else timedelta(days=days)
    if everything:
        with unit_of_work(engine) as uow:
            count = process_backlog(uow.session)
            uow.commit()
        which = "all of them"
    else:
        count = run_due_backlog(engine, timeout)
        which = f"those held longer than {timeout.total_seconds() / 86400:g} days"
    engine.dispose()
    typer.echo(f"applied {count} held entity updates ({which})")
