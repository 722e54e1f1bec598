"""`kenesh export`: XLSX and GeoJSON files, labels in --lang, a progress bar on a terminal."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from server.settings import get_settings
from tests.exports.conftest import INVALID, MESSAGES, World

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def kenesh(settings: Any, monkeypatch: Any) -> Iterator[Any]:
    """Runs `kenesh …` in this process against the test database."""
    from server.cli import app

    monkeypatch.setenv("KENESH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KENESH_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()

    def run(*args: str) -> Any:
        result = CliRunner().invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result

    yield run
    get_settings.cache_clear()


def _export_args(world: World, fmt: str, target: Path, *extra: str) -> list[str]:
    return ["export", "--project", str(world.project_id), "--form", "consult",
            "--format", fmt, "-o", str(target), *extra]


@pytest.mark.parametrize(("lang", "age", "name"), [
    ("ky", "Жашы", "Аты"), ("en", "Age", "Name"), (None, "Возраст", "Имя")])
def test_an_xlsx_export_has_its_labels_in_the_chosen_language(
        world: World, kenesh: Any, tmp_path: Path, lang: str | None, age: str,
        name: str) -> None:
    target = tmp_path / "consult.xlsx"
    kenesh(*_export_args(world, "xlsx", target, *(["--lang", lang] if lang else [])))

    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["consult", "rep", "inner"]
    labels, headers, *rows = workbook["consult"].iter_rows(values_only=True)
    assert labels[headers.index("age")] == age
    assert labels[headers.index("grp-name")] == name
    assert {row[headers.index("KEY")] for row in rows} == {"uuid:old", "uuid:middle",
                                                             "uuid:new"}
    ages = {row[headers.index("KEY")]: row[headers.index("age")] for row in rows}
    assert ages == {"uuid:old": 34, "uuid:middle": 20, "uuid:new": -3}  # typed numbers


@pytest.mark.parametrize("lang", ["ky", "en"])
def test_a_geojson_export_is_a_feature_collection_with_messages_in_the_chosen_language(
        world: World, kenesh: Any, tmp_path: Path, lang: str) -> None:
    world.submit(INVALID)
    target = tmp_path / "consult.geojson"
    kenesh(*_export_args(world, "geojson", target, "--lang", lang))

    collection = json.loads(target.read_bytes())
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == {"uuid:old", "uuid:middle", "uuid:invalid"}  # new has no location
    assert features["uuid:old"]["geometry"] == {"type": "Point",
                                                "coordinates": [72.7985, 40.5283, 1020]}
    assert features["uuid:invalid"]["properties"]["ValidationMessages"] == MESSAGES[lang]


def test_a_geojson_export_can_go_to_stdout(world: World, kenesh: Any) -> None:
    result = kenesh("export", "--project", str(world.project_id), "--form", "consult",
                    "--format", "geojson", "-o", "-")

    assert len(json.loads(result.stdout_bytes)["features"]) == 2


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Runs `python -m server.cli …` with its stderr on a pseudo-terminal; what it showed."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=terminal)
    os.close(terminal)
    shown = b""
    try:
        while select.select([controller], [], [], 120)[0]:
            try:
                data = os.read(controller, 65536)
            except OSError:  # the terminal closed: the command has ended
                break
            if not data:
                break
            shown += data
    finally:
        os.close(controller)
        code = process.wait(timeout=120)
    return code, shown


def test_on_a_terminal_a_progress_bar_counts_the_submissions(world: World, settings: Any,
                                                            tmp_path: Path) -> None:
    target = tmp_path / "consult.zip"
    env = {**os.environ, "KENESH_DATABASE_URL": settings.database_url,
           "KENESH_DATA_DIR": str(settings.data_dir),
           "KENESH_SECRET_KEY": settings.secret_key}
    code, shown = _run_on_a_terminal(_export_args(world, "csv", target), env)

    assert code == 0, shown.decode(errors="replace")
    text = shown.decode(errors="replace")
    assert "consult" in text and "100%" in text  # the bar ran to all 3 submissions
    assert target.stat().st_size > 0


def test_without_a_terminal_there_is_no_progress_bar(world: World, kenesh: Any,
                                                     tmp_path: Path) -> None:
    result = kenesh(*_export_args(world, "csv", tmp_path / "consult.zip"))

    assert "%" not in result.output
    assert "wrote" in result.output


def test_the_progress_bar_total_is_the_number_of_rows_the_filters_let_through(
        world: World) -> None:
    """The bar's driver: count_rows gives its total, progress(1) per submission advances it."""
    from server.db import unit_of_work
    from server.services import exports
    from server.services.forms import get_form

    options = exports.ExportOptions(format="xlsx", version="1")
    with unit_of_work(world.engine) as uow:
        job = exports.prepare_export(uow.session, get_form(uow.session, world.project_id,
                                                           "consult"), options)
    advanced: list[int] = []
    data = b"".join(exports.stream_export(world.engine, job, progress=advanced.append))

    assert exports.count_rows(world.engine, job) == 1
    assert advanced == [1]
    assert openpyxl.load_workbook(io.BytesIO(data))["consult"].max_row == 2 + 1
