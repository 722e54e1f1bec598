"""`kenesh serve --workers 2` on Linux: each worker listens on the port itself, the kernel
spreads connections over them, a worker that dies is replaced, SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.serve import reuse_port_supported
from tests.foundation.test_cli import KENESH, run_kenesh
from tests.live import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not reuse_port_supported(), reason="SO_REUSEPORT spreads only on Linux"),
]


class Served:
    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.proc, self.port = proc, port
        self.url = f"http://127.0.0.1:{port}"

    def workers(self) -> list[int]:
        """The worker processes: the children that listen on the port."""
        return [pid for pid in _descendants(self.proc.pid) if self.port in _ports(pid, "0A")]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    env = {"KENESH_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
           "KENESH_DATA_DIR": str(tmp_path / "var"), "KENESH_LOG_LEVEL": "WARNING"}
    assert run_kenesh(["db", "upgrade"], tmp_path, env).returncode == 0
    port = free_port()
    proc = subprocess.Popen(
        KENESH + ["serve", "--port", str(port), "--workers", "2"], cwd=tmp_path,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("KENESH_")}, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    server = Served(proc, port)
    try:
        _wait_for(lambda: len(server.workers()) == 2 and _healthy(server.url))
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
            for pid in _descendants(proc.pid):
                _kill(pid)
        proc.wait(timeout=10)


def test_each_worker_listens_and_keep_alive_connections_reach_both(served: Served) -> None:
    workers = served.workers()
    assert len(workers) == 2
    clients = [httpx.Client(base_url=served.url) for _ in range(16)]
    try:
        for client in clients:
            assert client.get("/healthz").status_code == 200
        # The connections stay open (keep-alive): each is held by the worker that accepted it.
        held = {pid: _ports(pid, "01").count(served.port) for pid in workers}
        assert sum(held.values()) == 16
        assert all(count > 0 for count in held.values()), held
    finally:
        for client in clients:
            client.close()


def test_a_worker_that_dies_is_replaced(served: Served) -> None:
    first, second = served.workers()
    os.kill(first, signal.SIGKILL)
    _wait_for(lambda: len(served.workers()) == 2 and first not in served.workers())
    assert second in served.workers()
    assert httpx.get(served.url + "/healthz").status_code == 200


def test_sigterm_stops_the_workers_and_the_server(served: Served) -> None:
    workers = served.workers()
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=30) == 0
    assert not any(_alive(pid) for pid in workers)


def test_a_port_in_use_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {"KENESH_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    assert run_kenesh(["db", "upgrade"], tmp_path, env).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_kenesh(["serve", "--port", str(port), "--workers", "2"], tmp_path, env)
    assert result.returncode == 1
    assert f"127.0.0.1:{port} is in use" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _wait_for(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("the condition did not hold within the time allowed")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _descendants(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children + [g for child in children for g in _descendants(child)]


def _ports(pid: int, state: str) -> list[int]:
    """The local ports of the process's TCP sockets in `state` (0A listening, 01 established)."""
    try:
        inodes = {os.readlink(fd.path)[8:-1] for fd in os.scandir(f"/proc/{pid}/fd")
                  if os.readlink(fd.path).startswith("socket:")}
    except OSError:
        return []
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == state and fields[9] in inodes:
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

