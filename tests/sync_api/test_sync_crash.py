"""The server process is killed (SIGKILL) in the middle of a phone's push; after a restart and
the phone's retry, every op is applied exactly once."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func
from sqlmodel import Session, select

from server.models import SubmissionDef, SyncDevice
from sync.client import DeviceClient, SyncError
from tests.sync_api.conftest import FORM, V, W, World
from tests.sync_api.server_process import ServerProcess

OPS = 600


def _last_seq(world: World, device_id: str) -> int:
    with Session(world.engine) as session:
        device = session.get(SyncDevice, (world.project, device_id))
        return device.last_seq if device else 0


def test_a_server_killed_mid_push_applies_each_op_exactly_once_after_restart_and_retry(
    world: World, settings, tmp_path,
) -> None:
    server = ServerProcess(settings.database_url, settings.secret_key, tmp_path / "data")
    server.start()
    phone = DeviceClient(server.url, world.key, world.project, "phone-1", tmp_path / "p.sqlite",
                         batch_size=100, max_retries=1, backoff_base_s=0.01, timeout_s=10)
    try:
        for i in range(OPS):
            phone.create_submission(FORM, {V: f"village {i}", W: i})

        def kill_after_the_first_batch() -> None:
            deadline = time.monotonic() + 60
            while _last_seq(world, "phone-1") < 100 and time.monotonic() < deadline:
                time.sleep(0.005)
            server.kill()  # a later batch is in flight: committed or not, it is unanswered

        killer = threading.Thread(target=kill_after_the_first_batch)
        killer.start()
        try:
            phone.sync()
            raise AssertionError("the phone should have lost the server")
        except SyncError:
            pass
        killer.join()
        assert 0 < _last_seq(world, "phone-1") < OPS and phone.pending()
        server.start()
        report = phone.sync()
        assert report.pending == 0 and phone.rejected() == []
    finally:
        phone.close()
        server.kill()
    with Session(world.engine) as session:
        per_op = session.exec(
            select(SubmissionDef.op_id, func.count()).where(SubmissionDef.device_id == "phone-1")
            .group_by(SubmissionDef.op_id)
        ).all()
    assert len(per_op) == OPS and {count for _, count in per_op} == {1}
    assert _last_seq(world, "phone-1") == OPS
