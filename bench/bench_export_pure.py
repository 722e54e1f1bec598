"""Pure export speed: 100,000 synthetic open_day_consultation submissions through every writer.

Prints submissions/s, rows/s (main and repeat rows), output size and peak RSS (from
getrusage, each writer in its own process) for the CSV zip, GeoJSON and XLSX streams. The
output is consumed and dropped, as a server would send it. Figures only: nothing here
asserts a time. KENESH_BENCH_EXPORT_COUNT (and _XLSX_COUNT) change the number of submissions.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forms.convert import convert_definition  # noqa: E402
from forms.examples.build import workbook_sheets, write_sheets  # noqa: E402
from forms.examples.open_day_consultation import FORM  # noqa: E402
from forms.export import (  # noqa: E402
    ExportPlan,
    SubmissionRow,
    csv_zip_stream,
    geojson_stream,
    plan_export,
    xlsx_stream,
)
from forms.schema import Field, FormSchema  # noqa: E402

COUNT = int(os.environ.get("KENESH_BENCH_EXPORT_COUNT", "100000"))
XLSX_COUNT = int(os.environ.get("KENESH_BENCH_EXPORT_XLSX_COUNT", str(COUNT)))
POOL = 1000
WRITERS: dict[str, Callable[[ExportPlan, Iterator[SubmissionRow]], Iterator[bytes]]] = {
    "csv.zip": csv_zip_stream,
    "xlsx": xlsx_stream,
    "geojson": geojson_stream,
    "none": lambda plan, subs: (b"" for _ in subs),  # the input alone, for reference
}
WORDS = ["тынчтык", "мир", "peace", "аял", "женщины", "=1+1", "-5", "Ош", "Ноокат", "Кара-Суу"]


def schema() -> FormSchema:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "open_day_consultation.xlsx"
        write_sheets(workbook_sheets(FORM), path)
        return convert_definition(path.read_bytes(), path.name).schema


def answer(field: Field, rng: random.Random, index: int) -> Any:
    if field.type == "geopoint":
        return [40.0 + rng.random(), 72.0 + rng.random(), 900.0 + rng.random() * 300, 5.0]
    if field.data_type in ("int", "decimal"):
        return rng.randint(0, 60)
    if field.data_type == "date":
        return (datetime(2026, 1, 1) + timedelta(days=index % 300)).date().isoformat()
    if field.is_select_multiple and field.choices:
        return sorted({rng.choice(field.choices).name for _ in range(2)})
    if field.choices:
        return rng.choice(field.choices).name
    if field.data_type == "binary":
        return f"photo-{index}.jpg"
    return " ".join(rng.choice(WORDS) for _ in range(3))


def document(fields: Iterable[Field], rng: random.Random, index: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in fields:
        if field.is_repeat:
            data[field.path] = [document(field.children, rng, index) for _ in range(3)]
        elif field.is_group:
            data.update(document(field.children, rng, index))
        else:
            data[field.path] = answer(field, rng, index)
    return data


def submissions(form: FormSchema, count: int) -> Iterator[SubmissionRow]:
    # A pool of documents reused under new ids, so that the figures measure the export
    # rather than the random generator.
    rng = random.Random(1325)
    pool = [document(form.children, rng, index) for index in range(POOL)]
    start = datetime(2026, 3, 8, tzinfo=UTC)
    for index in range(count):
        instance_id = f"uuid:{index:08d}-0000-4000-8000-000000000000"
        data = {**pool[index % POOL], f"/{form.root_name}/meta/instanceID": instance_id}
        yield SubmissionRow(
            instance_id=instance_id,
            submission_date=start + timedelta(seconds=index),
            data=data,
            submitter_id=index % 40,
            submitter_name=f"Collector {index % 40}",
            form_version=form.version,
            review_state="approved" if index % 3 else None,
        )


def measure(label: str, count: int) -> None:
    """Run one writer over `count` submissions in this process and print its figures."""
    form = schema()
    plan = plan_export([form], lang="ru")
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    cpu_started = time.process_time()
    size = 0
    for chunk in WRITERS[label](plan, submissions(form, count)):
        size += len(chunk)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"export {label:8s} submissions={count} repeat_rows={count * 3} "
        f"seconds={elapsed:.2f} cpu_seconds={cpu:.2f} submissions_per_s={count / elapsed:,.0f} "
        f"rows_per_s={count * 4 / elapsed:,.0f} rows_per_cpu_s={count * 4 / cpu:,.0f} "
        f"output_mb={size / 2**20:.1f} "
        f"baseline_rss_mb={baseline:.0f} peak_rss_mb={peak:.0f} "
        f"extra_rss_mb={peak - baseline:.0f}",
        flush=True,
    )


def main(argv: list[str]) -> int:
    if argv:
        measure(argv[0], int(argv[1]))
        return 0
    # Each writer runs in a fresh process, so that its peak RSS is its own.
    for label in ("none", "csv.zip", "geojson", "xlsx"):
        count = XLSX_COUNT if label == "xlsx" else COUNT
        code = subprocess.call([sys.executable, __file__, label, str(count)])
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
