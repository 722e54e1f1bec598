"""The `kenesh` command: migrations, users from stdin, and clear failures instead of tracebacks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

KENESH = [sys.executable, "-m", "server.cli"]


def run_kenesh(
    args: list[str], cwd: Path, env_extra: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENESH_")}
    env.update(env_extra)
    return subprocess.run(
        KENESH + args, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_version_prints_the_version(tmp_path) -> None:
    result = run_kenesh(["version"], tmp_path, {})
    assert result.returncode == 0
    assert result.stdout.startswith("kenesh 0.")


def test_db_upgrade_and_user_create_from_another_folder(tmp_path) -> None:
    url = {"KENESH_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    upgraded = run_kenesh(["db", "upgrade"], tmp_path, url)
    assert upgraded.returncode == 0, upgraded.stderr
    created = run_kenesh(
        ["user", "create", "Admin@Example.org", "--admin"], tmp_path, url, "a-long-password\n"
    )
    assert created.returncode == 0, created.stderr
    assert "a-long-password" not in created.stdout + created.stderr
    again = run_kenesh(["user", "create", "admin@example.org"], tmp_path, url, "another-password\n")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    changed = run_kenesh(
        ["user", "set-password", "admin@example.org"], tmp_path, url, "a-new-password!\n"
    )
    assert changed.returncode == 0, changed.stderr


def test_an_admin_made_with_user_create_can_sign_in(client, settings, tmp_path) -> None:
    url = {"KENESH_DATABASE_URL": settings.database_url}
    created = run_kenesh(
        ["user", "create", "Coordinator@Example.kg", "--admin"], tmp_path, url,
        "a long enough password\n",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created admin user coordinator@example.kg"
    signed_in = client.post(
        "/v1/sessions",
        json={"email": "coordinator@example.kg", "password": "a long enough password"},
    )
    assert signed_in.status_code == 200, signed_in.text
    bearer = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    assert client.get("/v1/users/current", headers=bearer).json()["email"] == (
        "coordinator@example.kg"
    )
    # Site-wide admin: it may list every web user.
    assert client.get("/v1/users", headers=bearer).status_code == 200


def test_the_commands_of_other_modules_run_as_python_m_server_cli(tmp_path) -> None:
    url = {"KENESH_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
           "KENESH_DATA_DIR": str(tmp_path / "data")}
    run_kenesh(["db", "upgrade"], tmp_path, url)
    purged = run_kenesh(["purge", "--days", "0"], tmp_path, url)
    assert purged.returncode == 0, purged.stderr
    assert purged.stdout.startswith("purged 0 submissions, 0 forms, 0 entities and 0 files deleted before ")
    assert run_kenesh(["export", "--help"], tmp_path, url).returncode == 0


def test_user_create_refuses_a_short_password_in_one_line(tmp_path) -> None:
    url = {"KENESH_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    run_kenesh(["db", "upgrade"], tmp_path, url)
    result = run_kenesh(["user", "create", "a@example.org"], tmp_path, url, "short\n")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "at least" in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("definitely not a url", "malformed database URL"),
        ("mysql://root@127.0.0.1/db", "unsupported database"),
        ("postgresql://u@127.0.0.1:notaport/db", "malformed database URL"),
        ("postgresql://u:s3cret@127.0.0.1:notaport/db", "u:***@127.0.0.1:notaport"),
        ("sqlite:////proc/nope/k.db", "cannot create the folder '/proc/nope'"),
        ("postgresql://postgres@127.0.0.1:1/none", "cannot reach the database"),
    ],
)
def test_serve_exits_with_one_line_when_the_database_is_unusable(tmp_path, url, expected) -> None:
    result = run_kenesh(["serve"], tmp_path, {"KENESH_DATABASE_URL": url})
    assert result.returncode == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "s3cret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_refuses_a_database_whose_migrations_are_behind(tmp_path) -> None:
    result = run_kenesh(
        ["serve"], tmp_path, {"KENESH_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}
    )
    assert result.returncode == 1
    assert "kenesh db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_refuses_an_empty_secret_key_file_before_starting_workers(tmp_path) -> None:
    url = {"KENESH_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    assert run_kenesh(["db", "upgrade"], tmp_path, url).returncode == 0
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secret_key").write_text("")
    result = run_kenesh(["serve", "--workers", "2"], tmp_path, url)
    assert result.returncode == 1
    assert "secret_key is empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_demo_then_serve_answers_healthz_and_the_admin_can_exist(tmp_path) -> None:
    env = {"KENESH_ADMIN_PASSWORD": "demo-admin-password"}
    demo = run_kenesh(["demo"], tmp_path, env)
    assert demo.returncode == 0, demo.stderr
    assert "created admin" in demo.stdout
    assert (tmp_path / "var" / "kenesh.db").exists()
    port = _free_port()
    proc = subprocess.Popen(
        KENESH + ["serve", "--port", str(port)],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("KENESH_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
            except httpx.TransportError:
                time.sleep(0.2)
        assert status == 200
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json() == {"status": "ready"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
