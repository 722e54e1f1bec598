"""pyodk, unmodified, configured as its users configure it (a PYODK_CONFIG_FILE), against the
test app served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pyodk.client import Client

from tests.factories import PASSWORD
from tests.live import serve_in_thread


@contextmanager
def live_pyodk_client(app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      username: str, project_id: int) -> Iterator[Client]:
    """A pyodk Client signed in as `username` (password PASSWORD), `project_id` its default."""
    with serve_in_thread(app) as base_url:
        config = tmp_path / "pyodk_config.toml"
        config.write_text(
            "[central]\n"
            f'base_url = "{base_url}"\n'
            f'username = "{username}"\n'
            f'password = "{PASSWORD}"\n'
            f"default_project_id = {project_id}\n"
        )
        monkeypatch.setenv("PYODK_CONFIG_FILE", str(config))
        monkeypatch.setenv("PYODK_CACHE_FILE", str(tmp_path / "pyodk_cache.toml"))
        with Client() as client:
            yield client
