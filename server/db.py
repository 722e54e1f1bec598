"""Database engines and the unit of work: one transaction per request, committed once."""

from __future__ import annotations

import fcntl
import os
import re
import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlmodel import Session, create_engine

LOCK_TIMEOUT_MS = 30_000
SQLITE_BUSY_TIMEOUT_MS = LOCK_TIMEOUT_MS


class DatabaseURLError(ValueError):
    """KENESH_DATABASE_URL cannot be used."""


def parse_database_url(url: str) -> URL:
    """Parse and check an SQLAlchemy URL; only SQLite and PostgreSQL are supported."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: e.g. a port that is not a number
        raise DatabaseURLError(f"malformed database URL {_without_password(url)!r}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseURLError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:// or postgresql://"
        )
    return parsed


def _without_password(url: str) -> str:
    # The message goes to a terminal or a log: a password in the URL must not go with it.
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """An engine configured for Kenesh: WAL and immediate write locks on SQLite, a pool on PostgreSQL."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo)
    # A lock wait is bounded, as SQLite's busy timeout bounds it: a stuck holder costs an
    # error after 30 s, never a hung worker.
    engine = create_engine(
        parsed, pool_size=pool_size, max_overflow=pool_size, echo=echo,
        connect_args={"options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"},
    )
    _ping_when_in_doubt(engine)
    return engine


PING_AFTER_IDLE_S = 5.0
_RETURNED_AT = "kenesh_returned_at"


def _ping_when_in_doubt(engine: Engine) -> None:
    """Replace a pooled PostgreSQL connection that the server closed before handing it out.

    What pool_pre_ping does, without its round trip on every checkout (two per request): a
    connection back from a request moments ago is handed out unpinged unless its socket has
    something to read, which an idle connection only has when the server closed it (a restart,
    pg_terminate_backend) or said something unasked. One that sat idle longer is pinged.
    """

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_conn: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        fresh = returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_S
        if fresh and not _closed_or_talking(dbapi_conn):
            return
        try:
            with dbapi_conn.cursor() as cursor:
                cursor.execute("SELECT 1")
            # The ping opened a transaction; the pool hands out connections outside one (a
            # connection in one cannot be switched to autocommit for the policy gate's reads).
            dbapi_conn.rollback()
        except Exception as exc:
            # The pool throws this connection away and checks out another one.
            raise DisconnectionError(str(exc)) from exc


def _closed_or_talking(dbapi_conn: Any) -> bool:
    if dbapi_conn.closed or getattr(dbapi_conn, "broken", False):
        return True
    try:
        readable, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


_HOLDS_WRITER_LOCK = "kenesh_holds_writer_lock"


class _WriterQueue:
    """Hands SQLite's write lock to one writer at a time, waking the next one at once.

    SQLite's busy handler polls with sleeps of 1, 2, 5, 10… ms: under steady concurrent writes
    a waiter sleeps past whole transactions of others (and, on an event loop, stalls every
    request of its process meanwhile). Writers of one process queue on a lock, and processes
    on an flock of a file beside the database; both wake the next writer as soon as the
    holder's connection goes back to the pool, its transaction over. SQLite's busy timeout
    still guards against writers that do not take this queue.
    """

    def __init__(self, database: str) -> None:
        self.path = database + "-writer.lock"
        self.local = threading.Lock()
        self.fd: int | None = None

    def acquire(self) -> bool:
        """Wait for this writer's turn; False after the busy timeout (SQLite then decides)."""
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        if not self.local.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            return False
        try:
            if self.fd is None:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            pause = 0.0001
            # Polled rather than blocking, so that a stuck holder costs the busy timeout, as
            # with SQLite's own lock, never a hang; one writer per process polls.
            while not _try_flock(self.fd):
                if time.monotonic() > deadline:
                    self.local.release()
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
            return True
        except BaseException:
            self.local.release()
            raise

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.local.release()


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _sqlite_engine(url: URL, echo: bool) -> Engine:
    queue: _WriterQueue | None = None
    if url.database and url.database != ":memory:":
        from pathlib import Path

        folder = Path(url.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseURLError(
                f"cannot create the folder {str(folder)!r} of the SQLite database: {exc.strerror}"
            ) from exc
        queue = _WriterQueue(url.database)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that BEGIN is ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes the write lock up front, so concurrent writers queue on
        # busy_timeout instead of failing with "database is locked" when they upgrade a read lock.
        if not conn.get_execution_options().get("kenesh_write"):
            conn.exec_driver_sql("BEGIN")
            return
        if queue is not None and not conn.info.get(_HOLDS_WRITER_LOCK):
            conn.info[_HOLDS_WRITER_LOCK] = queue.acquire()
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _release(_dbapi_conn: Any, record: Any, *_args: Any) -> None:
        if record.info.pop(_HOLDS_WRITER_LOCK, False) and queue is not None:
            queue.release()

    # Checked in after its transaction ended (the pool rolls back whatever was left open).
    event.listen(engine, "checkin", _release)
    event.listen(engine, "invalidate", _release)
    return engine


class UnitOfWork:
    """One database transaction. Repositories add and query; only the service layer commits, once."""

    def __init__(self, engine: Engine, *, write: bool, per_statement: bool = False) -> None:
        bind = _write_engine(engine) if write else engine
        if per_statement and not write:
            bind = _per_statement_engine(engine)
        self.session = Session(bind, expire_on_commit=False)
        self.write = write
        self.committed = False
        self._before_commit: list[Any] = []
        self._after_commit: list[Any] = []

    def commit(self) -> None:
        """Commit the request's work; a second commit in one unit of work is a programming error."""
        if self.committed:
            raise RuntimeError("unit of work committed twice")
        for hook in self._before_commit:
            hook(self.session)
        self.session.commit()
        self.committed = True
        for callback in self._after_commit:
            callback()

    def before_commit(self, hook: Any) -> None:
        """Run `hook(session)` as the last statements of the transaction (e.g. the sync counter)."""
        if hook not in self._before_commit:
            self._before_commit.append(hook)

    def after_commit(self, callback: Any) -> None:
        """Run `callback` once the transaction has committed (e.g. remove replaced files)."""
        self._after_commit.append(callback)

    def close(self) -> None:
        """Roll back anything not committed and release the connection."""
        self.session.close()


def begin_per_statement(session: Session) -> bool:
    """Run the session's statements outside a transaction, each one its own, until its next
    commit: on PostgreSQL, from its first statement (True, also when it does so already);
    False, and nothing changes, on SQLite or in a transaction that has begun.

    At READ COMMITTED each statement of a transaction sees what was committed when it
    started, which is what a statement outside one sees; what changes is that each write is
    durable at once, alone."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    if session.in_transaction():
        return per_statement(session)
    session.connection(execution_options={"isolation_level": PER_STATEMENT})
    return True


def end_per_statement(session: Session) -> None:
    """Back to one transaction for what the session runs next (it begins at its next
    statement); what ran per statement is written already."""
    session.commit()


def per_statement(session: Session) -> bool:
    """Whether the session runs its statements outside a transaction (begin_per_statement)."""
    if not session.in_transaction():
        return False
    options = session.connection().get_execution_options()
    return options.get("isolation_level") == PER_STATEMENT


PER_STATEMENT = "AUTOCOMMIT"


@lru_cache(maxsize=16)
def _write_engine(engine: Engine) -> Engine:
    return engine.execution_options(kenesh_write=True)


@lru_cache(maxsize=16)
def _per_statement_engine(engine: Engine) -> Engine:
    # PostgreSQL runs at READ COMMITTED, where each statement of a transaction sees what was
    # committed when the statement started: reads in autocommit see exactly that too, and skip
    # the BEGIN and ROLLBACK round trips. SQLite's BEGIN costs no round trip, and its
    # transaction would give the statements one snapshot: kept.
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level=PER_STATEMENT)


@contextmanager
def unit_of_work(
    engine: Engine, *, write: bool = True, per_statement: bool = False
) -> Iterator[UnitOfWork]:
    """A unit of work outside a route's own (CLI, scripts, the policy gate).

    `per_statement`: reads that need no snapshot shared between their statements.
    """
    uow = UnitOfWork(engine, write=write, per_statement=per_statement)
    try:
        yield uow
    finally:
        uow.close()


def lock_key(session: Session, space: int, key: str) -> None:
    """Hold a PostgreSQL advisory lock on `key` within `space` until the transaction ends.

    Nothing to do on SQLite, whose write transactions run one at a time already. Keys are
    hashed to 32 bits by the server (``hashtext``): two keys sharing a hash only wait for
    each other.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"), {"space": space, "key": key}
    )
