"""The device client: a phone's local store, offline edits and ``sync()`` over Kenesh's sync API."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from sync.client_model import (
    RETRYABLE_STATUSES,
    LocalRecord,
    PendingOp,
    PushResult,
    RejectedOp,
    SyncError,
    SyncReport,
    SyncUnavailableError,
    backoff_delay,
    op_to_wire,
    read_push_results,
    retry_after_seconds,
)
from sync.client_replica import LocalReplica
from sync.ops import Op, OpType

__all__ = [
    "DeviceClient",
    "LocalRecord",
    "PendingOp",
    "PushResult",
    "RejectedOp",
    "SyncError",
    "SyncReport",
    "SyncUnavailableError",
]

_RETRIED_ERRORS = (httpx.TransportError, httpx.DecodingError)


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class DeviceClient:
    """A device that edits offline and syncs with one Kenesh project, like a phone does.

    Every edit is committed to the local SQLite store (with its op id, ``client_seq`` and HLC)
    before the method returns, and ``sync()`` commits after each network answer, so a new
    client on the same ``store_path`` continues wherever a crash stopped the old one: resent
    ops keep their op ids and the server answers them ``duplicate``. Not thread-safe: use one
    client per thread (or a lock around it).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        project_id: int | str,
        device_id: str,
        store_path: str | os.PathLike[str],
        *,
        transport: httpx.BaseTransport | None = None,
        now_ms: Callable[[], int] | None = None,
        batch_size: int = 100,
        pull_limit: int = 500,
        max_retries: int = 5,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 60.0,
        gzip_min_bytes: int = 4096,
        timeout_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.device_id = device_id
        self._project = f"/v1/projects/{project_id}"
        self._now_ms = now_ms or _wall_clock_ms
        self._batch_size = batch_size
        self._pull_limit = pull_limit
        self._max_retries = max_retries
        self._backoff = (backoff_base_s, backoff_cap_s)
        self._gzip_min_bytes = gzip_min_bytes
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._replica = LocalReplica(store_path, device_id, str(project_id), self._now_ms)
        self._store = self._replica.store
        self._http = httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"},
        )

    def close(self) -> None:
        """Close the HTTP connection and the local store."""
        self._http.close()
        self._store.close()

    def __enter__(self) -> DeviceClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # offline edits

    def create_submission(
        self,
        form_id: str,
        fields: Mapping[str, Any],
        attachments: Mapping[str, str | os.PathLike[str]] | None = None,
    ) -> str:
        """Fill in a new submission offline; return its instance id (``uuid:…``).

        ``fields`` maps field paths to values; ``attachments`` maps file names (as the form's
        fields refer to them) to local files, uploaded by the next ``sync()``.
        """
        record_id = f"uuid:{uuid.uuid4()}"
        self._replica.write("submission", form_id, record_id, fields, False, attachments)
        return record_id

    def create_entity(self, dataset: str, fields: Mapping[str, Any]) -> str:
        """Create a new entity of a dataset offline; return its uuid."""
        record_id = str(uuid.uuid4())
        self._replica.write("entity", dataset, record_id, fields, False, None)
        return record_id

    def edit(
        self,
        type: OpType,
        form_or_dataset: str,
        record_id: str,
        fields: Mapping[str, Any],
        attachments: Mapping[str, str | os.PathLike[str]] | None = None,
    ) -> str:
        """Change some fields of a record offline; return the op id.

        Only the given fields are sent, with the version this device last saw as base, so
        fields others changed meanwhile are merged rather than overwritten.
        """
        op = self._replica.write(type, form_or_dataset, record_id, fields, False, attachments)
        return op.op_id

    def edit_entity(self, dataset: str, record_id: str, fields: Mapping[str, Any]) -> str:
        """Change some properties of an entity offline; return the op id."""
        return self.edit("entity", dataset, record_id, fields)

    def delete(self, type: OpType, form_or_dataset: str, record_id: str) -> str:
        """Delete a record offline; return the op id (an edit made concurrently elsewhere wins
        and opens a conflict on the server)."""
        return self._replica.write(type, form_or_dataset, record_id, {}, True, None).op_id

    # what the app shows

    def record(self, type: OpType, record_id: str) -> LocalRecord | None:
        """The local view of a record: the server's copy with this device's pending edits."""
        return self._store.record(type, record_id)

    def records(
        self, type: OpType, form_or_dataset: str | None = None, *, include_deleted: bool = False
    ) -> list[LocalRecord]:
        """Local views of the records of a type, optionally of one form or dataset."""
        return self._store.records(type, form_or_dataset, include_deleted)

    def pending(self) -> list[PendingOp]:
        """Ops not yet acknowledged by the server, in the order they will be pushed."""
        return self._store.outbox()

    def rejected(self) -> list[RejectedOp]:
        """Ops the server will never apply, with its reasons (never dropped silently)."""
        return self._store.rejected()

    def forms(self) -> list[dict[str, Any]]:
        """Form versions the server announced in pulls."""
        return self._store.forms()

    # sync

    def sync(self) -> SyncReport:
        """Upload queued files, push the outbox in batches, then pull until up to date.

        Raises SyncUnavailableError when the server stays unreachable through the retries and
        SyncError when it refuses a request; both leave the store consistent for a later sync.
        """
        uploaded, blob_errors = self._upload_blobs()
        results = self._push()
        report = self.pull()
        return SyncReport(
            uploaded_blobs=uploaded,
            blob_errors=tuple(blob_errors),
            results=tuple(results),
            pulled=report.pulled,
            resynced=report.resynced,
            pending=self._store.outbox_size(),
            forms=report.forms,
        )

    def pull(self) -> SyncReport:
        """Pull changes until the server has no more; pending local edits stay on top.

        A cursor the server no longer accepts (410) drops the pulled copies and pulls from the
        start, keeping the outbox.
        """
        pulled, resynced, forms = 0, False, list[dict[str, Any]]()
        while True:
            cursor = self._store.get_meta("cursor")
            params: dict[str, str | int] = {"limit": self._pull_limit}
            if cursor is not None:
                params["cursor"] = cursor
            response = self._request("GET", f"{self._project}/sync/pull", params=params)
            if response.status_code == 410 and cursor is not None and not resynced:
                with self._store.transaction():
                    self._store.forget_pulled()
                resynced = True
                continue
            page = _json_answer(response, "pull")
            self._replica.save_page(page, cursor)
            pulled += len(page["changes"])
            forms.extend(page.get("forms") or [])
            if not page.get("has_more"):
                break
        pending = self._store.outbox_size()
        return SyncReport(pulled=pulled, resynced=resynced, pending=pending, forms=tuple(forms))

    def _push(self) -> list[PushResult]:
        results: list[PushResult] = []
        while batch := [pending.op for pending in self._store.outbox(self._batch_size)]:
            answered = self._push_batch(batch)
            results.extend(answered)
            # The server applies a device's ops strictly in client_seq order: after a deferred
            # op every later one would be deferred too, so they wait for the next sync.
            if len(batch) < self._batch_size or any(r.status == "deferred" for r in answered):
                break
        return results

    def _push_batch(self, ops: Sequence[Op]) -> list[PushResult]:
        body = json.dumps({"device_id": self.device_id, "ops": [op_to_wire(op) for op in ops]})
        content, headers = body.encode(), {"Content-Type": "application/json"}
        if len(content) >= self._gzip_min_bytes:
            content, headers["Content-Encoding"] = gzip.compress(content), "gzip"
        response = self._request(
            "POST", f"{self._project}/sync/push", content=content, headers=headers
        )
        answer = _json_answer(response, "push")
        results = read_push_results(answer, ops)
        self._replica.record_push_answer(ops, results, answer.get("server_hlc"))
        return results

    def _upload_blobs(self) -> tuple[int, list[str]]:
        """Upload every queued file; a file that fails is reported and tried again next sync
        (the server defers ops referencing it meanwhile). An unreachable server raises."""
        uploaded, errors = 0, []
        for sha256, path in self._store.blobs_to_upload():
            error = self._upload_blob(sha256, path)
            with self._store.transaction():
                if error is None:
                    self._store.blob_uploaded(sha256)
                else:
                    self._store.blob_failed(sha256, error)
            if error is None:
                uploaded += 1
            else:
                errors.append(f"{path}: {error}")
        return uploaded, errors

    def _upload_blob(self, sha256: str, path: str) -> str | None:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            return f"cannot read the file ({error.strerror})"
        if hashlib.sha256(data).hexdigest() != sha256:
            return "the file changed after it was attached"
        headers = {"Content-Type": "application/octet-stream"}
        try:
            response = self._request(
                "PUT", f"{self._project}/blobs/{sha256}", content=data, headers=headers
            )
        except SyncUnavailableError as error:
            if error.status is None:
                raise  # no connection: pushing would fail too
            return str(error)
        if response.status_code not in (200, 201, 204):
            return f"upload answered {response.status_code}"
        return None

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request, retrying transport errors and overload answers with full-jitter
        exponential backoff; a Retry-After longer than the backoff cap ends the attempt."""
        base_s, cap_s = self._backoff
        for attempt in range(self._max_retries + 1):
            status: int | None = None
            try:
                response = self._http.request(method, url, **kwargs)
            except _RETRIED_ERRORS as error:
                reason, delay = f"{type(error).__name__}: {error}", None
            else:
                if response.status_code not in RETRYABLE_STATUSES:
                    return response
                status, reason = response.status_code, f"answered {response.status_code}"
                delay = retry_after_seconds(response.headers.get("Retry-After"), self._now_ms())
                if delay is not None and delay > cap_s:
                    raise SyncUnavailableError(f"{method} {url}: retry after {delay:.0f}s", status)
            if attempt == self._max_retries:
                raise SyncUnavailableError(f"{method} {url} failed: {reason}", status)
            if delay is None:
                delay = backoff_delay(attempt, base_s, cap_s, self._rng)
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def _json_answer(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except (ValueError, UnicodeDecodeError):
        body = response.text
    if response.status_code != 200 or not isinstance(body, dict):
        raise SyncError(f"{what} answered {response.status_code}", response.status_code, body)
    return body
