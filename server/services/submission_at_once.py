"""A phone's new submission on PostgreSQL: everything it writes in one statement, outside a
transaction.

On PostgreSQL every statement is a network round trip, and in a transaction a new submission
took six or eight: BEGIN, the target lookup, the server clock's tick, the lookup and insert of
a new photo's blob row, the insert of its rows, COMMIT. Here the target lookup runs on its own
(at READ COMMITTED each statement of a transaction sees what was committed when it started,
which is what a lookup outside one sees), and everything the submission writes is one statement
run outside a transaction: PostgreSQL runs such a statement as a transaction of its own, all or
nothing and durable when it returns, as the COMMIT was. Three trips, the credentials' included.

The statement's CTEs take a clock reading and draw the change number; their row locks are held
until the statement ends, as they were until the COMMIT, so change numbers stay commit-ordered
(server.services.changes). The write metadata is built before the reading exists, with
PLACEHOLDER as its timestamp, and the statement puts its reading in its place.

A submission this cannot write (a resend, an edit, a form that makes entities, a database
without its clock or counter row) goes the transactional way, its target read here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from server.driver_sql import DriverStatement, compiled_for
from server.models import Submission, SubmissionDef
from server.models.base import UTCDateTime
from server.services.row_insert import dumps
from server.services.server_clock import SERVER_NODE, tick_in_statement_sql, wall_clock_ms
from server.storage import StoredBlob
from sync.hlc import MAX_COUNTER, MAX_WALL_MS, Timestamp
from sync.records import writes_stamped

# A timestamp no reading gives before the year 2286; in the stored JSON it is a whole string.
PLACEHOLDER = Timestamp(MAX_WALL_MS, MAX_COUNTER, SERVER_NODE).encode()
_PLACEHOLDER_JSON = dumps(PLACEHOLDER)

# (file name, sha256 of what arrived or None, the blob id when that content is stored already)
Slot = tuple[str, str | None, int | None]


def slots_of(
    referenced: Sequence[str], files: dict[str, tuple[StoredBlob, str | None]],
    known: dict[str, int],
) -> tuple[list[Slot], dict[str, tuple[StoredBlob, str | None]]]:
    """The version's attachment slots, for the `referenced` file names in order, from the
    `files` that arrived (each stored, with its content type) and the blob ids `known` by
    sha256; with the files whose content has no blob row yet, by sha256."""
    slots: list[Slot] = []
    new_blobs: dict[str, tuple[StoredBlob, str | None]] = {}
    for name in referenced:
        sent = files.get(name)
        if sent is None:  # not arrived yet: the slot waits for it
            slots.append((name, None, None))
            continue
        sha = sent[0].sha256
        slots.append((name, sha, known.get(sha)))
        if sha not in known:
            new_blobs[sha] = sent
    return slots, new_blobs


def insert_at_once(
    session: Session, submission: Submission, definition: SubmissionDef, slots: list[Slot],
    new_blobs: dict[str, tuple[StoredBlob, str | None]],
) -> bool:
    """Write the submission, its first version (stamped with PLACEHOLDER), its attachment
    slots and the blob rows of `new_blobs` (by sha256: the stored file and its content type),
    all in one statement; False when it wrote nothing (no clock or counter row).

    On success both objects hold their ids and the reading, outside the session: it has
    nothing of them left to write."""
    meta = dumps(submission.field_meta)
    # A new record has no siblings (concurrent values): were there any, their placeholders
    # would not be counted here, and the count below sends it the other way.
    stamped = writes_stamped(submission.field_meta, PLACEHOLDER)
    if meta.count(_PLACEHOLDER_JSON) != len(stamped):
        return False  # a sender's string equals the placeholder: it must not be replaced
    # Read from the objects' own state: neither is in a session, so no attribute is unloaded
    # or pending (a column new_row was not given reads as None, as through the attribute).
    values, version_values = submission.__dict__, definition.__dict__
    params = {key: values.get(name) for key, name in _SUBMISSION_PARAMS}
    params.update({key: version_values.get(name) for key, name in _VERSION_PARAMS})
    # Rows as JSON text: one dumps, where each array parameter is dumped in Python.
    blobs = [
        [stored.sha256, stored.md5, stored.size, kind, stored.path]
        for stored, kind in new_blobs.values()
    ]
    params.update(
        s_field_meta=meta, placeholder=_PLACEHOLDER_JSON, now=wall_clock_ms(),
        blobs=dumps(blobs), b_created_at=submission.created_at,
        slots=dumps([[name, sha, known, n] for n, (name, sha, known) in enumerate(slots)]),
    )
    written = compiled_for(_AT_ONCE, _statement, session).first(session, params)
    if written is None:
        return False
    submission_id, version_id, change_seq, stamp = written
    # Set in their state alone, as the ORM sets what it loads: no session will flush them.
    values.update(id=submission_id, change_seq=change_seq)
    version_values.update(id=version_id, submission_id=submission_id, hlc=stamp)
    for write in stamped:
        write[1] = stamp
    return True


_AT_ONCE: dict[str, DriverStatement] = {}
_SUBMISSION_COLUMNS = [
    c.key for c in Submission.__table__.columns  # type: ignore[attr-defined]
    if c.key not in ("id", "change_seq", "field_meta")
]
_VERSION_COLUMNS = [
    c.key for c in SubmissionDef.__table__.columns  # type: ignore[attr-defined]
    if c.key not in ("id", "submission_id", "hlc")
]
_SUBMISSION_PARAMS = [(f"s_{name}", name) for name in _SUBMISSION_COLUMNS]
_VERSION_PARAMS = [(f"d_{name}", name) for name in _VERSION_COLUMNS]


@cache
def _typed_binds() -> list[Any]:
    binds = [
        bindparam(f"s_{name}", type_=Submission.__table__.c[name].type)  # type: ignore[attr-defined]
        for name in _SUBMISSION_COLUMNS
    ]
    binds += [
        bindparam(f"d_{name}", type_=SubmissionDef.__table__.c[name].type)  # type: ignore[attr-defined]
        for name in _VERSION_COLUMNS
    ]
    return binds + [bindparam("b_created_at", type_=UTCDateTime())]


def _statement(_dialect: str) -> Any:
    # Built once. Without a clock reading nothing is written (no number drawn in vain), and the
    # caller takes the other path. The files come as JSON (one parameter each), so the statement
    # is the same whatever their number. A slot's blob is the stored one, else the row inserted
    # here: the upsert returns also a row that a concurrent request inserted first, which a
    # lookup in this statement's snapshot would miss.
    submissions = ", ".join(_SUBMISSION_COLUMNS)
    versions = ", ".join(_VERSION_COLUMNS)
    s_values = ", ".join(_cast(f"s_{name}", Submission, name) for name in _SUBMISSION_COLUMNS)
    d_values = ", ".join(_cast(f"d_{name}", SubmissionDef, name) for name in _VERSION_COLUMNS)
    sql = f"""WITH tick AS ({tick_in_statement_sql()}),
drawn AS (UPDATE change_counter SET value = value + 1
          WHERE id = 1 AND EXISTS (SELECT FROM tick) RETURNING value),
new_blobs AS (
  INSERT INTO blobs (sha256, md5, size, content_type, path, created_at)
  SELECT b ->> 0, b ->> 1, CAST(b ->> 2 AS BIGINT), b ->> 3, b ->> 4, :b_created_at
  FROM json_array_elements(CAST(:blobs AS JSON)) AS b
  WHERE EXISTS (SELECT FROM drawn)
  ON CONFLICT (sha256) DO UPDATE SET sha256 = EXCLUDED.sha256
  RETURNING id, sha256),
new_submission AS (
  INSERT INTO submissions ({submissions}, field_meta, change_seq)
  SELECT {s_values},
         CAST(replace(CAST(:s_field_meta AS TEXT), :placeholder, '"' || tick.hlc || '"') AS JSON),
         drawn.value
  FROM tick, drawn
  RETURNING id),
new_version AS (
  INSERT INTO submission_defs (submission_id, {versions}, hlc)
  SELECT new_submission.id, {d_values}, tick.hlc FROM new_submission, tick
  RETURNING id),
new_slots AS (
  INSERT INTO submission_attachments (submission_def_id, name, blob_id, position)
  SELECT new_version.id, s ->> 0,
         COALESCE(CAST(s ->> 2 AS INTEGER),
                  (SELECT n.id FROM new_blobs AS n WHERE n.sha256 = s ->> 1)),
         CAST(s ->> 3 AS INTEGER)
  FROM new_version, json_array_elements(CAST(:slots AS JSON)) AS s)
SELECT new_submission.id, new_version.id, drawn.value, tick.hlc
FROM new_submission, new_version, drawn, tick"""
    return text(sql).bindparams(*_typed_binds())


def _cast(name: str, model: Any, column: str) -> str:
    # Typed in the SQL: a NULL parameter in a SELECT list would otherwise be text. Without the
    # length (VARCHAR, not VARCHAR(255)): a cast to a length cuts a longer value silently,
    # where the insert refuses it, as the transactional path's insert does.
    sql_type = model.__table__.c[column].type.compile(dialect=postgresql.dialect())
    return f"CAST(:{name} AS {re.sub(r'[(][0-9]+[)]', '', sql_type)})"
