"""Fixtures for device client tests: a fake server and a factory of phones sharing it."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.client import DeviceClient
from tests.sync_client.fake_server import START_MS, FakeServer

MakeClient = Callable[..., DeviceClient]


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def sleeps() -> list[float]:
    """Every backoff sleep the clients asked for (nobody really sleeps)."""
    return []


@pytest.fixture
def make_client(server: FakeServer, tmp_path: Path, sleeps: list[float]) -> Iterator[MakeClient]:
    """Open a client for a device; the same device id reopens the same local store."""
    opened: list[DeviceClient] = []
    clock = iter(range(START_MS, START_MS + 10**9, 1000))

    def make(device_id: str = "phone-1", **overrides: Any) -> DeviceClient:
        options: dict[str, Any] = {
            "transport": server.transport(),
            "now_ms": lambda: next(clock),
            "sleep": sleeps.append,
            "rng": random.Random(6),
        }
        options.update(overrides)
        store_path = options.pop("store_path", tmp_path / f"{device_id}.sqlite")
        token = options.pop("token", server.token)
        client = DeviceClient("http://kenesh.test", token, 7, device_id, store_path, **options)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()  # closing twice is harmless
