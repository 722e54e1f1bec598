"""Values the device client hands to apps, and its pure helpers: wire shapes, overlay, backoff."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from sync.hlc import HLCFormatError, Timestamp
from sync.ops import Attachment, Op, OpType

__all__ = [
    "ACKNOWLEDGED",
    "RETRYABLE_STATUSES",
    "LocalRecord",
    "PendingOp",
    "PushResult",
    "PushStatus",
    "RejectedOp",
    "SyncError",
    "SyncReport",
    "SyncUnavailableError",
    "backoff_delay",
    "latest_timestamp",
    "op_from_wire",
    "op_to_wire",
    "overlay",
    "read_push_results",
    "retry_after_seconds",
]

PushStatus = Literal["applied", "merged", "conflict", "duplicate", "deferred", "rejected"]
# Answers that say "the server is busy or broken right now", worth the same request again later.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# An op with one of these answers has its final result on the server: it leaves the outbox.
ACKNOWLEDGED: frozenset[str] = frozenset({"applied", "merged", "conflict", "duplicate"})


class SyncError(Exception):
    """The server refused a request, or answered something the client cannot use."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class SyncUnavailableError(SyncError):
    """The server could not be reached (or stayed overloaded) through every retry.

    Nothing is lost: the outbox, the cursor and every answer received so far are in the local
    store, and the next ``sync()`` continues from there.
    """


@dataclass(frozen=True, slots=True)
class LocalRecord:
    """A record as the app should show it: the server's copy with this device's pending edits.

    ``version`` is the server version this device has seen (None if the record never reached
    the server as far as the device knows); ``pending`` says local edits are not acknowledged.
    """

    type: OpType
    record_id: str
    form_id: str | None
    dataset: str | None
    version: int | None
    fields: Mapping[str, Any]
    deleted: bool
    conflict: bool
    pending: bool
    hlc: str | None


@dataclass(frozen=True, slots=True)
class PendingOp:
    """An op in the outbox; ``deferred`` with the server's reason once it was answered so."""

    op: Op
    deferred: bool = False
    error: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class RejectedOp:
    """An op the server will never apply, kept with the server's reason for the app to show."""

    op: Op
    error: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PushResult:
    """The server's answer to one pushed op."""

    op_id: str
    status: PushStatus
    record_id: str | None = None
    version: int | None = None
    conflicts: tuple[Mapping[str, Any], ...] = ()
    error: Mapping[str, Any] | None = None

    @classmethod
    def from_wire(cls, raw: Mapping[str, Any]) -> PushResult:
        """Read one element of a push answer's ``results``."""
        status = raw.get("status")
        if status not in ("applied", "merged", "conflict", "duplicate", "deferred", "rejected"):
            raise SyncError(f"unknown push status {status!r}", body=raw)
        version = raw.get("version")
        return cls(
            op_id=str(raw.get("op_id")),
            status=status,
            record_id=raw.get("record_id"),
            version=version if isinstance(version, int) else None,
            conflicts=tuple(raw.get("conflicts") or ()),
            error=raw.get("error") or None,
        )


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one ``sync()`` did: blobs uploaded, push answers, changes pulled."""

    uploaded_blobs: int = 0
    blob_errors: tuple[str, ...] = ()
    results: tuple[PushResult, ...] = ()
    pulled: int = 0
    resynced: bool = False
    pending: int = 0
    forms: tuple[Mapping[str, Any], ...] = field(default=())

    def count(self, status: PushStatus) -> int:
        """How many pushed ops got this status."""
        return sum(1 for result in self.results if result.status == status)


def read_push_results(answer: Mapping[str, Any], ops: Sequence[Op]) -> list[PushResult]:
    """The results of a push answer, checked to be one per op and in the order of the ops."""
    raw_results = answer.get("results")
    if not isinstance(raw_results, list) or len(raw_results) != len(ops):
        raise SyncError("push answer does not have one result per op", body=answer)
    results = [PushResult.from_wire(raw) for raw in raw_results]
    if any(r.op_id != op.op_id for r, op in zip(results, ops, strict=True)):
        raise SyncError("push results are not in the order of the ops", body=answer)
    return results


def latest_timestamp(hlcs: Iterable[Any]) -> Timestamp | None:
    """The latest valid HLC among server timestamps; missing or foreign ones are skipped, as
    they must not block a sync."""
    valid = []
    for text in hlcs:
        try:
            valid.append(Timestamp.parse(text))
        except HLCFormatError:
            continue
    return max(valid, default=None)


def op_to_wire(op: Op) -> dict[str, Any]:
    """An op as one element of a push body's ``ops``."""
    wire: dict[str, Any] = {"op_id": op.op_id, "client_seq": op.client_seq, "type": op.type}
    if op.type == "submission":
        wire["form_id"] = op.form_id
    else:
        wire["dataset"] = op.dataset
    wire.update(
        record_id=op.record_id,
        base_version=op.base_version,
        hlc=op.hlc,
        fields=dict(op.fields),
        deleted=op.deleted,
        attachments=[{"name": a.name, "sha256": a.sha256} for a in op.attachments],
    )
    return wire


def op_from_wire(device_id: str, wire: Mapping[str, Any]) -> Op:
    """The inverse of ``op_to_wire`` (for ops this client wrote itself)."""
    return Op(
        op_id=wire["op_id"],
        device_id=device_id,
        client_seq=wire["client_seq"],
        type=wire["type"],
        record_id=wire["record_id"],
        hlc=wire["hlc"],
        fields=wire["fields"],
        base_version=wire["base_version"],
        deleted=wire["deleted"],
        form_id=wire.get("form_id"),
        dataset=wire.get("dataset"),
        attachments=tuple(Attachment(a["name"], a["sha256"]) for a in wire["attachments"]),
    )


def overlay(
    fields: Mapping[str, Any] | None, deleted: bool, ops: Iterable[Op]
) -> tuple[dict[str, Any], bool]:
    """A record's fields and deleted flag with this device's pending ops applied in order.

    An edit writes "not deleted" (as in the merge), so editing a deleted record shows it again.
    """
    view = dict(fields or {})
    for op in ops:
        view.update(op.fields)
        deleted = op.deleted
    return view, deleted


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): "full jitter".

    Uniform in [0, min(cap, base * 2**attempt)]: the bound doubles per attempt, and the jitter
    keeps a village's phones that lost the link together from hammering the server in step.
    """
    bound = min(cap_s, base_s * (2**attempt))
    return rng.uniform(0.0, bound)


def retry_after_seconds(header: str | None, now_ms: int) -> float | None:
    """The wait a ``Retry-After`` header asks for (delta seconds or an HTTP date), if valid."""
    if not header:
        return None
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now_ms / 1000)
