"""Property: the same ops, in any arrival order and with any duplicates, give the same record.

Scenarios follow the claim in ``sync.merge``: ops come in rounds; in round k each device's ops
have base_version None or v(k-1), the version after round k-1 (the device pulled then). Within
a round a simulated transport delivers ops in random batches, out of order and duplicated; the
server plans each batch with ``plan_push`` (duplicates dropped, gaps deferred) and merges what
it may; devices then resend their outbox in a random interleaving until everything is applied.

The outcome is compared with a second delivery and with a model that needs no order at all: a
write survives unless some op that writes the same field has seen it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sync.merge import merge
from sync.ops import Op, plan_push
from sync.records import DELETION, RecordState, contested_registers

FIELDS = ("status", "progress", "spent")
VALUES = ("x", "y", "z", 1)
DEVICES = ("phone-1", "phone-2", "tablet-b-3")
START_FIELDS = {"status": "planned", "progress": 0}


@dataclass(frozen=True)
class Scenario:
    start: bool
    rounds: tuple[tuple[Op, ...], ...]


@dataclass(frozen=True)
class Outcome:
    fields: dict[str, Any]
    deleted: bool
    contested: dict[str, frozenset[str]]


def creation() -> Op:
    return Op("op-start", "office", 1, "submission", "r1", "1764450000000-00000-office",
              fields=START_FIELDS, form_id="f")  # fmt: skip


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    start = draw(st.booleans())
    version = 1 if start else 0
    seqs = dict.fromkeys(DEVICES, 0)
    rounds = []
    for _ in range(draw(st.integers(1, 3))):
        ops = []
        for device in draw(st.lists(st.sampled_from(DEVICES), min_size=1, max_size=3, unique=True)):
            for _ in range(draw(st.integers(1, 3))):
                seqs[device] += 1
                ops.append(draw(ops_of(device, seqs[device], version)))
        rounds.append(tuple(ops))
        version += len(ops)
    return Scenario(start, tuple(rounds))


@st.composite
def ops_of(draw: st.DrawFn, device: str, seq: int, pulled: int) -> Op:
    # Small clock and value ranges make ties and equal values common.
    node = draw(st.sampled_from([device, "shared"]))
    wall, counter = draw(st.integers(0, 5)), draw(st.integers(0, 2))
    fields = draw(st.dictionaries(st.sampled_from(FIELDS), st.sampled_from(VALUES), max_size=3))
    return Op(
        op_id=f"{device}/{seq}",
        device_id=device,
        client_seq=seq,
        type="submission",
        form_id="f",
        record_id="r1",
        hlc=f"{1764450000001 + wall:013d}-{counter:05d}-{node}",
        fields=fields,
        base_version=draw(st.sampled_from([None, pulled])) if pulled else None,
        deleted=draw(st.integers(0, 5)) == 0,
    )


class Server:
    """The server's part of a push, minus storage: plan, then merge what may apply."""

    def __init__(self, start: RecordState | None) -> None:
        self.state = start
        self.last_seq: dict[str, int] = {}
        self.known: set[str] = set()

    def push(self, batch: list[Op]) -> None:
        for planned in plan_push(batch, self.last_seq, self.known, set()):
            if planned.decision == "apply":
                self.state = merge(self.state, planned.op).state
                self.known.add(planned.op.op_id)
                self.last_seq[planned.op.device_id] = planned.op.client_seq


def deliver(data: st.DataObject, scenario: Scenario) -> RecordState:
    """Run every round through an unreliable transport, then until every outbox is empty."""
    server = Server(merge(None, creation()).state if scenario.start else None)
    for ops in scenario.rounds:
        sends = data.draw(st.lists(st.tuples(st.sampled_from(ops), st.booleans()), max_size=12))
        batch: list[Op] = []
        for op, ends_batch in sends:
            batch.append(op)
            if ends_batch:
                server.push(batch)
                batch = []
        server.push(batch)
        while pending := [op for op in ops if op.op_id not in server.known]:
            device = data.draw(st.sampled_from(sorted({op.device_id for op in pending})))
            server.push([op for op in pending if op.device_id == device])
    assert server.state is not None
    return server.state


def outcome_of(state: RecordState) -> Outcome:
    contested = {
        field: frozenset(json.dumps(v) for v in values)
        for field, values in contested_registers(state).items()
    }
    return Outcome(dict(state.fields), state.deleted, contested)


def modelled(scenario: Scenario) -> Outcome:
    """The outcome the claim predicts, computed from the set of ops with no arrival order."""
    writes: list[tuple[int, Op]] = [(-1, creation())] if scenario.start else []
    writes += [(k, op) for k, ops in enumerate(scenario.rounds) for op in ops]

    def sees(reader: tuple[int, Op], written: tuple[int, Op]) -> bool:
        (k, o), (j, w) = reader, written
        if o.device_id == w.device_id:
            return o.client_seq > w.client_seq
        return o.base_version is not None and k > j

    def survivors(register: str) -> list[tuple[Any, Op]]:
        writers = [(k, op) for k, op in writes if register == DELETION or register in op.fields]
        return [
            (op.deleted if register == DELETION else op.fields[register], op)
            for k, op in writers
            if not any(sees(other, (k, op)) for other in writers)
        ]

    fields: dict[str, Any] = {}
    contested: dict[str, frozenset[str]] = {}
    for register in (*FIELDS, DELETION):
        heads = survivors(register)
        if not heads:
            continue
        alive_first = register == DELETION
        _, _, value = max((not v if alive_first else 0, (op.hlc, op.device_id, op.op_id), v)
                          for v, op in heads)  # fmt: skip
        fields[register] = value
        distinct = frozenset(json.dumps(v) for v, _ in heads)
        if len(distinct) > 1:
            contested[register] = distinct
    deleted = fields.pop(DELETION)
    return Outcome(fields, deleted, contested)


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.data())
def test_the_same_ops_in_any_order_with_any_duplicates_give_the_same_values_and_conflicts(
    scenario: Scenario, data: st.DataObject
) -> None:
    first = deliver(data, scenario)
    second = deliver(data, scenario)

    assert outcome_of(first) == outcome_of(second) == modelled(scenario)


@settings(max_examples=50, deadline=None)
@given(scenarios(), st.data())
def test_every_op_is_applied_exactly_once_and_conflicts_stay_flagged(
    scenario: Scenario, data: st.DataObject
) -> None:
    state = deliver(data, scenario)
    ops = sum(len(ops) for ops in scenario.rounds) + int(scenario.start)

    assert state.version == ops
    assert set(contested_registers(state)) <= state.conflict_fields


@settings(max_examples=50, deadline=None)
@given(scenarios(), st.data())
def test_a_single_device_never_conflicts_with_itself(
    scenario: Scenario, data: st.DataObject
) -> None:
    alone = [replace(op, base_version=None) for ops in scenario.rounds for op in ops
             if op.device_id == "phone-1"]  # fmt: skip
    assume(alone)
    state = deliver(data, Scenario(start=False, rounds=(tuple(alone),)))

    assert not state.conflict
