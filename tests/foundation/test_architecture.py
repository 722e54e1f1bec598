"""The import-linter contracts (pyproject.toml) hold, and they catch what they are meant to."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The venv's own import-linter, run as `lint-imports` is (the suite runs from that venv).
LINT_IMPORTS = [
    sys.executable, "-c",
    "import sys; from importlinter.cli import lint_imports_command; "
    "sys.exit(lint_imports_command())",
    "--no-cache",
]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(LINT_IMPORTS, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_are_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert "Contracts: 3 kept" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("sync/merge.py", "import sqlite3", "sync.merge -> sqlite3"),
        ("sync/hlc.py", "import httpx", "sync.hlc -> httpx"),
        ("sync/records.py", "import sync.client_store", "sync.records -> sync.client_store"),
        ("sync/__init__.py", "from sync import client_replica", "sync -> sync.client_replica"),
        ("sync/client_model.py", "import server", "sync.client_model -> server"),
        ("forms/__init__.py", "import sqlalchemy", "forms -> sqlalchemy"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path, module, line, broken) -> None:
    for name in ("server", "sync", "forms"):
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in result.stdout


@pytest.mark.parametrize(
    "module",
    ["server.services.submissions", "server.routes.openrosa", "server.services.conflicts"],
)
def test_a_service_or_route_module_imports_first_in_a_new_process(module: str) -> None:
    # A script or a test may import one of these before the app: an import cycle through the
    # record kinds once made that an ImportError.
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
