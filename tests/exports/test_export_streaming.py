"""Streaming: a client that goes away stops the export; the command line writes a file."""

from __future__ import annotations

import threading
import zipfile
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest
from typer.testing import CliRunner

from server.settings import get_settings
from tests.exports.conftest import World, insert_submissions


def _documents(count: int) -> list[dict[str, Any]]:
    return [{"/data/age": n, "/data/grp/name": f"Участник {n} " + "ы" * 80,
             "/data/colors": ["red"], "/data/rep": [{"/data/rep/q": n}]} for n in range(count)]


async def _export_until_first_chunk(world: World, path: str, query: str = "", *,
                                    hang_up: threading.Event | None = None,
                                    ) -> list[dict[str, Any]]:
    """The messages sent before the client hangs up: after the first chunk, or once the
    server has set `hang_up`."""
    sent: list[dict[str, Any]] = []
    first_chunk = anyio.Event()
    token = world.manager["Authorization"].encode()

    async def receive() -> dict[str, Any]:
        if hang_up is None:
            await first_chunk.wait()
        else:
            await anyio.to_thread.run_sync(hang_up.wait)
        return {"type": "http.disconnect"}  # the client hangs up

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            first_chunk.set()

    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80), "headers": [(b"host", b"testserver"),
                                                  (b"authorization", token)],
    }
    with anyio.fail_after(60):
        await world.app(scope, receive, send)
    return sent


def test_a_client_that_disconnects_stops_the_export_and_frees_its_connection(
        world: World) -> None:
    insert_submissions(world.engine, world.project_id, "consult", _documents(4000))
    sent = anyio.run(_export_until_first_chunk, world, world.url("submissions.csv"))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert bodies and all(m.get("more_body") for m in bodies)  # never finished
    assert sum(len(m["body"]) for m in bodies) < 4000 * 150
    assert world.engine.pool.checkedout() == 0  # the read transaction was closed


def _count_rows_read(monkeypatch: Any, reached: threading.Event | None = None,
                     at: int = 1) -> list[int]:
    """A counter of the rows the export takes from the database cursor; sets `reached` at `at`."""
    from server.services import export_query

    read = [0]
    original = export_query._submission_row

    def counting(record: Any, validations: Any) -> Any:
        read[0] += 1
        if reached is not None and read[0] >= at:
            reached.set()
        return original(record, validations)

    monkeypatch.setattr(export_query, "_submission_row", counting)
    return read


# Alike, well-compressible rows without a location: a compressor has nothing to emit for a
# long while and the GeoJSON export no feature to write, so only a check between rows can
# notice that the client has gone.
ALIKE = 6000


@pytest.mark.parametrize(("suffix", "query"), [
    ("submissions.xlsx", ""),
    ("submissions.csv.zip", "attachments=false"),
    ("submissions.csv.zip", ""),
    ("submissions.geojson", ""),
])
def test_a_client_that_disconnects_stops_the_reading_of_rows_in_every_format(
        world: World, monkeypatch: Any, suffix: str, query: str) -> None:
    document = {"/data/age": 7, "/data/grp/name": "Айгүл", "/data/colors": ["red"],
                "/data/rep": [{"/data/rep/q": 1}]}
    insert_submissions(world.engine, world.project_id, "consult", [document] * ALIKE)
    reading = threading.Event()
    # The client hangs up while the server reads rows, past the first few hundred (the first
    # chunk of a zip may be sent after them): every format is then in the middle of reading
    # rows for a chunk.
    read = _count_rows_read(monkeypatch, reading, at=300)
    sent = anyio.run(partial(_export_until_first_chunk, world, world.url(suffix), query,
                             hang_up=reading))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    assert all(m.get("more_body") for m in sent[1:])  # never finished
    assert read[0] < ALIKE // 4  # of ALIKE + 3 rows, most were never read
    assert world.engine.pool.checkedout() == 0


def test_an_xlsx_export_sends_its_first_bytes_before_reading_every_row(
        world: World, monkeypatch: Any) -> None:
    insert_submissions(world.engine, world.project_id, "consult", _documents(2000))
    read = _count_rows_read(monkeypatch)
    sent = anyio.run(_export_until_first_chunk, world, world.url("submissions.xlsx"))
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert bodies and bodies[0]["body"].startswith(b"PK\x03\x04")  # a zip's first entry
    assert all(m.get("more_body") for m in bodies)
    assert read[0] < 2000 // 2


def test_the_command_line_writes_the_export_to_a_file(world: World, settings: Any,
                                                      tmp_path: Path,
                                                      monkeypatch: Any) -> None:
    from server.cli import app

    monkeypatch.setenv("KENESH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KENESH_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    target = tmp_path / "consult.zip"
    try:
        result = CliRunner().invoke(app, ["export", "--project", str(world.project_id),
                                          "--form", "consult", "--format", "csv",
                                          "--lang", "ru", "-o", str(target)])
        refused = CliRunner().invoke(app, ["export", "--project", str(world.project_id),
                                           "--form", "nope", "--format", "csv"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == ["consult.csv", "consult-rep.csv", "consult-inner.csv"]
        assert "uuid:old" in archive.read("consult.csv").decode()
    assert refused.exit_code == 1 and "does not exist" in refused.output
