"""KENESH_SECRET_KEY, or one key generated into ./var/secret_key that every worker shares."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from server.settings import Settings

PROCESSES = 8


def _resolve_in(folder: str, start, results) -> None:  # type: ignore[no-untyped-def]
    os.chdir(folder)
    start.wait()
    try:
        results.put(Settings(secret_key="").resolved_secret_key())
    except Exception as exc:  # reported to the test rather than lost in the child
        results.put(f"error: {exc!r}")


@pytest.mark.parametrize("round_", range(5))
def test_processes_starting_together_all_get_the_same_non_empty_key(tmp_path, round_) -> None:
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_resolve_in, args=(str(tmp_path), start, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    keys = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join()
    assert len(set(keys)) == 1, keys
    assert len(keys[0]) >= 32 and not keys[0].startswith("error")
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.read_text().strip() == keys[0]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["secret_key"]


def test_the_generated_key_is_kept_across_starts(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = Settings(secret_key="").resolved_secret_key()
    assert Settings(secret_key="").resolved_secret_key() == first


def test_the_environment_key_wins_and_writes_no_file(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings(secret_key="from-the-environment").resolved_secret_key() == (
        "from-the-environment"
    )
    assert not (tmp_path / "var").exists()


def test_an_empty_key_file_is_refused_not_used(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir()
    Path(tmp_path / "var" / "secret_key").write_text("\n")
    with pytest.raises(ValueError, match="secret_key is empty"):
        Settings(secret_key="").resolved_secret_key()
