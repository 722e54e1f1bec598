"""The app as `kenesh serve` runs it: start-up's objects are frozen out of later garbage
collections, garbage made before is still collected, and the app answers as create_app's."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.app import create_served_app
from server.settings import get_settings


class _Node:
    """An object in a reference cycle: only the cycle collector can free it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KENESH_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    monkeypatch.setenv("KENESH_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
    gc.unfreeze()  # the rest of the test run collects as usual


def test_start_up_objects_are_frozen_and_garbage_is_not(environment: None) -> None:
    garbage = _Node()
    gone = weakref.ref(garbage)
    gc.collect()  # it survives into the oldest generation, which only a full collection walks
    del garbage
    assert gc.get_freeze_count() == 0

    app = create_served_app()

    # Modules, routes and models: far more objects than a collection should walk each time.
    assert gc.get_freeze_count() > 50_000
    assert gone() is None  # collected before the freeze, not kept for the process's life
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
