"""`kenesh export`: a form's submissions to a file, straight from the local database."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import typer

from server.cli import _check_database, _engine, _fail, app
from server.db import unit_of_work
from server.errors import Problem
from server.services import exports
from server.services.forms import get_form
from server.settings import get_settings

# --format csv writes the CSV zip: a form with repeats needs more than one CSV file.
_FORMATS: dict[str, exports.Format] = {"csv": "csv.zip", "xlsx": "xlsx", "geojson": "geojson"}


@app.command("export")
def export(
    project: int = typer.Option(..., "--project", help="Project id."),
    form: str = typer.Option(..., "--form", help="The form's xmlFormId."),
    fmt: str = typer.Option("csv", "--format", help="csv (a zip of CSV files), xlsx or geojson."),
    lang: str | None = typer.Option(None, "--lang", help="Label language: ky, ru or en."),
    output: str | None = typer.Option(None, "-o", "--output",
                                      help="File to write ('-' for stdout); default: ./{form}.*"),
    attachments: bool = typer.Option(False, "--attachments",
                                     help="Put the submissions' files under media/ (csv only)."),
) -> None:
    """Export a form's submissions across all its published versions (audit-logged)."""
    if fmt not in _FORMATS:
        raise _fail(f"unknown format {fmt!r}: use csv, xlsx or geojson")
    engine = _engine()
    _check_database(engine)
    options = exports.ExportOptions(format=_FORMATS[fmt], lang=lang,
                                    attachments=attachments and fmt == "csv")
    with unit_of_work(engine) as uow:
        try:
            job = exports.prepare_export(uow.session, get_form(uow.session, project, form),
                                         options)
        except Problem as exc:
            raise _fail(exc.detail) from None
        exports.audit_export(uow.session, None, job, projectId=project, via="cli")
        uow.commit()
    target = output or job.filename
    with _progress(engine, job) as advance, _open(target) as sink:
        written = 0
        for chunk in exports.stream_export(engine, job, data_dir=get_settings().data_dir,
                                           progress=advance):
            sink.write(chunk)
            written += len(chunk)
    if target != "-":
        typer.echo(f"wrote {written} bytes to {target}", err=True)


@contextmanager
def _open(target: str) -> Iterator[IO[bytes]]:
    if target == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with Path(target).open("wb") as handle:
        yield handle


@contextmanager
def _progress(engine: object, job: exports.ExportJob) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise (pipes, cron)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    total = exports.count_rows(engine, job)  # type: ignore[arg-type]
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"{job.xml_form_id}", total=total)
        yield lambda n: progress.advance(task, n)
