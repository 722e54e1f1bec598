"""The device's local replica: its store and clock, offline edits as ops, server answers taken in.

Everything here runs without the network; ``sync.client`` does the HTTP and hands the answers
over, so this module must never import httpx.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sync.client_model import ACKNOWLEDGED, PushResult, SyncError, latest_timestamp
from sync.client_store import ClientStore
from sync.hlc import Clock, Timestamp
from sync.ops import Attachment, Op, OpType

__all__ = ["LocalReplica"]


class LocalReplica:
    """One device's store of one project with its hybrid logical clock.

    Opening it claims the store for the device and project (a store of another raises
    ValueError) and restores the clock from the last timestamp the store saved. Each method
    commits its own transaction, so a crash never leaves half an edit or half an answer.
    """

    def __init__(
        self,
        store_path: str | os.PathLike[str],
        device_id: str,
        project_id: str,
        now_ms: Callable[[], int],
    ) -> None:
        self.device_id = device_id
        self.store = ClientStore(os.fspath(store_path), device_id)
        self._claim(project_id)
        saved = self.store.get_meta("hlc")
        last = Timestamp.parse(saved) if saved else None
        self._clock = Clock(device_id, now_ms, last)

    def _claim(self, project_id: str) -> None:
        with self.store.transaction():
            for key, value in (("device_id", self.device_id), ("project_id", project_id)):
                stored = self.store.get_meta(key)
                if stored is None:
                    self.store.set_meta(key, value)
                elif stored != value:
                    raise ValueError(f"{key} is {value!r} but the store belongs to {stored!r}")

    def write(
        self,
        kind: OpType,
        target: str,
        record_id: str,
        fields: Mapping[str, Any],
        deleted: bool,
        files: Mapping[str, str | os.PathLike[str]] | None,
    ) -> Op:
        """Queue an offline edit of a record as an op in the outbox and return the op.

        ``target`` is the form id of a submission or the dataset of an entity; the op's base is
        the version this device last saw. Attached files are hashed now and queued for upload,
        so a file changed before the upload is caught rather than sent under a stale hash.
        """
        hashed = [(name, str(path), _sha256_of(path)) for name, path in (files or {}).items()]
        with self.store.transaction():
            known_target, version = self.store.known(kind, record_id)
            if known_target is not None and known_target != target:
                raise ValueError(f"{record_id} belongs to {known_target!r}, not {target!r}")
            op = Op(
                op_id=str(uuid.uuid4()),
                device_id=self.device_id,
                client_seq=self.store.take_client_seq(),
                type=kind,
                record_id=record_id,
                hlc=self._clock.tick().encode(),
                fields=dict(fields),
                base_version=version,
                deleted=deleted,
                form_id=target if kind == "submission" else None,
                dataset=target if kind == "entity" else None,
                attachments=tuple(Attachment(name, sha) for name, _, sha in hashed),
            )
            self.store.add_op(op, target)
            for _, path, sha in hashed:
                self.store.queue_blob(sha, path)
            self.store.set_meta("hlc", self._clock.last.encode())
        return op

    def save_page(self, page: Mapping[str, Any], cursor: str | None) -> None:
        """Apply one pull answer: its changes, the forms it announces and its new cursor.

        ``cursor`` is the one the page was asked with; a page that claims more but neither
        brings changes nor moves the cursor raises SyncError instead of pulling forever.
        """
        changes = page.get("changes")
        if not isinstance(changes, list) or "cursor" not in page:
            raise SyncError("pull answer without changes or cursor", body=page)
        if page.get("has_more") and not changes and page["cursor"] == cursor:
            raise SyncError("pull answer has more but does not move the cursor", body=page)
        with self.store.transaction():
            for change in changes:
                self.store.apply_change(change)
            for form in page.get("forms") or []:
                self.store.save_form(form)
            self.store.set_meta("cursor", str(page["cursor"]))
            self._receive(change.get("hlc") for change in changes)

    def record_push_answer(
        self, ops: Sequence[Op], results: Sequence[PushResult], server_hlc: Any
    ) -> None:
        """File the server's result for each pushed op (acknowledged, deferred or rejected) and
        advance the clock past the server's timestamp."""
        with self.store.transaction():
            for op, result in zip(ops, results, strict=True):
                self._record_result(op, result)
            self._receive([server_hlc])

    def _record_result(self, op: Op, result: PushResult) -> None:
        # A duplicate repeats the stored answer: with an error it is a rejection whose first
        # answer was lost, and it must reach the rejected table all the same.
        if result.status == "rejected" or (result.status == "duplicate" and result.error):
            self.store.reject(op, result.error or {"code": "rejected"})
        elif result.status in ACKNOWLEDGED:
            self.store.acknowledge(op, result)
        else:
            self.store.defer(op, result.error)

    def _receive(self, hlcs: Iterable[Any]) -> None:
        """Advance the clock past every server timestamp seen (inside the caller's transaction)."""
        latest = latest_timestamp(hlcs)
        if latest is not None:
            self._clock.receive(latest)
            self.store.set_meta("hlc", self._clock.last.encode())


def _sha256_of(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
