"""Export speed through HTTP: 100,000 open_day_consultation submissions with repeats.

Submissions go straight into the tables (executemany); the exports go through the real
route of a uvicorn server process, whose peak RSS (VmHWM) is read before and after each
export (the peak is reset between exports where Linux allows it). Prints greppable lines:
    export.csv sqlite seconds=... rows_per_s=... first_byte_s=... peak_mb=... extra_mb=...
for each of CSV zip, XLSX and GeoJSON. rows are every table's rows (main and repeat rows);
first_byte_s is how long the client waited for the first byte; server_cpu_s is the server
process's CPU time for the export, steadier than wall time on a busy machine; extra_mb is
the server's peak RSS during the export above its RSS before it. Figures only, nothing
asserted; the machine.calibration line says how fast this machine was at the time.
KENESH_BENCH_EXPORT_COUNT changes the number of submissions, KENESH_BENCH_EXPORT_FORMATS
picks formats (e.g. "csv,geojson"); PostgreSQL runs too when the test database server is
reachable.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forms.schema import FormSchema  # noqa: E402
from server.db import make_engine, unit_of_work  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from tests.backends import create_database, postgres_reachable  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from bench_export_pure import document  # noqa: E402  (the same synthetic answers)

COUNT = int(os.environ.get("KENESH_BENCH_EXPORT_COUNT", "100000"))
REPEATS = 3
POOL = 500
BATCH = 5000
PASSWORD = "bench-password-1325"
FORMATS = tuple(
    (label, path) for label, path in (
        ("csv", "submissions.csv.zip?attachments=false"), ("xlsx", "submissions.xlsx"),
        ("geojson", "submissions.geojson"))
    if label in os.environ.get("KENESH_BENCH_EXPORT_FORMATS", "csv,xlsx,geojson").split(","))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
def setup_database(url: str) -> tuple[int, str]:
    """A migrated database with an admin, a project, the published form and its submissions."""
    from forms.examples.build import workbook_sheets, write_sheets
    from forms.examples.open_day_consultation import FORM
    from server.models import FormDef
    from server.services.form_lifecycle import create_form
    from server.services.form_upload import Upload, prepare_definition
    from server.services.forms import load_schema
    from server.services.projects import create_project
    from server.services.users import create_user
    from server.settings import Settings

    engine = make_engine(url)
    upgrade(engine)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "open_day_consultation.xlsx"
        write_sheets(workbook_sheets(FORM), path)
        upload = Upload(content=path.read_bytes(), content_type=XLSX)
    with unit_of_work(engine) as uow:
        create_user(uow.session, "bench@kenesh.local", PASSWORD, is_admin=True)
        project = create_project(uow.session, "Bench")
        prepared = prepare_definition(Settings(database_url=url), upload)
        form = create_form(uow.session, project, prepared, actor_id=None, publish=True,
                           ignore_warnings=True).form
        definition = uow.session.get(FormDef, form.current_def_id)
        assert definition is not None and project.id is not None and form.id is not None
        schema = load_schema(definition)
        ids = (project.id, form.id, definition.id or 0, form.xml_form_id)
        uow.commit()
    started = time.perf_counter()
    insert(engine, ids[0], ids[1], ids[2], schema)
    print(f"setup inserted {COUNT} submissions in {time.perf_counter() - started:.1f}s",
          flush=True)
    engine.dispose()
    return ids[0], ids[3]


def insert(engine: Any, project_id: int, form_id: int, def_id: int, schema: FormSchema) -> None:
    from sqlalchemy import insert as sql_insert

    from server.models import Submission, SubmissionDef

    rng = random.Random(1325)
    pool = [document(schema.children, rng, n) for n in range(POOL)]
    start = datetime(2026, 3, 8, tzinfo=UTC)
    root = f"/{schema.root_name}"
    for first in range(0, COUNT, BATCH):
        numbers = range(first, min(first + BATCH, COUNT))
        with engine.begin() as conn:
            conn.execute(sql_insert(Submission), [
                {"id": n + 1, "project_id": project_id, "form_id": form_id,
                 "instance_id": f"uuid:{n:08d}-0000-4000-8000-000000000000", "version": 1,
                 "conflict": False, "review_state": "approved" if n % 3 else None,
                 "created_at": start + timedelta(seconds=n)} for n in numbers])
            conn.execute(sql_insert(SubmissionDef), [
                {"submission_id": n + 1, "form_id": form_id, "form_def_id": def_id,
                 "version": 1, "instance_id": f"uuid:{n:08d}-0000-4000-8000-000000000000",
                 "xml": b"<data/>",
                 "data": {**pool[n % POOL], f"{root}/meta/instanceID":
                          f"uuid:{n:08d}-0000-4000-8000-000000000000"},
                 "validation": {"status": "valid", "issues": [], "notChecked": []},
                 "current": True, "created_at": start + timedelta(seconds=n)} for n in numbers])


def rss_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process so far (a loaded machine stretches wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak(pid: int) -> None:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


def serve(url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KENESH_DATABASE_URL": url, "KENESH_DATA_DIR": str(data_dir),
           "KENESH_SECRET_KEY": "bench-secret-key-0123456789-0123456789", "KENESH_LOG_LEVEL":
           "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "server.app:create_served_app", "--factory", "--port",
         str(port), "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def measure(backend: str, url: str) -> None:
    project_id, xml_form_id = setup_database(url)
    from tests.live import free_port

    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        server = serve(url, Path(data_dir), port)
        try:
            base = f"http://127.0.0.1:{port}"
            token = httpx.post(f"{base}/v1/sessions", json={
                "email": "bench@kenesh.local", "password": PASSWORD}).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            prefix = f"{base}/v1/projects/{project_id}/forms/{xml_form_id}/"
            for label, path in FORMATS:
                run_one(backend, label, prefix + path, headers, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)


def run_one(backend: str, label: str, url: str, headers: dict[str, str], pid: int) -> None:
    reset_peak(pid)
    before = rss_mb(pid, "VmRSS")
    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    first_byte = None
    size = 0
    with httpx.stream("GET", url, headers=headers, timeout=None) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            if first_byte is None and chunk:
                first_byte = time.perf_counter() - started
            size += len(chunk)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    peak = rss_mb(pid, "VmHWM")
    rows = COUNT * (1 + REPEATS)
    print(f"export.{label} {backend} submissions={COUNT} rows={rows} seconds={seconds:.1f} "
          f"rows_per_s={rows / seconds:,.0f} submissions_per_s={COUNT / seconds:,.0f} "
          f"server_cpu_s={cpu:.1f} rows_per_server_cpu_s={rows / max(cpu, 1e-9):,.0f} "
          f"first_byte_s={first_byte or seconds:.2f} "
          f"size_mb={size / 2**20:.1f} rss_before_mb={before:.0f} peak_mb={peak:.0f} "
          f"extra_mb={peak - before:.0f}", flush=True)
    # Figures of a loaded machine are not comparable with those of an idle one.
    print(f"export.load {backend} loadavg_1min={os.getloadavg()[0]:.2f}", flush=True)


def main() -> int:
    from run_all import python_loop_ms

    print(f"machine.calibration python_loop_ms={python_loop_ms():.0f}", flush=True)
    backends = ["sqlite"] + ([] if postgres_reachable() else ["postgresql"])
    for backend in backends:
        with tempfile.TemporaryDirectory() as folder:
            database = create_database(backend, Path(folder))
            try:
                measure(backend, database.url)
            finally:
                database.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
