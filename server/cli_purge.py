"""`kenesh purge`: empty the trash (submissions, forms, entities) of what was deleted long ago.

ODK Central purges its trash after 30 days from a daily cron job; Kenesh leaves the schedule
to the operator (cron or a systemd timer: see the README) and does the same work here.
"""

from __future__ import annotations

from datetime import timedelta

import typer
from sqlmodel import col, select

from server.cli import _check_database, _engine, app
from server.db import unit_of_work
from server.models import Blob
from server.models.base import iso, utcnow
from server.services.audit import record_audit
from server.services.blob_sweep import sweep_unnamed_files
from server.services.trash import purge_trash
from server.settings import get_settings
from server.storage import blob_file


@app.command("purge")
def purge(
    days: int = typer.Option(
        30, "--days", min=0,
        help="Purge submissions, forms and entities deleted more than this many days ago.",
    ),
) -> None:
    """Remove for good the submissions, forms and entities deleted more than DAYS days ago,
    and the files nothing else uses; then the files of refused or failed uploads (no record
    names them, nobody wrote them for a day)."""
    engine = _engine()
    _check_database(engine)
    cutoff = utcnow() - timedelta(days=days)
    with unit_of_work(engine) as uow:
        report = purge_trash(uow.session, cutoff)
        record_audit(uow.session, None, "submission.purge", None, {
            "submissions": report.submissions, "forms": report.forms,
            "entities": report.entities, "files": report.blobs,
            "deletedBefore": iso(cutoff),
            "via": "cli",
        })
        uow.commit()
    data_dir = get_settings().data_dir
    with unit_of_work(engine, write=False) as uow:
        # The same content may have been uploaded again since the rows went: keep it then.
        stored_again = set(uow.session.exec(
            select(Blob.path).where(col(Blob.path).in_(report.files))
        ).all()) if report.files else set()
    for path in set(report.files) - stored_again:
        blob_file(data_dir, path).unlink(missing_ok=True)
    swept = sweep_unnamed_files(engine, data_dir)
    engine.dispose()
    typer.echo(f"purged {report.submissions} submissions, {report.forms} forms,"
               f" {report.entities} entities and {report.blobs} files deleted before {iso(cutoff)}")
    typer.echo(f"removed {swept} files that no record names, left by refused or failed uploads")
