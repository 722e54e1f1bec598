"""An in-memory Kenesh sync API on the pure engine, behind httpx.MockTransport, with faults."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync.hlc import Clock
from sync.merge import merge
from sync.ops import InvalidOpError, Op, parse_op, plan_push, with_capped_clock
from sync.records import RecordState, side_to_json

START_MS = 1_764_450_000_000


@dataclass
class Fault:
    """What to do to the next ``times`` requests whose path contains ``path_part``.

    ``skip`` requests pass untouched first. ``before`` is raised instead of processing, ``status``
    answered instead of processing, ``after`` raised once the server has processed the request
    (its answer is lost).
    """

    path_part: str
    times: int = 1
    skip: int = 0
    before: Exception | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after: BaseException | None = None


@dataclass
class StoredRecord:
    type: str
    target: str
    state: RecordState
    hlc: str
    position: int


class FakeServer:
    """One project's sync API: push (plan_push + merge), pull by integer cursor, blobs."""

    def __init__(
        self,
        project_id: int = 7,
        token: str = "app-user-token",
        forms: tuple[str, ...] = ("open_day", "incident"),
        datasets: tuple[str, ...] = ("activities",),
        now_ms: int = START_MS,
    ) -> None:
        self.prefix = f"/v1/projects/{project_id}/"
        self.token = token
        self.forms, self.datasets = set(forms), set(datasets)
        self.now_ms = now_ms
        self.clock = Clock("server", lambda: self.now_ms)
        self.records: dict[tuple[str, str], StoredRecord] = {}
        self.published: list[tuple[int, dict[str, Any]]] = []
        self.positions = itertools.count(1)
        self.position = 0
        self.oldest_cursor = 0
        self.last_seq: dict[str, int] = {}
        self.results: dict[str, dict[str, Any]] = {}
        self.applied: Counter[str] = Counter()
        self.quarantine: list[dict[str, Any]] = []
        self.blobs: dict[str, bytes] = {}
        self.requests: list[httpx.Request] = []
        self.faults: list[Fault] = []
        self.gzip_answers = True
        self._office_ops = itertools.count(1)

    def transport(self) -> httpx.MockTransport:
        """The transport to hand to a DeviceClient."""
        return httpx.MockTransport(self.handle)

    def fail(self, path_part: str, **how: Any) -> None:
        """Add a fault for requests whose path contains ``path_part`` (see ``Fault``)."""
        self.faults.append(Fault(path_part, **how))

    # what tests look at

    def record(self, kind: str, record_id: str) -> RecordState:
        return self.records[(kind, record_id)].state

    def pushed_bodies(self) -> list[dict[str, Any]]:
        """The JSON of every push request received, decompressed."""
        return [_json_body(r) for r in self.requests if r.url.path.endswith("/sync/push")]

    # writes from elsewhere (REST or OpenRosa): stamped with the server's clock

    def write_as_office(
        self, kind: str, target: str, record_id: str, fields: dict[str, Any], deleted: bool = False
    ) -> None:
        number = next(self._office_ops)
        current = self.records.get((kind, record_id))
        op = Op(
            op_id=f"office-{number}",
            device_id="user:1",
            client_seq=number,
            type=kind,  # type: ignore[arg-type]
            record_id=record_id,
            hlc=self.clock.tick().encode(),
            fields=fields,
            base_version=current.state.version if current else None,
            deleted=deleted,
            form_id=target if kind == "submission" else None,
            dataset=target if kind == "entity" else None,
        )
        self._merge(op, target)

    def publish_form(self, form_id: str, version: str) -> None:
        self.forms.add(form_id)
        self.position = next(self.positions)
        self.published.append((self.position, {"form_id": form_id, "version": version}))

    def forget_history(self) -> None:
        """Drop deleted records' tombstones: cursors from before now become too old (410)."""
        self.records = {k: r for k, r in self.records.items() if not r.state.deleted}
        self.oldest_cursor = self.position

    # HTTP

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        fault = self._fault_for(request)
        if fault is not None and fault.before is not None:
            raise fault.before
        if fault is not None and fault.status is not None:
            return httpx.Response(fault.status, headers=fault.headers, json={"code": "busy"})
        response = self._route(request)
        if fault is not None and fault.after is not None:
            raise fault.after
        return response

    def _fault_for(self, request: httpx.Request) -> Fault | None:
        for fault in self.faults:
            if fault.path_part in request.url.path and fault.times > 0:
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                return fault
        return None

    def _route(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"code": "401.2"})
        path = request.url.path
        if not path.startswith(self.prefix):
            return httpx.Response(404, json={"code": "404.1"})
        rest = path[len(self.prefix) :]
        if request.method == "PUT" and rest.startswith("blobs/"):
            return self._put_blob(rest.removeprefix("blobs/"), request.content)
        if request.method == "POST" and rest == "sync/push":
            return self._answer(request, self._push(_json_body(request)))
        if request.method == "GET" and rest == "sync/pull":
            return self._pull(request)
        return httpx.Response(404, json={"code": "404.1"})

    def _answer(self, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.gzip_answers and "gzip" in request.headers.get("Accept-Encoding", ""):
            data, headers["Content-Encoding"] = gzip.compress(data), "gzip"
        return httpx.Response(200, content=data, headers=headers)

    def _put_blob(self, sha256: str, data: bytes) -> httpx.Response:
        if hashlib.sha256(data).hexdigest() != sha256:
            return httpx.Response(400, json={"code": "blob_hash_mismatch"})
        known = sha256 in self.blobs
        self.blobs[sha256] = data
        return httpx.Response(200 if known else 201, json={"sha256": sha256})

    def _push(self, body: dict[str, Any]) -> dict[str, Any]:
        device_id = body["device_id"]
        ops = [parse_op(device_id, raw) for raw in body["ops"]]
        plans = plan_push(ops, self.last_seq, self.results, self.blobs)
        results = [self._decide(plan.op, plan.decision, plan.reason) for plan in plans]
        return {"results": results, "server_hlc": self.clock.tick().encode()}

    def _decide(self, op: Op, decision: str, reason: str | None) -> dict[str, Any]:
        if decision == "duplicate":
            return {**self.results[op.op_id], "status": "duplicate"}
        if decision == "deferred":
            return _result(op, "deferred", error={"code": reason})
        if decision == "apply":
            self.last_seq[op.device_id] = op.client_seq
            target = op.form_id or op.dataset or ""
            if target not in (self.forms if op.type == "submission" else self.datasets):
                reason = "form_unknown" if op.type == "submission" else "dataset_unknown"
            else:
                try:
                    result = self._merge(with_capped_clock(op, self.now_ms)[0], target)
                except InvalidOpError as error:
                    reason = error.code
                else:
                    self.results[op.op_id] = result
                    return result
        result = _result(op, "rejected", error={"code": reason})
        self.results[op.op_id] = result
        self.quarantine.append({"op": op, "error": reason})
        return result

    def _merge(self, op: Op, target: str) -> dict[str, Any]:
        key = (op.type, op.record_id)
        current = self.records.get(key)
        merged = merge(current.state if current else None, op)
        self.applied[op.op_id] += 1
        self.clock.receive(op.timestamp)
        self.position = next(self.positions)
        self.records[key] = StoredRecord(op.type, target, merged.state, op.hlc, self.position)
        conflicts = [
            {"field": c.field, "kept": side_to_json(c.kept), "other": side_to_json(c.other)}
            for c in merged.conflicts
        ]
        return _result(op, merged.status, version=merged.version, conflicts=conflicts)

    def _pull(self, request: httpx.Request) -> httpx.Response:
        cursor = int(request.url.params.get("cursor") or 0)
        limit = int(request.url.params.get("limit") or 100)
        if 0 < cursor < self.oldest_cursor:
            return httpx.Response(410, json={"code": "410.1"})
        items: list[tuple[int, str, Any]] = [
            (r.position, "record", r) for r in self.records.values() if r.position > cursor
        ]
        items += [(p, "form", f) for p, f in self.published if p > cursor]
        items.sort(key=lambda item: item[0])
        page = items[:limit]
        body: dict[str, Any] = {
            "changes": [_change(r) for _, kind, r in page if kind == "record"],
            "cursor": str(page[-1][0] if page else max(cursor, self.position)),
            "has_more": len(items) > limit,
        }
        forms = [f for _, kind, f in page if kind == "form"]
        if forms:
            body["forms"] = forms
        return self._answer(request, body)


def _result(op: Op, status: str, **extra: Any) -> dict[str, Any]:
    result = {"op_id": op.op_id, "status": status, "record_id": op.record_id, "version": None}
    result.update({"conflicts": [], "error": None})
    result.update(extra)
    return result


def _change(stored: StoredRecord) -> dict[str, Any]:
    state = stored.state
    target_key = "form_id" if stored.type == "submission" else "dataset"
    return {
        "type": stored.type,
        target_key: stored.target,
        "record_id": state.record_id,
        "version": state.version,
        "fields": dict(state.fields),
        "deleted": state.deleted,
        "conflict": state.conflict,
        "hlc": stored.hlc,
    }


def _json_body(request: httpx.Request) -> dict[str, Any]:
    data = request.content
    if request.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    body: dict[str, Any] = json.loads(data)
    return body
