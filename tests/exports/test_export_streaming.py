"""Streaming: a client that goes away stops the export; the command line writes a file."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import anyio
from typer.testing import CliRunner

from server.settings import get_settings
from tests.exports.conftest import World, insert_submissions


def _documents(count: int) -> list[dict[str, Any]]:
    return [{"/data/age": n, "/data/grp/name": f"Участник {n} " + "ы" * 80,
             "/data/colors": ["red"], "/data/rep": [{"/data/rep/q": n}]} for n in range(count)]


async def _export_until_first_chunk(world: World, path: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    first_chunk = anyio.Event()
    token = world.manager["Authorization"].encode()

    async def receive() -> dict[str, Any]:
        await first_chunk.wait()
        return {"type": "http.disconnect"}  # the client hangs up after the first chunk

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            first_chunk.set()

    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
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
