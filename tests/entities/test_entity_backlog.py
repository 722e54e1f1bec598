"""The backlog timeout fires without a new submission: on entity reads and from the CLI.

The app here is configured with Settings(entity_backlog_days=0): every held update is due at
once, so the first entity read applies it. With the default (5 days, test_offline_entities.py)
the same read leaves it held.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from typer.testing import CliRunner

from server.settings import Settings, get_settings
from tests.entities.conftest import Lists
from tests.entities.forms import CREATE_MD, UPDATE_MD, create_xml, publish, submit, update_xml

ACT = "0b7c5d3e-8a41-4f7e-9c2d-6e1f0a9b8c7d"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"entity_backlog_days": 0.0})


@pytest.fixture
def held(lists: Lists) -> Lists:
    """An activity and an offline update whose predecessor in its branch never came."""
    publish(lists.client, lists.manager, lists.project_id, CREATE_MD)
    publish(lists.client, lists.manager, lists.project_id, UPDATE_MD)
    submit(lists.client, lists.manager, lists.project_id, create_xml(ACT, "Water committee"))
    submit(lists.client, lists.manager, lists.project_id,
           update_xml(ACT, status="started", progress="40", base=2, trunk=1, branch="b1"))
    return lists


def _update_status(lists: Lists) -> dict[str, Any]:
    base = f"/v1/projects/{lists.project_id}/forms/update_act/submissions"
    [sub] = lists.client.get(base, headers=lists.manager).json()
    [row] = lists.client.get(f"{base}/{sub['instanceId']}/entities",
                             headers=lists.manager).json()
    return row  # type: ignore[no-any-return]


def test_an_entity_read_applies_a_held_update_past_the_configured_timeout(
        held: Lists) -> None:
    entity = held.get("acts", ACT)  # no new submission: the read itself checks the backlog
    assert entity["currentVersion"]["version"] == 2
    assert entity["currentVersion"]["data"]["progress"] == "40"
    assert entity["conflict"] == "soft"
    row = _update_status(held)
    assert (row["status"], row["forced"], row["version"]) == ("applied", True, 2)


def test_odata_shows_the_forced_update(held: Lists) -> None:
    rows = held.client.get(held.url("/acts.svc/Entities"), headers=held.manager).json()["value"]
    assert [(r["__system"]["version"], r["progress"]) for r in rows] == [(2, "40")]


def test_the_csv_list_reaches_the_forced_update(held: Lists) -> None:
    url = f"/v1/projects/{held.project_id}/forms/update_act/attachments/acts.csv"
    held.client.get(url, headers=held.manager)  # checks the backlog
    rows = list(csv.DictReader(io.StringIO(held.client.get(url, headers=held.manager).text)))
    assert [(r["__version"], r["progress"]) for r in rows] == [("2", "40")]


def test_a_device_sync_pull_applies_the_held_update(held: Lists) -> None:
    pulled = held.client.get(f"/v1/projects/{held.project_id}/sync/pull",
                             headers=held.manager).json()["changes"]
    [activity] = [c for c in pulled if c["type"] == "entity" and c["record_id"] == ACT]
    assert (activity["version"], activity["fields"]["progress"]) == (2, "40")


def test_the_manifest_a_phone_reads_first_lists_the_forced_update(held: Lists) -> None:
    # ODK Collect downloads a list again only when its manifest hash changes: the manifest
    # must already reflect the update the backlog check applies.
    form = f"/v1/projects/{held.project_id}/forms/update_act"
    manifest = held.client.get(f"{form}/manifest",
                               headers={**held.manager, "X-OpenRosa-Version": "1.0"}).text
    listed = re.search(r"<filename>acts.csv</filename><hash>md5:(\w+)</hash>", manifest)
    download = held.client.get(f"{form}/attachments/acts.csv", headers=held.manager)
    assert listed is not None and f'"{listed.group(1)}"' == download.headers["etag"]
    assert [r["progress"] for r in csv.DictReader(io.StringIO(download.text))] == ["40"]


def _cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str,
         days: str | None = None) -> Any:
    from server.cli import app

    monkeypatch.setenv("KENESH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KENESH_DATA_DIR", str(settings.data_dir))
    if days is None:
        monkeypatch.delenv("KENESH_ENTITY_BACKLOG_DAYS", raising=False)
    else:
        monkeypatch.setenv("KENESH_ENTITY_BACKLOG_DAYS", days)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["entities", "process-backlog", *args])
    finally:
        get_settings.cache_clear()


def test_the_cli_applies_held_updates_per_the_setting(
        held: Lists, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = _cli(settings, monkeypatch)  # the default: 5 days
    assert kept.exit_code == 0, kept.output
    assert "applied 0 held entity updates (those held longer than 5 days)" in kept.output
    kept = _cli(settings, monkeypatch, "--days", "1", days="0")  # --days wins over the setting
    assert "applied 0 held entity updates" in kept.output
    applied = _cli(settings, monkeypatch, days="0")
    assert applied.exit_code == 0, applied.output
    assert "applied 1 held entity updates (those held longer than 0 days)" in applied.output
    row = _update_status(held)
    assert (row["status"], row["forced"]) == ("applied", True)


def test_the_cli_can_apply_every_held_update_now(
        held: Lists, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    applied = _cli(settings, monkeypatch, "--all")
    assert applied.exit_code == 0, applied.output
    assert "applied 1 held entity updates (all of them)" in applied.output
    assert held.get("acts", ACT)["currentVersion"]["version"] == 2
