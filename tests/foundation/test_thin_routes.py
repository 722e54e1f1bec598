"""Route modules run no SQL: queries live in server/services/, routes parse, authorize and shape."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

ROUTES = Path(__file__).resolve().parents[2] / "server" / "routes"
# health.py's SELECT 1 is the health check itself.
EXEMPT = {"health.py"}
# A call of select( or text( (also as sa.select(), …), or of a session's exec/execute/get.
BARE_CALLS = {"select", "text"}
SESSION_CALLS = {"exec", "execute", "get"}


def sql_calls(source: str) -> list[tuple[int, str]]:
    """(line, call) of every query call in the source; comments and strings do not count."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type in (tokenize.NAME, tokenize.OP)]
    found = []
    for i, token in enumerate(tokens[:-1]):
        if tokens[i + 1].string != "(" or token.type != tokenize.NAME:
            continue
        if token.string in BARE_CALLS:
            found.append((token.start[0], f"{token.string}("))
        elif (token.string in SESSION_CALLS and i >= 2 and tokens[i - 1].string == "."
              and tokens[i - 2].string == "session"):
            found.append((token.start[0], f"session.{token.string}("))
    return found


def test_no_route_module_runs_a_query() -> None:
    offences = [
        f"server/routes/{path.name}:{line}: {call} (move the query into a service)"
        for path in sorted(ROUTES.glob("*.py")) if path.name not in EXEMPT
        for line, call in sql_calls(path.read_text())
    ]
    assert not offences, "SQL in route modules:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("rows = uow.session.exec(select(Form))\n",
         [(1, "session.exec("), (1, "select(")]),
        ("user = session.get(User, 1)\n", [(1, "session.get(")]),
        ("conn.execute(sa.text('SELECT 1'))\n", [(1, "text(")]),
        ("x = 1\nsession.execute(q)\n", [(2, "session.execute(")]),
        ("# session.get(User, 1) in a comment\n", []),
        ('"""select(User) in a docstring"""\n', []),
        ("headers.get('x')\nself.select_all()\n_text(value)\n", []),
    ],
)
def test_the_scan_finds_query_calls_and_nothing_else(source, expected) -> None:
    assert sql_calls(source) == expected
