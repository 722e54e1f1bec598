"""`make bench`: run every bench/bench_*.py script in turn and print their figures."""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    print(f"machine: {platform.machine()} {platform.processor() or ''} cores={_cores()} python={platform.python_version()}")
    print(f"machine.calibration python_loop_ms={python_loop_ms():.0f}", flush=True)
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.stem} ===", flush=True)
        failed += subprocess.call([sys.executable, str(script)], cwd=HERE.parent) != 0
    return 1 if failed else 0


def python_loop_ms() -> float:
    """Best of three: 5,000,000 additions in a pure-Python loop.

    The machine's speed changes from day to day (other tenants, CPU model); figures of two runs
    compare only when their calibrations are close.
    """
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for n in range(5_000_000):
            total += n
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
