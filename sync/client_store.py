"""The device client's local SQLite store: outbox, pulled records, cursor, clock and blob queue."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sync.client_model import (
    LocalRecord,
    PendingOp,
    PushResult,
    RejectedOp,
    op_from_wire,
    op_to_wire,
    overlay,
)
from sync.ops import Op

__all__ = ["ClientStore"]

# ``records`` keeps two copies of each record: ``base_*`` is the server's state as far as the
# device knows (pulled, plus its own acknowledged ops until the next pull replaces them; NULL
# when the record never reached the server), and ``fields``/``deleted`` is the view the app
# shows: the base with the outbox's ops of the record applied in client_seq order.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    client_seq INTEGER PRIMARY KEY,
    op_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    body TEXT NOT NULL,
    deferred INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_record ON outbox (type, record_id, client_seq);
CREATE TABLE IF NOT EXISTS records (
    type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    target TEXT NOT NULL,
    version INTEGER,
    base_fields TEXT,
    base_deleted INTEGER NOT NULL DEFAULT 0,
    fields TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    conflict INTEGER NOT NULL DEFAULT 0,
    hlc TEXT,
    PRIMARY KEY (type, record_id)
);
CREATE TABLE IF NOT EXISTS rejected (
    op_id TEXT PRIMARY KEY,
    client_seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    error TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE TABLE IF NOT EXISTS forms (key TEXT PRIMARY KEY, body TEXT NOT NULL);
"""


def _dumps(value: Any) -> str:
    """Strict JSON: NaN and infinity are refused when the edit is made, not by the server."""
    return json.dumps(value, allow_nan=False)


class ClientStore:
    """Queries over the local store. Methods never commit: callers wrap them in ``transaction``."""

    def __init__(self, path: str | Path, device_id: str) -> None:
        self._device_id = device_id
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.row_factory = sqlite3.Row
        # WAL lets a reader (the app's UI) look while sync writes; FULL makes every commit
        # durable, so an edit the user saw saved survives a battery pull.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work: all its writes are committed together or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # meta: identity, client_seq counter, cursor, clock

    def get_meta(self, key: str) -> str | None:
        """A stored setting, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        """Store (or, with None, forget) a setting."""
        if value is None:
            self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def take_client_seq(self) -> int:
        """The next client_seq (from 1), counted as used."""
        seq = int(self.get_meta("next_client_seq") or "1")
        self.set_meta("next_client_seq", str(seq + 1))
        return seq

    # outbox

    def add_op(self, op: Op, target: str) -> None:
        """Queue an op and show it in the local view of its record."""
        self._db.execute(
            "INSERT INTO outbox (client_seq, op_id, type, record_id, body) VALUES (?, ?, ?, ?, ?)",
            (op.client_seq, op.op_id, op.type, op.record_id, _dumps(op_to_wire(op))),
        )
        row = self._record_row(op.type, op.record_id)
        if row is None:
            self._db.execute(
                "INSERT INTO records (type, record_id, target, fields, deleted)"
                " VALUES (?, ?, ?, '{}', 0)",
                (op.type, op.record_id, target),
            )
        self._refresh_view(op.type, op.record_id)

    def outbox(self, limit: int | None = None) -> list[PendingOp]:
        """Queued ops in client_seq order, the order the server must apply them in."""
        rows = self._db.execute(
            "SELECT body, deferred, error FROM outbox ORDER BY client_seq LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [
            PendingOp(self._op(body), bool(deferred), json.loads(error) if error else None)
            for body, deferred, error in rows
        ]

    def outbox_size(self) -> int:
        """How many ops wait to be acknowledged."""
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def acknowledge(self, op: Op, result: PushResult) -> None:
        """The op has its final result: drop it from the outbox and fold it into the base copy.

        Only an ``applied`` answer moves the known version: it means every other write in the
        record was already seen by this device, so its next edit may claim that version as base.
        After ``merged`` or ``conflict`` the device has not seen the concurrent writes yet; the
        pull that follows brings them with the version.
        """
        self._db.execute("DELETE FROM outbox WHERE op_id = ?", (op.op_id,))
        row = self._record_row(op.type, op.record_id)
        if row is None:
            return
        base = json.loads(row["base_fields"]) if row["base_fields"] is not None else {}
        base.update(op.fields)
        version = row["version"]
        if result.status == "applied" and result.version is not None:
            version = max(version or 0, result.version)
        self._db.execute(
            "UPDATE records SET base_fields = ?, base_deleted = ?, version = ?"
            " WHERE type = ? AND record_id = ?",
            (json.dumps(base), int(op.deleted), version, op.type, op.record_id),
        )
        self._refresh_view(op.type, op.record_id)

    def defer(self, op: Op, error: Mapping[str, Any] | None) -> None:
        """Keep the op for the next sync, with the server's reason."""
        self._db.execute(
            "UPDATE outbox SET deferred = 1, error = ? WHERE op_id = ?",
            (json.dumps(error) if error else None, op.op_id),
        )

    def reject(self, op: Op, error: Mapping[str, Any]) -> None:
        """Move the op from the outbox to the rejected table and take it out of the view."""
        self._db.execute(
            "INSERT OR REPLACE INTO rejected (op_id, client_seq, body, error) VALUES (?, ?, ?, ?)",
            (op.op_id, op.client_seq, json.dumps(op_to_wire(op)), json.dumps(error)),
        )
        self._db.execute("DELETE FROM outbox WHERE op_id = ?", (op.op_id,))
        self._refresh_view(op.type, op.record_id)

    def rejected(self) -> list[RejectedOp]:
        """Ops the server rejected, oldest first."""
        rows = self._db.execute("SELECT body, error FROM rejected ORDER BY client_seq")
        return [RejectedOp(self._op(body), json.loads(error)) for body, error in rows]

    # pulled records

    def apply_change(self, change: Mapping[str, Any]) -> None:
        """Take one pulled change as the record's base and re-apply pending ops on top."""
        kind, record_id = change["type"], change["record_id"]
        target = change.get("form_id") if kind == "submission" else change.get("dataset")
        self._db.execute(
            "INSERT INTO records (type, record_id, target, version, base_fields, base_deleted,"
            " fields, deleted, conflict, hlc) VALUES (?, ?, ?, ?, ?, ?, '{}', 0, ?, ?)"
            " ON CONFLICT (type, record_id) DO UPDATE SET target = excluded.target,"
            " version = excluded.version, base_fields = excluded.base_fields,"
            " base_deleted = excluded.base_deleted, conflict = excluded.conflict,"
            " hlc = excluded.hlc",
            (
                kind,
                record_id,
                target or "",
                change.get("version"),
                json.dumps(change.get("fields") or {}),
                int(bool(change.get("deleted"))),
                int(bool(change.get("conflict"))),
                change.get("hlc"),
            ),
        )
        self._refresh_view(kind, record_id)

    def forget_pulled(self) -> None:
        """Drop the cursor and every pulled copy, keeping the outbox and what it shows."""
        self.set_meta("cursor", None)
        self._db.execute("DELETE FROM forms")
        self._db.execute(
            "UPDATE records SET version = NULL, base_fields = NULL, base_deleted = 0,"
            " conflict = 0, hlc = NULL"
        )
        keys = self._db.execute("SELECT type, record_id FROM records").fetchall()
        for kind, record_id in keys:
            self._refresh_view(kind, record_id)

    def record(self, kind: str, record_id: str) -> LocalRecord | None:
        """The local view of one record."""
        row = self._record_row(kind, record_id)
        return None if row is None else self._local(row)

    def records(self, kind: str, target: str | None, include_deleted: bool) -> list[LocalRecord]:
        """Local views of the records of a type (and form or dataset), in record id order."""
        sql = "SELECT * FROM records WHERE type = ?"
        params: list[Any] = [kind]
        if target is not None:
            sql += " AND target = ?"
            params.append(target)
        if not include_deleted:
            sql += " AND deleted = 0"
        rows = self._db.execute(sql + " ORDER BY record_id", params).fetchall()
        return [self._local(row) for row in rows]

    def known(self, kind: str, record_id: str) -> tuple[str | None, int | None]:
        """The form or dataset and the server version this device knows of a record."""
        row = self._record_row(kind, record_id)
        return (None, None) if row is None else (row["target"], row["version"])

    # blobs and forms

    def queue_blob(self, sha256: str, path: str) -> None:
        """Remember a file to upload before the op that references it is pushed."""
        # The same content attached again from another file: the newer path is the one to read.
        self._db.execute(
            "INSERT INTO blobs (sha256, path) VALUES (?, ?) ON CONFLICT (sha256)"
            " DO UPDATE SET path = excluded.path WHERE uploaded = 0",
            (sha256, path),
        )

    def blobs_to_upload(self) -> list[tuple[str, str]]:
        """(sha256, path) of every queued file not uploaded yet."""
        rows = self._db.execute("SELECT sha256, path FROM blobs WHERE uploaded = 0 ORDER BY rowid")
        return [(str(sha), str(path)) for sha, path in rows]

    def blob_uploaded(self, sha256: str) -> None:
        """The server has the blob."""
        self._db.execute("UPDATE blobs SET uploaded = 1, error = NULL WHERE sha256 = ?", (sha256,))

    def blob_failed(self, sha256: str, error: str) -> None:
        """Keep the reason the last upload failed (it is tried again next sync)."""
        self._db.execute("UPDATE blobs SET error = ? WHERE sha256 = ?", (error, sha256))

    def save_form(self, form: Mapping[str, Any]) -> None:
        """Remember a form version announced by a pull (latest per form id and version)."""
        key = f"{form.get('form_id') or form.get('xmlFormId')}@{form.get('version')}"
        self._db.execute(
            "INSERT OR REPLACE INTO forms (key, body) VALUES (?, ?)", (key, json.dumps(form))
        )

    def forms(self) -> list[dict[str, Any]]:
        """Form versions announced by pulls, in arrival order."""
        rows = self._db.execute("SELECT body FROM forms ORDER BY rowid")
        return [json.loads(body) for (body,) in rows]

    # internals

    def _op(self, body: str) -> Op:
        return op_from_wire(self._device_id, json.loads(body))

    def _record_row(self, kind: str, record_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._db.execute(
            "SELECT * FROM records WHERE type = ? AND record_id = ?", (kind, record_id)
        ).fetchone()
        return row

    def _pending_ops(self, kind: str, record_id: str) -> list[Op]:
        rows = self._db.execute(
            "SELECT body FROM outbox WHERE type = ? AND record_id = ? ORDER BY client_seq",
            (kind, record_id),
        )
        return [self._op(body) for (body,) in rows]

    def _refresh_view(self, kind: str, record_id: str) -> None:
        """Recompute the view from the base and the outbox; a record neither on the server nor
        in the outbox (a rejected create) leaves the view."""
        row = self._record_row(kind, record_id)
        if row is None:
            return
        ops = self._pending_ops(kind, record_id)
        if row["base_fields"] is None and not ops:
            self._db.execute(
                "DELETE FROM records WHERE type = ? AND record_id = ?", (kind, record_id)
            )
            return
        base = json.loads(row["base_fields"]) if row["base_fields"] is not None else None
        fields, deleted = overlay(base, bool(row["base_deleted"]), ops)
        self._db.execute(
            "UPDATE records SET fields = ?, deleted = ? WHERE type = ? AND record_id = ?",
            (json.dumps(fields), int(deleted), kind, record_id),
        )

    def _local(self, row: sqlite3.Row) -> LocalRecord:
        kind = row["type"]
        pending = self._db.execute(
            "SELECT 1 FROM outbox WHERE type = ? AND record_id = ? LIMIT 1",
            (kind, row["record_id"]),
        ).fetchone()
        return LocalRecord(
            type=kind,
            record_id=row["record_id"],
            form_id=row["target"] if kind == "submission" else None,
            dataset=row["target"] if kind == "entity" else None,
            version=row["version"],
            fields=json.loads(row["fields"]),
            deleted=bool(row["deleted"]),
            conflict=bool(row["conflict"]),
            pending=pending is not None,
            hlc=row["hlc"],
        )
