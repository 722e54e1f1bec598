"""The `kenesh` command line: serve, migrate, manage users, load the demo."""

from __future__ import annotations

import secrets
import sys

import typer
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server import __version__
from server.db import DatabaseURLError, make_engine, unit_of_work
from server.errors import Problem
from server.settings import get_settings

app = typer.Typer(help="Kenesh: offline-first field data collection backend.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Web user accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"kenesh: {message}", err=True)
    return typer.Exit(code=1)


def _engine():  # type: ignore[no-untyped-def]
    settings = get_settings()
    try:
        return make_engine(settings.resolved_database_url(), pool_size=2)
    except DatabaseURLError as exc:
        raise _fail(str(exc)) from None


def _check_database(engine) -> None:  # type: ignore[no-untyped-def]
    from server.migrate import pending_reason

    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        reason = pending_reason(engine)
    except SQLAlchemyError as exc:
        first_line = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
        raise _fail(f"cannot reach the database: {first_line}") from None
    if reason:
        raise _fail(reason)


def _read_password() -> str:
    # One line from stdin, no prompt confirmation: scripts pipe it; argv would leak it to `ps`.
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True)
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@app.command()
def version() -> None:
    """Print Kenesh's version."""
    typer.echo(f"kenesh {__version__}")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Serve the HTTP API (checks the database and its migrations first)."""
    import uvicorn

    engine = _engine()
    _check_database(engine)
    engine.dispose()
    # Generated here, once, before the workers start: each of them then reads the same file.
    try:
        get_settings().resolved_secret_key()
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot use the secret key: {exc}") from None
    from server.serve import PortInUse, reuse_port_supported, serve_workers

    if workers > 1 and reuse_port_supported():
        try:
            serve_workers(host, port, workers)
        except PortInUse as exc:
            raise _fail(f"cannot listen: {exc.strerror}") from None
        return
    uvicorn.run(
        "server.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    from server.migrate import head_revision, upgrade

    engine = _engine()
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise _fail(f"migration failed: {first_line}") from None
    typer.echo(f"database at revision {head_revision()}")


@user_app.command("create")
def user_create(
    email: str,
    admin: bool = typer.Option(False, "--admin", help="Make the user a site administrator."),
) -> None:
    """Create a web user; the password is read from stdin as one line."""
    from server.services.users import create_user

    password = _read_password()
    engine = _engine()
    _check_database(engine)
    with unit_of_work(engine) as uow:
        try:
            create_user(uow.session, email, password, is_admin=admin)
        except Problem as exc:
            raise _fail(exc.detail) from None
        uow.commit()
    typer.echo(f"created {'admin ' if admin else ''}user {email.strip().lower()}")


@user_app.command("set-password")
def user_set_password(email: str) -> None:
    """Set a web user's password, read from stdin as one line."""
    from server.services.users import find_user_by_email, set_password

    password = _read_password()
    engine = _engine()
    _check_database(engine)
    with unit_of_work(engine) as uow:
        found = find_user_by_email(uow.session, email)
        if not found:
            raise _fail(f"no user with email {email}")
        try:
            set_password(uow.session, found[0], password)
        except Problem as exc:
            raise _fail(exc.detail) from None
        uow.commit()
    typer.echo(f"password set for {email.strip().lower()}")


@app.command()
def demo(
    admin_email: str = typer.Option("admin@kenesh.local", help="Email of the demo admin."),
) -> None:
    """Migrate the database and create the demo project, example forms and an admin (once)."""
    import os

    from server.demo import load_demo
    from server.migrate import upgrade

    engine = _engine()
    upgrade(engine)
    password = os.environ.get("KENESH_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    with unit_of_work(engine) as uow:
        report = load_demo(uow.session, admin_email, password)
        uow.commit()
    for line in report:
        typer.echo(line)
    if any("created admin" in line for line in report) and not os.environ.get(
        "KENESH_ADMIN_PASSWORD"
    ):
        typer.echo(f"admin password (shown once): {password}")


import server.cli_export  # noqa: E402,F401,I001  (registers `kenesh export`)
import server.cli_purge  # noqa: E402,F401,I001  (registers `kenesh purge`)
import server.cli_entities  # noqa: E402,F401,I001  (registers `kenesh entities`)

if __name__ == "__main__":
    # Run as `python -m server.cli`, this file is __main__, while cli_export and cli_purge
    # registered their commands on the app of the module server.cli: run that one.
    from server.cli import app as registered

    registered()
