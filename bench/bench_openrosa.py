"""Loopback benchmark of OpenRosa POST /submission: one open_day_consultation with a small photo.

Runs `kenesh serve --workers 2` as a real process on SQLite and on PostgreSQL (when reachable),
then 1 client x 300 requests and 8 clients x 400 requests each. Prints one greppable line per run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forms.convert import convert_definition  # noqa: E402
from forms.instance import document_to_instance_xml  # noqa: E402
from tests.backends import create_database, postgres_reachable  # noqa: E402
from tests.forms.test_examples_filled import open_day  # noqa: E402
from tests.live import free_port  # noqa: E402

FORM = ROOT / "forms" / "examples" / "open_day_consultation.xlsx"
PHOTO = os.urandom(12 * 1024)  # a small photo, as a phone would send after max-pixels resizing
PASSWORD = "benchmark-password-123"
OPENROSA = {"X-OpenRosa-Version": "1.0"}


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


def run_clients(prefix: str, clients: int, per_client: int) -> tuple[float, list[float]]:
    payloads = [submissions(per_client) for _ in range(clients)]
    latencies: list[float] = []
    lock = threading.Lock()

    def client(xmls: list[bytes]) -> None:
        with httpx.Client(headers=OPENROSA, timeout=60) as http:
            for xml in xmls:
                files = {
                    "xml_submission_file": ("submission.xml", xml, "text/xml"),
                    "1764432000123.jpg": ("1764432000123.jpg", PHOTO, "image/jpeg"),
                }
                started = time.perf_counter()
                response = http.post(prefix + "/submission", files=files)
                elapsed = time.perf_counter() - started
                if response.status_code != 201:
                    raise SystemExit(f"unexpected {response.status_code}: {response.text[:200]}")
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(p,)) for p in payloads]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies


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


def bench(backend: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = create_database(backend, Path(tmp))
        proc, base, _env = start_server(db.url, str(Path(tmp) / "data"))
        try:
            prefix = prepare(base)
            run_clients(prefix, 1, 20)  # warm-up: workers import, connections open
            for clients, per_client in ((1, 300), (8, 400)):
                wall, latencies = run_clients(prefix, clients, per_client)
                report(backend, clients, per_client, wall, latencies)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            db.drop()


def main() -> None:
    print(f"loadavg before: {os.getloadavg()[0]:.2f} (the machine is shared; figures are noisy)")
    bench("sqlite")
    if postgres_reachable() is None:
        bench("postgresql")
    else:
        print("openrosa.submission backend=postgresql skipped: unreachable")


if __name__ == "__main__":
    main()
