"""Phones edit shared records offline and sync through a network that loses, repeats, delays and
reorders requests and drops answers after the server committed; the real server must keep
every value, apply every op once, converge, and open conflicts only for real concurrent edits.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import Session, select

from server.models import Submission, SubmissionDef, SyncConflict, SyncOp
from sync.client import DeviceClient, SyncError
from sync.ops import Op
from tests.factories import make_app_user
from tests.sync_api.conftest import FORM, N, V, W, World, new_record

PHONES = ("phone-aigul", "phone-bakyt", "phone-cholpon")
VALUES = {W: st.integers(0, 5), N: st.sampled_from(("", "roof", "water", "road")),
          V: st.sampled_from(("Ak-Sai", "Kara-Suu"))}


class FlakyNetwork(httpx.BaseTransport):
    """Carries a phone's requests to the app, misbehaving as a village's mobile link does."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.client, self.rng = world.client, rng
        self.calm = False
        self.delayed: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        roll = 1.0 if self.calm else self.rng.random()
        if roll < 0.1:
            raise httpx.ConnectError("no signal")  # the request never arrives
        if roll < 0.2:
            self.delayed.append(request)  # arrives later, after newer requests
            raise httpx.ConnectTimeout("stuck in a queue")
        if roll < 0.3:
            self._deliver(request)  # arrives twice
        if self.delayed and self.rng.random() < 0.3:
            self._deliver(self.delayed.pop(self.rng.randrange(len(self.delayed))))
        response = self._deliver(request)
        if roll < 0.4:
            raise httpx.ReadTimeout("the answer is lost after the server committed")
        return response

    def flush(self) -> None:
        while self.delayed:
            self._deliver(self.delayed.pop(0))

    def _deliver(self, request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode()
        answer = self.client.request(
            request.method, target, content=request.content, headers=dict(request.headers)
        )
        headers = {k: v for k, v in answer.headers.items()
                   if k.lower() not in ("content-encoding", "content-length")}
        return httpx.Response(answer.status_code, headers=headers, content=answer.content)


class Village(RuleBasedStateMachine):
    """Three phones and two shared records of one project."""

    world: World
    folder: Path
    examples = 0

    def __init__(self) -> None:
        super().__init__()
        Village.examples += 1
        self.example = Village.examples
        self.network = FlakyNetwork(self.world, random.Random(0))
        self.records = [new_record(), new_record()]
        office = self.world.manager_phone(f"office-{self.example}")
        office.push(*[office.op(r, {V: "Ak-Sai", W: 0, N: ""}) for r in self.records])
        self.ticks = iter(range(int(time.time() * 1000) - 10**8, 10**13, 7))
        self.tokens = {p: make_app_user(self.world.engine, self.world.project, p,
                                        forms=(FORM,))[1] for p in PHONES}
        self.phones = {p: self._open(p) for p in PHONES}
        self.ops: dict[str, Op] = {}
        for phone in self.phones.values():
            self.network.calm = True
            phone.sync()
        self.network.calm = False

    def _open(self, name: str) -> DeviceClient:
        device_id = f"{name}-{self.example}"  # a new phone per example, in the same project
        return DeviceClient(
            "http://testserver", self.tokens[name], self.world.project, device_id,
            self.folder / f"{device_id}.sqlite", transport=self.network,
            now_ms=lambda: next(self.ticks), max_retries=1, sleep=lambda _: None,
            rng=random.Random(0),
        )

    @rule(phone=st.sampled_from(PHONES), record=st.integers(0, 1), data=st.data())
    def edit(self, phone: str, record: int, data: st.DataObject) -> None:
        field = data.draw(st.sampled_from(sorted(VALUES)))
        value = data.draw(VALUES[field])
        client = self.phones[phone]
        op_id = client.edit("submission", FORM, self.records[record], {field: value})
        self.ops[op_id] = next(p.op for p in client.pending() if p.op.op_id == op_id)

    @rule(phone=st.sampled_from(PHONES))
    def sync(self, phone: str) -> None:
        try:
            self.phones[phone].sync()
        except SyncError:
            pass  # unreachable through every retry: the outbox waits for the next sync

    @initialize(seed=st.integers(0, 2**32 - 1))
    def weather(self, seed: int) -> None:
        self.network.rng = random.Random(seed)

    @rule()
    def late_requests_arrive(self) -> None:
        self.network.flush()

    @rule(phone=st.sampled_from(PHONES))
    def phone_restarts(self, phone: str) -> None:
        self.phones[phone].close()
        self.phones[phone] = self._open(phone)

    def teardown(self) -> None:
        try:
            self.network.calm = True
            self.network.flush()
            for _ in range(2):  # everyone pushes, then everyone pulls the others' pushes
                for client in self.phones.values():
                    client.sync()
            self.check()
        finally:
            for client in self.phones.values():
                client.close()

    def check(self) -> None:
        office = self.world.manager_phone(f"office-{self.example}")
        server = {c["record_id"]: c for c in office.pull_all()[0]}
        for client in self.phones.values():
            assert client.pending() == [] and client.rejected() == []
            for record in self.records:
                shown = client.record("submission", record)
                assert shown is not None, (client.device_id, record, client.records("submission"))
                assert dict(shown.fields) == server[record]["fields"]
        with Session(self.world.engine) as session:
            defs = session.exec(select(SubmissionDef).where(
                SubmissionDef.op_id.in_(list(self.ops))  # type: ignore[union-attr]
            )).all()
            history = session.exec(select(SubmissionDef).join(Submission).where(
                Submission.instance_id.in_(self.records))).all()  # type: ignore[attr-defined]
            conflicts = session.exec(select(SyncConflict).where(
                SyncConflict.record_id.in_(self.records))).all()  # type: ignore[attr-defined]
            answered = session.exec(select(SyncOp.op_id).where(
                SyncOp.project_id == self.world.project)).all()
        applied = Counter(d.op_id for d in defs)
        assert set(applied) == set(self.ops) and set(applied.values()) == {1} or not self.ops
        assert set(self.ops) <= set(answered)
        self.check_every_value_is_kept(list(history), conflicts)
        self.check_conflicts_are_real(conflicts)

    def check_every_value_is_kept(self, history: list[SubmissionDef], conflicts: list) -> None:
        """Each value an op sent is in some version of its record or in a conflict of it."""
        roots = {d.submission_id: d for d in history if d.version == 1}
        first_id = {roots[d.submission_id].instance_id: d.submission_id for d in history}
        seen = {(first_id.get(c.record_id), c.field, repr(side["value"]))
                for c in conflicts for side in (c.kept, *c.others)}
        by_submission = {(d.submission_id, f, repr(v)) for d in history for f, v in d.data.items()}
        for op in self.ops.values():
            for field, value in op.fields.items():
                key = (first_id[op.record_id], field, repr(value))
                assert key in by_submission or key in seen, (op, field, value)


    def check_conflicts_are_real(self, conflicts: list) -> None:
        """Each conflict holds two differing values written by two phones that had not seen
        each other's write (its other values were concurrent with an earlier winner)."""
        for conflict in conflicts:
            sides = [conflict.kept, *conflict.others]
            real = [
                (x, y) for x in sides for y in sides
                if (a := self.ops.get(x["op_id"])) and (b := self.ops.get(y["op_id"]))
                and a.device_id != b.device_id
                and a.fields[conflict.field] != b.fields[conflict.field]
                and not _saw(a, y["version"]) and not _saw(b, x["version"])
            ]
            assert real, sides


def _saw(op: Op, version: int) -> bool:
    return op.base_version is not None and op.base_version >= version


Village.TestCase.settings = settings(
    max_examples=15, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_phones_on_a_bad_network_converge_keep_every_value_and_apply_each_op_once(
    world: World,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        Village.world, Village.folder = world, Path(folder)
        run_state_machine_as_test(Village, settings=Village.TestCase.settings)
