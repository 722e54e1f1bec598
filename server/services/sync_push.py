"""POST …/sync/push: plan a device's ops, merge each into its record, answer one result per op.

Invariants (relied on by the device client and the proof tests):
- An op gets a final answer (applied, merged, conflict, rejected) at most once: the answer is
  stored in ``sync_ops`` in the same transaction as its effect, and a known op_id gets the
  stored answer back as ``duplicate``. A response lost after commit is harmless to resend.
- A device's ops apply strictly in ``client_seq`` order: its row in ``sync_devices`` is locked
  for the push (concurrent pushes of one device serialise) and holds the last final seq. A gap
  or a missing blob defers the op and every later op of the device, never skips them.
- An op that can never apply is ``rejected``, kept verbatim in ``sync_quarantine``, and still
  counts as the device's op of that seq, so the device's later ops are not blocked by it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, text, update
from sqlmodel import Session, col, select

from server import errors
from server.driver_sql import DriverStatement, compiled_for
from server.errors import Problem
from server.models import Blob, SyncDevice, SyncOp, SyncQuarantine
from server.models.base import utcnow
from server.policy import Access
from server.services import sync_submissions  # noqa: F401  (the built-in record kind)
from server.services.conflicts import conflict_json, record_conflicts
from server.services.key_lookup import each_key_lookup, keys_value
from server.services.records import OpRejected, get_kind
from server.services.row_insert import EncodedJSON, insert_rows
from server.services.server_clock import server_tick, wall_clock_ms
from sync.hlc import Timestamp
from sync.merge import merge
from sync.ops import InvalidOpError, Op, parse_op, plan_push, with_capped_clock

PUSH_INVALID = errors.register("sync.push_invalid", 400, "The push body is not valid.")
MAX_OPS_PER_PUSH = 1000
# Column widths of sync_ops: longer values can never be stored, so such ops are rejected.
_LIMITS = {"op_id": 64, "record_id": 255, "form_id": 255, "dataset": 255, "hlc": 300}
# The stored result of nearly every applied op, encoded once.
_CLEAN_RESULT = EncodedJSON({"conflicts": [], "error": None})


@dataclass
class _Push:
    """One push in progress: the device's progress and what this batch has done so far."""

    session: Session
    access: Access
    project_id: int
    max_skew_ms: int
    now_ms: int
    known: dict[str, _Answer]
    blobs: set[str]
    # The device's row, read when it is locked and written once when the push ends (by the
    # driver: the ORM's unit of work for one row cost more than the push's other statements).
    device_id: str
    last_seq: int
    skewed: bool
    skew_ms: int | None
    blocked: bool = False
    accepted: list[Timestamp] = field(default_factory=list)
    # Kinds that loaded this push's records at once and may hold new ones until finished.
    batched: list[Any] = field(default_factory=list)
    # This push's final answers, inserted into sync_ops together, stamped with one time.
    answers: list[dict[str, Any]] = field(default_factory=list)
    answered_at: datetime = field(default_factory=utcnow)


class _Answer(NamedTuple):
    """A final answer stored by this push (what ``_duplicate`` reads of a sync_ops row)."""

    op_id: str
    status: str
    record_id: str | None
    version: int | None
    result: dict[str, Any]


def push(
    session: Session, access: Access, project_id: int, body: Any, *, max_skew_ms: int,
) -> dict[str, Any]:
    """Apply a push body; return ``{"results": [...], "server_hlc": str}`` (never commits)."""
    device_id, raw_ops = _read_body(body)
    if not raw_ops:
        return {"results": [], "server_hlc": server_tick(session).encode()}
    last_seq, skewed, skew_ms = _lock_device(session, project_id, device_id)
    state = _Push(
        session, access, project_id, max_skew_ms, wall_clock_ms(),
        _known_ops(session, project_id, raw_ops), _uploaded_blobs(session, raw_ops),
        device_id, last_seq, skewed, skew_ms,
    )
    _prepare(state, raw_ops)
    results = [_one(state, raw) for raw in raw_ops]
    _save_device(state)
    # The closing statements. The clock's row lock and then the change counter's (drawn by
    # the last batch write) are held from here until commit; every writer takes them in
    # this order (the counter always last, at commit at the latest), so none deadlock.
    server_hlc = server_tick(session, state.accepted).encode()
    _finish_batches(state, last=True)
    if state.answers:
        insert_rows(session, SyncOp.__table__, state.answers)  # type: ignore[arg-type]
    return {"results": results, "server_hlc": server_hlc}


def _read_body(body: Any) -> tuple[str, list[Any]]:
    if not isinstance(body, Mapping):
        raise Problem(PUSH_INVALID, "The body must be a JSON object.")
    device_id, ops = body.get("device_id"), body.get("ops")
    if not isinstance(device_id, str) or not 0 < len(device_id) <= 255:
        raise Problem(PUSH_INVALID, "device_id must be a string of 1 to 255 characters.")
    if not isinstance(ops, list):
        raise Problem(PUSH_INVALID, "ops must be a list.")
    if len(ops) > MAX_OPS_PER_PUSH:
        raise Problem(PUSH_INVALID, f"At most {MAX_OPS_PER_PUSH} ops per push.")
    return device_id, ops


def _lock_device(session: Session, project_id: int, device_id: str) -> tuple[int, bool, Any]:
    """The device's (last_seq, skewed, skew_ms), its row created if new and locked until commit
    (pushes of a device serialise)."""
    # One trip: the upsert's no-op update locks the row, as SELECT … FOR UPDATE would.
    statement = compiled_for(_LOCK_DEVICE, _lock_device_statement, session)
    row = statement.first(session, {"p": project_id, "d": device_id})
    assert row is not None, "an upsert returns its row"
    return int(row[0]), bool(row[1]), row[2]


def _lock_device_statement(dialect: str) -> Any:
    table = SyncDevice.__table__  # type: ignore[attr-defined]
    return text(
        "INSERT INTO sync_devices (project_id, device_id, last_seq, skewed)"
        " VALUES (:p, :d, 0, false) ON CONFLICT (project_id, device_id)"
        " DO UPDATE SET device_id = EXCLUDED.device_id RETURNING last_seq, skewed, skew_ms"
    ).columns(table.c.last_seq, table.c.skewed, table.c.skew_ms)


def _save_device(push: _Push) -> None:
    """The device's row as the push leaves it: its caller, last final seq and clock skew."""
    statement = compiled_for(_SAVE_DEVICE, _save_device_statement, push.session)
    statement.first(push.session, {
        "p": push.project_id, "d": push.device_id, "actor": push.access.principal.actor_id,
        "seq": push.last_seq, "skewed": push.skewed, "skew": push.skew_ms, "at": utcnow(),
    })


def _save_device_statement(dialect: str) -> Any:
    c = (table := SyncDevice.__table__).c  # type: ignore[attr-defined]
    return update(table).where(
        c.project_id == bindparam("p", type_=c.project_id.type),
        c.device_id == bindparam("d", type_=c.device_id.type),
    ).values({
        c.actor_id: bindparam("actor", type_=c.actor_id.type),
        c.last_seq: bindparam("seq", type_=c.last_seq.type),
        c.skewed: bindparam("skewed", type_=c.skewed.type),
        c.skew_ms: bindparam("skew", type_=c.skew_ms.type),
        c.last_push_at: bindparam("at", type_=c.last_push_at.type),
    })


_LOCK_DEVICE: dict[str, DriverStatement] = {}
_SAVE_DEVICE: dict[str, DriverStatement] = {}
_KNOWN_OPS: dict[str, DriverStatement] = {}


def _known_ops(session: Session, project_id: int, raw_ops: Sequence[Any]) -> dict[str, _Answer]:
    ids = {r.get("op_id") for r in raw_ops if isinstance(r, Mapping)}
    ids = {i for i in ids if isinstance(i, str) and 0 < len(i) <= _LIMITS["op_id"]}
    if not ids:
        return {}
    params = {"project_id": project_id, "ids": keys_value(sorted(ids))}
    statement = compiled_for(_KNOWN_OPS, _known_ops_statement, session)
    return {row[0]: _Answer(*row) for row in statement.all(session, params)}


def _known_ops_statement(dialect: str) -> Any:
    c = SyncOp.__table__.c  # type: ignore[attr-defined]
    return each_key_lookup(
        dialect, (c.op_id, c.status, c.record_id, c.version, c.result), c.op_id, "ids",
        c.project_id == bindparam("project_id", type_=c.project_id.type),
    )


def _uploaded_blobs(session: Session, raw_ops: Sequence[Any]) -> set[str]:
    wanted = set()
    for raw in raw_ops:
        attachments = raw.get("attachments") if isinstance(raw, Mapping) else None
        for item in attachments if isinstance(attachments, list) else ():
            if isinstance(item, Mapping) and isinstance(item.get("sha256"), str):
                wanted.add(item["sha256"])
    if not wanted:
        return set()
    return set(session.exec(select(Blob.sha256).where(col(Blob.sha256).in_(sorted(wanted)))))


def _prepare(push: _Push, raw_ops: Sequence[Any]) -> None:
    """Let each kind that can load every record the push names at once (a superset of those
    that apply: unknown and malformed ops are skipped later, a lock too many is harmless)."""
    keys: dict[str, list[tuple[str, str]]] = {}
    for raw in raw_ops:
        op_id = raw.get("op_id") if isinstance(raw, Mapping) else None
        if not isinstance(op_id, str) or op_id in push.known:
            continue
        kind, record_id = raw.get("type"), raw.get("record_id")
        container = raw.get("form_id") if kind == "submission" else raw.get("dataset")
        if isinstance(kind, str) and isinstance(container, str) and isinstance(record_id, str):
            keys.setdefault(kind, []).append((container, record_id))
    for name, wanted in sorted(keys.items()):
        kind = get_kind(name)
        if kind is not None and hasattr(kind, "prepare"):
            kind.prepare(push.session, push.access, push.project_id, wanted)
            push.batched.append(kind)


def _finish_batches(push: _Push, keep: Any = None, *, last: bool = False) -> None:
    """Write what batching kinds hold (all but ``keep``) and stop batching them; ``last``:
    only the push's closing statements follow."""
    for kind in [k for k in push.batched if k is not keep]:
        kind.finish_batch(push.session, last=last)
        push.batched.remove(kind)


def _one(push: _Push, raw: Any) -> dict[str, Any]:
    """The result of one op, in push order."""
    op_id = raw.get("op_id") if isinstance(raw, Mapping) else None
    if isinstance(op_id, str) and op_id in push.known:
        return _duplicate(push.known[op_id])
    try:
        op = _parse(push, raw)
    except InvalidOpError as error:
        return _invalid(push, raw, error)
    if push.blocked:
        return _deferred(op.op_id, op.record_id, "waits_for_earlier_op")
    if op.client_seq == push.last_seq + 1 and all(
        a.sha256 in push.blobs for a in op.attachments
    ):
        return _apply(push, raw, op)  # the device's next op, ready: what plan_push says of it
    planned = plan_push([op], {push.device_id: push.last_seq}, push.known, push.blobs)[0]
    if planned.decision == "deferred":
        push.blocked = True
        return _deferred(op.op_id, op.record_id, planned.reason or "deferred")
    if planned.decision == "rejected":
        return _reject(push, raw, op, planned.reason or "rejected", "client_seq already used")
    return _apply(push, raw, op)


def _parse(push: _Push, raw: Any) -> Op:
    op = parse_op(push.device_id, raw)
    for name, limit in _LIMITS.items():
        value = getattr(op, name)
        if isinstance(value, str) and len(value) > limit:
            raise InvalidOpError("op_invalid", f"{name} is longer than {limit} characters")
    if get_kind(op.type) is None:
        raise InvalidOpError("type_unknown", f"this server does not sync {op.type!r} records")
    return op


def _invalid(push: _Push, raw: Any, error: InvalidOpError) -> dict[str, Any]:
    """A malformed op: rejected in its turn, so it neither applies nor blocks later ops."""
    seq = raw.get("client_seq") if isinstance(raw, Mapping) else None
    expected = push.last_seq + 1
    if type(seq) is int and not push.blocked and seq > expected:
        push.blocked = True
    if push.blocked and type(seq) is int and seq >= expected:
        op_id = raw.get("op_id") if isinstance(raw, Mapping) else None
        return _deferred(op_id, None, "waits_for_earlier_op")
    return _reject(push, raw, None, error.code, str(error), seq=seq)


def _apply(push: _Push, raw: Any, op: Op) -> dict[str, Any]:
    capped, skewed = with_capped_clock(op, push.now_ms, push.max_skew_ms)
    if skewed:
        push.skewed = True
        push.skew_ms = op.timestamp.wall_ms - push.now_ms
    kind = get_kind(op.type)
    assert kind is not None, "checked by _parse"
    if push.batched and push.batched != [kind]:
        _finish_batches(push, keep=kind)  # e.g. an entity op sees the batch's submissions
    container = op.form_id or op.dataset or ""
    try:
        kind.check_write(push.session, push.access, push.project_id, container)
        outcome = _merge_and_save(push, kind, container, capped)
    except (OpRejected, InvalidOpError) as error:
        message = getattr(error, "message", str(error))
        return _reject(push, raw, op, error.code, message)
    status, version, conflicts = outcome
    push.accepted.append(capped.timestamp)
    result = {"conflicts": conflicts, "error": None}
    _remember(push, op, status, version, capped.hlc, result)
    return _result(op.op_id, status, op.record_id, version, conflicts, None)


def _merge_and_save(
    push: _Push, kind: Any, container: str, op: Op
) -> tuple[str, int, list[dict[str, Any]]]:
    current = kind.load(push.session, push.project_id, container, op.record_id)
    writable = getattr(kind, "writable", None)
    if current is not None and writable is not None and not writable(
        push.session, push.access, container, op.record_id
    ):
        # Out of the caller's record scope: as unknown to it as to a reader (404, never 403).
        raise OpRejected("not_found", "No such record is within your scope.")
    return _save(push, kind, container, op, current)


def _save(
    push: _Push, kind: Any, container: str, op: Op, current: Any
) -> tuple[str, int, list[dict[str, Any]]]:
    merged = merge(current, op)
    version = kind.save(
        push.session, push.project_id, container, merged, op, push.access.principal.actor_id
    )
    rows = record_conflicts(push.session, push.project_id, op.type, container, merged.conflicts)
    return merged.status, version, [conflict_json(row) for row in rows]


def _reject(
    push: _Push, raw: Any, op: Op | None, code: str, message: str, seq: Any = None
) -> dict[str, Any]:
    """Quarantine the op verbatim; a rejection in the device's turn consumes its seq."""
    error = {"code": code, "message": message}
    op_id = op.op_id if op is not None else (raw.get("op_id") if isinstance(raw, Mapping) else None)
    seq = op.client_seq if op is not None else seq
    push.session.add(SyncQuarantine(
        project_id=push.project_id, device_id=push.device_id,
        actor_id=push.access.principal.actor_id,
        op_id=op_id[:255] if isinstance(op_id, str) else None, op=_verbatim(raw), error=error,
    ))
    storable = isinstance(op_id, str) and 0 < len(op_id) <= _LIMITS["op_id"]
    if storable and type(seq) is int and seq == push.last_seq + 1:
        _remember(push, op, "rejected", None, None, {"conflicts": [], "error": error},
                  op_id=op_id, seq=seq)
    record_id = op.record_id if op is not None else None
    return _result(op_id if isinstance(op_id, str) else None, "rejected", record_id, None, [],
                   error)


def _verbatim(raw: Any) -> Any:
    plain = isinstance(raw, dict | list | str | int | float | bool) or raw is None
    return raw if plain else str(raw)


def _remember(
    push: _Push, op: Op | None, status: str, version: int | None, hlc: str | None,
    result: dict[str, Any], *, op_id: Any = None, seq: Any = None,
) -> None:
    """Store the op's final answer and count its seq as the device's last."""
    row = {
        "project_id": push.project_id, "op_id": op.op_id if op else op_id,
        "device_id": push.device_id, "client_seq": op.client_seq if op else seq,
        "actor_id": push.access.principal.actor_id, "type": op.type if op else None,
        "container": (op.form_id or op.dataset) if op else None,
        "record_id": op.record_id if op else None, "status": status, "version": version,
        "hlc": hlc, "result": _CLEAN_RESULT if _is_clean(result) else result,
        "created_at": push.answered_at,
    }
    push.answers.append(row)
    push.known[row["op_id"]] = _Answer(row["op_id"], status, row["record_id"], version, result)
    push.last_seq = row["client_seq"] or push.last_seq


def _is_clean(result: dict[str, Any]) -> bool:
    """Whether `result` is exactly ``{"conflicts": [], "error": None}``, key order included."""
    conflicts = result.get("conflicts", 0)
    return (
        type(result) is dict and len(result) == 2 and result.get("error", 0) is None
        and type(conflicts) is list and not conflicts and next(iter(result)) == "conflicts"
    )


def _duplicate(row: _Answer) -> dict[str, Any]:
    stored = row.result or {}
    answer = _result(row.op_id, "duplicate", row.record_id, row.version,
                     stored.get("conflicts") or [], stored.get("error"))
    answer["original_status"] = row.status
    return answer


def _deferred(op_id: Any, record_id: str | None, reason: str) -> dict[str, Any]:
    messages = {
        "client_seq_gap": "An earlier op of this device has not arrived yet.",
        "blob_missing": "A referenced attachment has not been uploaded yet.",
        "waits_for_earlier_op": "An earlier op of this device is deferred.",
    }
    error = {"code": reason, "message": messages.get(reason, reason)}
    return _result(op_id if isinstance(op_id, str) else None, "deferred", record_id, None, [],
                   error)


def _result(
    op_id: str | None, status: str, record_id: str | None, version: int | None,
    conflicts: list[dict[str, Any]], error: dict[str, Any] | None,
) -> dict[str, Any]:
    return {"op_id": op_id, "status": status, "record_id": record_id, "version": version,
            "conflicts": conflicts, "error": error}
