"""Writers pause often enough for a disconnect to stop them, even when no bytes come out."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import IO

from forms.export import csv_zip_stream, plan_export
from tests.forms.test_export import NEW, versions

PIECE = 256 * 1024  # what the writers copy between two pauses


class CountingSpool(io.BytesIO):
    """A repeat table's scratch file that counts what is read back from it."""

    read_total = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        CountingSpool.read_total += len(data)
        return data


def test_a_csv_zip_copying_its_repeat_tables_pauses_after_every_piece() -> None:
    # The same submission again and again: its repeat rows repeat every 1.5 KB, and the
    # compressor has nothing to emit for megabytes.
    reps = [{"/data/rep/q": 7} for _ in range(60)]
    submissions = [replace(NEW, data={**NEW.data, "/data/rep": reps})] * 3000
    spools: list[IO[bytes]] = []

    def spool() -> IO[bytes]:
        spools.append(CountingSpool())
        return spools[-1]

    CountingSpool.read_total = 0
    read_at_pauses = [CountingSpool.read_total for _ in
                      csv_zip_stream(plan_export(versions()), iter(submissions), spool=spool)]

    assert read_at_pauses[-1] > 4 * PIECE  # the repeat table was large
    steps = [b - a for a, b in zip(read_at_pauses, read_at_pauses[1:], strict=False)]
    assert max(steps) <= PIECE  # a consumer that stops at a pause stops within one piece
