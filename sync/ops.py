"""Sync ops as devices push them, and the pure decision of which ops of a push to apply."""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import Any, Literal

from sync.hlc import DEFAULT_MAX_SKEW_MS, HLCFormatError, Timestamp, cap_remote
from sync.records import DELETION

__all__ = [
    "Attachment",
    "InvalidOpError",
    "Op",
    "OpType",
    "PlannedOp",
    "PushDecision",
    "parse_op",
    "plan_push",
    "with_capped_clock",
]

OpType = Literal["submission", "entity"]
PushDecision = Literal["apply", "duplicate", "deferred", "rejected"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


class InvalidOpError(ValueError):
    """An op that can never apply as sent; ``code`` names the reason for the push result."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file an op references; the blob must be uploaded before the op can apply."""

    name: str
    sha256: str

    def __post_init__(self) -> None:
        if not self.name:
            raise InvalidOpError("attachment_invalid", "an attachment needs a name")
        if not _SHA256.fullmatch(self.sha256):
            raise InvalidOpError("attachment_invalid", f"not a lowercase sha256: {self.sha256!r}")


@dataclass(frozen=True, slots=True)
class Op:
    """One write of one device to one record.

    ``client_seq`` numbers the device's ops from 1 without gaps; ``hlc`` is the device's HLC in
    wire form, already capped by the server (see ``sync.hlc.cap_remote``). ``base_version`` is
    the record version the device last saw, None if it never saw the record. Writes that do
    not come from a syncing device (REST, OpenRosa) use the server's HLC and a ``device_id``
    naming their writer (e.g. ``"user:42"``): writes of one device id are taken as sequential.
    """

    op_id: str
    device_id: str
    client_seq: int
    type: OpType
    record_id: str
    hlc: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    base_version: int | None = None
    deleted: bool = False
    form_id: str | None = None
    dataset: str | None = None
    attachments: tuple[Attachment, ...] = ()
    # The parsed ``hlc``: a push reads it several times per op.
    _timestamp: Timestamp = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._plain_submission():
            self._check_identity()
            self._check_target()
        try:
            object.__setattr__(self, "_timestamp", Timestamp.parse(self.hlc))
        except HLCFormatError as error:
            raise InvalidOpError("hlc_invalid", str(error)) from None
        if DELETION in self.fields:
            raise InvalidOpError("field_reserved", f"{DELETION!r} is not a field name")

    def _plain_submission(self) -> bool:
        # The usual op in one expression: what _check_identity and _check_target accept.
        return (
            type(self.op_id) is str and type(self.device_id) is str
            and type(self.record_id) is str and self.op_id != "" and self.device_id != ""
            and self.record_id != "" and type(self.client_seq) is int and self.client_seq >= 1
            and (self.base_version is None
                 or (type(self.base_version) is int and self.base_version >= 0))
            and self.type == "submission" and type(self.form_id) is str and self.form_id != ""
            and self.dataset is None
        )

    def _check_identity(self) -> None:
        for name in ("op_id", "device_id", "record_id"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise InvalidOpError("op_invalid", f"{name} must be a non-empty string")
        if type(self.client_seq) is not int or self.client_seq < 1:
            raise InvalidOpError("op_invalid", "client_seq must be an integer from 1")
        if self.base_version is not None and (
            type(self.base_version) is not int or self.base_version < 0
        ):
            raise InvalidOpError("op_invalid", "base_version must be null or an integer >= 0")

    def _check_target(self) -> None:
        if self.type == "submission":
            wanted, unwanted = self.form_id, self.dataset
        elif self.type == "entity":
            wanted, unwanted = self.dataset, self.form_id
        else:
            raise InvalidOpError("op_invalid", f"unknown op type {self.type!r}")
        target = "form_id" if self.type == "submission" else "dataset"
        if not wanted or unwanted is not None:
            raise InvalidOpError("op_invalid", f"a {self.type} op names exactly its {target}")

    @property
    def timestamp(self) -> Timestamp:
        """The op's HLC as a Timestamp."""
        return self._timestamp


def parse_op(device_id: str, raw: Mapping[str, Any]) -> Op:
    """Build an Op from one element of a push body's ``ops``; raise InvalidOpError if malformed."""
    if not isinstance(raw, Mapping):
        raise InvalidOpError("op_invalid", "an op must be a JSON object")
    fields = raw.get("fields", {})
    # map() over isinstance: the same checks as a generator's, without a frame per op.
    if not isinstance(fields, Mapping) or not all(map(isinstance, fields, repeat(str))):
        raise InvalidOpError("op_invalid", "fields must be an object")
    attachments = raw.get("attachments") or []
    if not isinstance(attachments, list) or not all(
        map(isinstance, attachments, repeat(Mapping))
    ):
        raise InvalidOpError("op_invalid", "attachments must be a list of objects")
    deleted = raw.get("deleted", False)
    if not isinstance(deleted, bool):
        raise InvalidOpError("op_invalid", "deleted must be a boolean")
    return Op(
        op_id=raw.get("op_id"),  # type: ignore[arg-type]  # checked by Op
        device_id=device_id,
        client_seq=raw.get("client_seq"),  # type: ignore[arg-type]
        type=raw.get("type"),  # type: ignore[arg-type]
        record_id=raw.get("record_id"),  # type: ignore[arg-type]
        hlc=raw.get("hlc"),  # type: ignore[arg-type]
        fields=dict(fields),
        base_version=raw.get("base_version"),
        deleted=deleted,
        form_id=raw.get("form_id"),
        dataset=raw.get("dataset"),
        attachments=tuple(map(_attachment, attachments)) if attachments else (),
    )


def with_capped_clock(
    op: Op, server_now_ms: int, max_skew_ms: int = DEFAULT_MAX_SKEW_MS
) -> tuple[Op, bool]:
    """The op with its HLC capped at server time plus the allowed skew, and whether it was."""
    capped = cap_remote(op.timestamp, server_now_ms, max_skew_ms)
    if not capped.skewed:
        return op, False
    return replace(op, hlc=capped.timestamp.encode()), True


def _attachment(raw: Mapping[str, Any]) -> Attachment:
    name, sha256 = raw.get("name"), raw.get("sha256")
    if not isinstance(name, str) or not isinstance(sha256, str):
        raise InvalidOpError("attachment_invalid", "an attachment has a name and a sha256")
    return Attachment(name, sha256)


@dataclass(frozen=True, slots=True)
class PlannedOp:
    """What the server does with one pushed op; ``reason`` explains deferred and rejected ops."""

    op: Op
    decision: PushDecision
    reason: str | None = None


def plan_push(
    ops: Sequence[Op],
    last_seq_by_device: Mapping[str, int],
    known_op_ids: Container[str],
    available_blobs: Container[str],
) -> list[PlannedOp]:
    """Decide, in push order, which ops to apply, which are replays and which must wait.

    A known ``op_id`` (or one already planned earlier in the batch) is a duplicate. An op whose
    ``client_seq`` leaves a gap after the device's last applied op, whose blobs are not
    uploaded yet, or that follows a deferred op of its device, is deferred: a device's ops apply
    strictly in ``client_seq`` order, which the merge relies on. A new op_id reusing an already
    applied ``client_seq`` can never apply and is rejected.
    """
    batch = _Batch(known_op_ids, available_blobs, dict(last_seq_by_device))
    return [batch.plan(op) for op in ops]


@dataclass(slots=True)
class _Batch:
    """Bookkeeping of one push, so that each op sees the outcome of the ops before it."""

    known: Container[str]
    blobs: Container[str]
    last_seq: dict[str, int]
    planned: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)

    def plan(self, op: Op) -> PlannedOp:
        if op.op_id in self.known or op.op_id in self.planned:
            return PlannedOp(op, "duplicate")
        expected = self.last_seq.get(op.device_id, 0) + 1
        if op.client_seq < expected:
            return PlannedOp(op, "rejected", "client_seq_reused")
        if op.device_id in self.blocked:
            return PlannedOp(op, "deferred", "waits_for_earlier_op")
        reason = None
        if op.client_seq > expected:
            reason = "client_seq_gap"
        elif any(a.sha256 not in self.blobs for a in op.attachments):
            reason = "blob_missing"
        if reason is not None:
            self.blocked.add(op.device_id)
            return PlannedOp(op, "deferred", reason)
        self.planned.add(op.op_id)
        self.last_seq[op.device_id] = op.client_seq
        return PlannedOp(op, "apply")
