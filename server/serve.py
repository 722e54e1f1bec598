"""`kenesh serve --workers N` on Linux: N worker processes, each listening on the port itself.

uvicorn's workers share one listening socket, and whichever worker wakes first accepts every
connection waiting on it. Phones and proxies keep their connections open, so a burst of them
can all land on one worker while the other idles: on 2026-11-30 the eight keep-alive clients
of the OpenRosa benchmark went to a single worker of two in each of three runs. Here each worker
binds its own socket with SO_REUSEPORT and the kernel spreads new connections over them.

This module supervises the workers as uvicorn's supervisor would: a worker that dies is
started again, and SIGINT or SIGTERM stops them all (each finishes its requests first).
"""

from __future__ import annotations

import errno
import logging
import multiprocessing
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

logger = logging.getLogger("kenesh.serve")

APP = "server.app:create_served_app"
SHUTDOWN_GRACE_S = 30
RESTART_PAUSE_S = 1.0  # a worker that keeps dying at start is not restarted in a busy loop


class PortInUse(OSError):
    """Another process listens on the address already."""


def reuse_port_supported() -> bool:
    """Whether the kernel spreads connections over SO_REUSEPORT sockets (Linux does)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def serve_workers(host: str, port: int, workers: int) -> None:
    """Run `workers` worker processes on host:port until SIGINT or SIGTERM."""
    _check_free(host, port)
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    processes = [_start(context, host, port) for _ in range(workers)]
    try:
        while not stopping:
            time.sleep(0.2)
            for index, process in enumerate(processes):
                if not process.is_alive() and not stopping:
                    logger.warning("worker %s exited (%s); starting another", process.pid,
                                   process.exitcode)
                    time.sleep(RESTART_PAUSE_S)
                    processes[index] = _start(context, host, port)
    finally:
        _stop_all(processes)


def _check_free(host: str, port: int) -> None:
    # The workers' SO_REUSEPORT sockets would share the port with another such listener of
    # the same user (another Kenesh): bind once without it first, so that is an error instead.
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(exc.errno, f"{host}:{port} is in use") from None
            raise


def _start(context: Any, host: str, port: int) -> Any:
    process = context.Process(target=_worker, args=(host, port), daemon=False)
    process.start()
    return process


def _stop_all(processes: list[Any]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn finishes the requests in hand
    deadline = time.monotonic() + SHUTDOWN_GRACE_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def _worker(host: str, port: int) -> None:
    """One worker: its own listening socket on the shared port, then uvicorn on it."""
    import uvicorn

    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    config = uvicorn.Config(APP, factory=True, access_log=False, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
