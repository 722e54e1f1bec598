"""Kenesh as a real server process (``python -m server.cli serve``) that tests can kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    """A uvicorn server process on a free port, started and SIGKILLed on demand."""

    def __init__(self, database_url: str, secret_key: str, data_dir: Path, workers: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {
            **os.environ, "KENESH_DATABASE_URL": database_url, "KENESH_SECRET_KEY": secret_key,
            "KENESH_DATA_DIR": str(data_dir), "KENESH_LOG_LEVEL": "WARNING",
            "KENESH_DB_POOL_SIZE": "4",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
                   "--workers", str(self.workers)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server process exited at start")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code < 500:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start in 30 s")

    def kill(self) -> None:
        """SIGKILL the server and its workers: no shutdown, no cleanup, like a power cut."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None
