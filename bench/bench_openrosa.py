"""Loopback benchmark of OpenRosa POST /submission: one open_day_consultation with a small photo.

Runs `kenesh serve --workers 2` as a real process on SQLite and on PostgreSQL (when reachable),
then 1 client x 300 requests and 8 clients x 400 requests each. Prints one greppable line per run.

The load generator is deliberately light, like wrk or hey, since it shares the server's cores:
one asyncio event loop, one keep-alive connection per client, raw HTTP/1.1 over sockets, and
every multipart body (each with its own instanceID and the 12 KB photo) built before the clock
starts. Each response is read whole and must be a 201.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forms.convert import convert_definition  # noqa: E402
from forms.instance import document_to_instance_xml  # noqa: E402
from tests.backends import create_database, postgres_admin_url, postgres_reachable  # noqa: E402
from tests.forms.test_examples_filled import open_day  # noqa: E402
from tests.live import free_port  # noqa: E402

FORM = ROOT / "forms" / "examples" / "open_day_consultation.xlsx"
PHOTO = os.urandom(12 * 1024)  # a small photo, as a phone would send after max-pixels resizing
PASSWORD = "benchmark-password-123"


def kenesh(args: list[str], env: dict[str, str], stdin: str = "") -> None:
    subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        cwd=ROOT,
    )


def start_server(url: str, data_dir: str) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    env = {
        **os.environ,
        "KENESH_DATABASE_URL": url,
        "KENESH_DATA_DIR": data_dir,
        "KENESH_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "KENESH_LOG_LEVEL": "WARNING",
    }
    kenesh(["db", "upgrade"], env)
    kenesh(["user", "create", "bench@example.org", "--admin"], env, PASSWORD + "\n")
    port = free_port()
    env["KENESH_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base, env
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def prepare(base: str) -> str:
    """Sign in, create a project, publish the form, create an app user; returns the phone's URL prefix."""
    token = httpx.post(
        base + "/v1/sessions", json={"email": "bench@example.org", "password": PASSWORD}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    project = httpx.post(base + "/v1/projects", json={"name": "bench"}, headers=auth).json()["id"]
    created = httpx.post(
        f"{base}/v1/projects/{project}/forms",
        content=FORM.read_bytes(),
        params={"publish": "true", "ignoreWarnings": "true"},
        headers={
            **auth,
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    created.raise_for_status()
    app_user = httpx.post(
        f"{base}/v1/projects/{project}/app-users", json={"displayName": "phone"}, headers=auth
    ).json()
    httpx.post(
        f"{base}/v1/projects/{project}/forms/open_day_consultation/assignments/app-user/{app_user['id']}",
        headers=auth,
    ).raise_for_status()
    return f"{base}/v1/key/{app_user['token']}/projects/{project}"


def submissions(count: int) -> list[bytes]:
    schema = convert_definition(FORM.read_bytes(), FORM.name).schema
    doc = open_day("ru")
    return [
        document_to_instance_xml(doc, schema, instance_id=f"uuid:{uuid.uuid4()}")
        for _ in range(count)
    ]


BOUNDARY = "kenesh-bench-boundary-7f3a9c"


def multipart(xml: bytes) -> bytes:
    """The body ODK Collect sends: the instance XML, then the photo it references."""
    parts = [
        ("xml_submission_file", "submission.xml", "text/xml", xml),
        ("1764432000123.jpg", "1764432000123.jpg", "image/jpeg", PHOTO),
    ]
    chunks = []
    for name, filename, content_type, data in parts:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        chunks += [head.encode(), data, b"\r\n"]
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


def requests_for(prefix: str, count: int) -> list[bytes]:
    """Whole HTTP/1.1 requests, ready to write to a keep-alive connection."""
    url = urlsplit(prefix + "/submission")
    requests = []
    for xml in submissions(count):
        body = multipart(xml)
        head = (
            f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nX-OpenRosa-Version: 1.0\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    body = b""
    while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
        body += await reader.readexactly(size + 2)
    await reader.readuntil(b"\r\n")
    return status, body


async def client(host: str, port: int, requests: list[bytes], latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for request in requests:
            started = time.perf_counter()
            writer.write(request)
            status, body = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status != 201:
                raise SystemExit(f"unexpected {status}: {body[:200]!r}")
    finally:
        writer.close()


def run_clients(prefix: str, clients: int, per_client: int) -> tuple[float, list[float]]:
    payloads = [requests_for(prefix, per_client) for _ in range(clients)]
    url = urlsplit(prefix)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    latencies: list[float] = []

    async def run() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(client(host, port, p, latencies) for p in payloads))
        return time.perf_counter() - started

    return asyncio.run(run()), latencies


def report(
    backend: str, clients: int, per_client: int, wall: float, latencies: list[float]
) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(
        f"openrosa.submission backend={backend} workers=2 clients={clients} requests={len(ordered)} "
        f"rps={len(ordered) / wall:.1f} p50_ms={statistics.median(ordered) * 1000:.1f} "
        f"p95_ms={p95 * 1000:.1f} max_ms={ordered[-1] * 1000:.1f}",
        flush=True,
    )


def settle(backend: str) -> None:
    """On PostgreSQL, write out what earlier work left in the WAL before the clock starts.

    Test runs and earlier benchmarks leave hundreds of MB of WAL behind; the checkpoint they
    call for would otherwise land in the middle of a run and stall its commits (pgbench's
    advice is the same: a checkpoint before each run).
    """
    if backend == "postgresql":
        with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
            conn.execute("CHECKPOINT")


def bench(backend: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = create_database(backend, Path(tmp))
        proc, base, _env = start_server(db.url, str(Path(tmp) / "data"))
        try:
            prefix = prepare(base)
            run_clients(prefix, 1, 20)  # warm-up: workers import, connections open
            settle(backend)
            for clients, per_client in ((1, 300), (8, 400)):
                wall, latencies = run_clients(prefix, clients, per_client)
                report(backend, clients, per_client, wall, latencies)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            db.drop()


def main() -> None:
    from run_all import python_loop_ms

    print(f"loadavg before: {os.getloadavg()[0]:.2f} (the machine is shared; figures are noisy)")
    print(f"machine.calibration python_loop_ms={python_loop_ms():.0f}", flush=True)
    bench("sqlite")
    if postgres_reachable() is None:
        bench("postgresql")
    else:
        print("openrosa.submission backend=postgresql skipped: unreachable")


if __name__ == "__main__":
    main()
