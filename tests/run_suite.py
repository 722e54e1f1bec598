"""`make test`: run the whole suite on SQLite and, when reachable, PostgreSQL; say which ran."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.backends import postgres_admin_url, postgres_reachable  # noqa: E402


def main() -> int:
    import pytest

    why_not = postgres_reachable()
    backends = ["sqlite"] if why_not else ["sqlite", "postgresql"]
    if why_not and os.environ.get("KENESH_REQUIRE_POSTGRES") == "1":
        print(
            f"FAIL: KENESH_REQUIRE_POSTGRES=1 but PostgreSQL at {postgres_admin_url()} is unreachable: {why_not}"
        )
        return 2
    os.environ["KENESH_TEST_BACKENDS"] = ",".join(backends)
    print(f"Kenesh test suite on database backends: {', '.join(backends)}")
    if why_not:
        print(
            f"PostgreSQL skipped: {why_not} (set KENESH_TEST_POSTGRES_URL, or KENESH_REQUIRE_POSTGRES=1 to fail)"
        )
    os.chdir(ROOT)
    return int(pytest.main(["-p", "no:cacheprovider", *_parallel(sys.argv[1:]), *sys.argv[1:]]))


def _parallel(args: list[str]) -> list[str]:
    # One pytest worker per core, at most four (pytest-xdist): on the project's 2-core machine
    # the suite takes half as long. Each worker migrates its own databases (their names carry
    # its pid) and serves on free ports, so workers share nothing. `-n 0` runs in one process.
    if any(arg.startswith(("-n", "--numprocesses")) for arg in args):
        return []
    if "no:xdist" in args:
        return []
    return ["--numprocesses=auto", "--maxprocesses=4"]


if __name__ == "__main__":
    sys.exit(main())
