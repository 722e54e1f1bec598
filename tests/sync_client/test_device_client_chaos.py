"""Phones that crash, lose answers and drop requests at random still converge, each op once."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.client import DeviceClient, SyncUnavailableError
from tests.sync_client.fake_server import START_MS, FakeServer

PHONES = ("phone-aigul", "phone-bakyt", "phone-cholpon")
RECORDS = ("uuid:r1", "uuid:r2")


class PhoneDied(Exception):
    """The app process was killed mid-request."""


class ChaoticServer(FakeServer):
    """Before or after processing a request, fail it now and then."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.rng = random.Random(seed)
        self.calm = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        roll = 1.0 if self.calm else self.rng.random()
        if roll < 0.1:
            raise httpx.ConnectError("no signal")
        if roll < 0.15:
            return httpx.Response(503, json={"code": "busy"})
        response = super().handle(request)
        if roll < 0.25:
            raise httpx.ReadTimeout("answer lost")
        if roll < 0.3:
            raise PhoneDied()
        return response


edits = st.lists(
    st.tuples(
        st.sampled_from(PHONES),
        st.sampled_from(("edit", "edit", "delete", "sync", "sync")),
        st.sampled_from(RECORDS),
        st.sampled_from(("women", "men", "notes")),
        st.integers(0, 9),
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=edits)
def test_phones_converge_and_every_op_applies_once_through_crashes_and_lost_answers(
    seed: int, steps: list[tuple[str, str, str, str, int]]
) -> None:
    server = ChaoticServer(seed)
    for record_id in RECORDS:
        server.write_as_office("submission", "open_day", record_id, {"women": 0})
    with tempfile.TemporaryDirectory() as folder:
        fleet = Fleet(server, Path(folder))
        for phone, action, record_id, field, value in steps:
            fleet.act(phone, action, record_id, {field: value})
        server.calm = True
        for _ in range(2):  # first everyone pushes, then everyone pulls what the others pushed
            for phone in PHONES:
                fleet.sync(phone)

        for phone in PHONES:
            client = fleet.clients[phone]
            assert client.pending() == [] and client.rejected() == []
            for record_id in RECORDS:
                shown = client.record("submission", record_id)
                state = server.record("submission", record_id)
                assert shown is not None
                assert (dict(shown.fields), shown.deleted) == (dict(state.fields), state.deleted)
        device_ops = {k: n for k, n in server.applied.items() if not k.startswith("office-")}
        assert set(device_ops) == fleet.created and set(device_ops.values()) <= {1}
        fleet.close()


class Fleet:
    """The phones of a test, reopened from their stores whenever one dies."""

    def __init__(self, server: FakeServer, folder: Path) -> None:
        self.server, self.folder = server, folder
        self.ticks = iter(range(START_MS, START_MS + 10**9, 7))
        self.clients = {phone: self.open(phone) for phone in PHONES}
        self.created: set[str] = set()

    def open(self, phone: str) -> DeviceClient:
        return DeviceClient(
            "http://kenesh.test",
            self.server.token,
            7,
            phone,
            self.folder / f"{phone}.sqlite",
            transport=self.server.transport(),
            now_ms=lambda: next(self.ticks),
            max_retries=2,
            sleep=lambda _: None,
            rng=random.Random(0),
        )

    def act(self, phone: str, action: str, record_id: str, fields: dict[str, Any]) -> None:
        client = self.clients[phone]
        if action == "edit":
            self.created.add(client.edit("submission", "open_day", record_id, fields))
        elif action == "delete":
            self.created.add(client.delete("submission", "open_day", record_id))
        else:
            self.sync(phone)

    def sync(self, phone: str) -> None:
        try:
            self.clients[phone].sync()
        except SyncUnavailableError:
            pass
        except PhoneDied:
            self.clients[phone].close()
            self.clients[phone] = self.open(phone)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
