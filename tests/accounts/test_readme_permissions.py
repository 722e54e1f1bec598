"""The README's "Who can do what" table says what server/policy.py decides."""

from __future__ import annotations

from pathlib import Path

from server.auth.principal import Principal
from server.policy import (
    ADMIN,
    ALL_VERBS,
    ANALYST,
    APP_USER,
    APP_USER_FORM_VERBS,
    COLLECTOR,
    MANAGER,
    PERSONAL_DATA_VERBS,
    can,
)

README = Path(__file__).resolve().parents[2] / "README.md"
COLUMNS = (ADMIN, MANAGER, ANALYST, COLLECTOR, APP_USER)
SCOPED = {"submission.list", "submission.read", "export", "odata", "entity.read", "sync"}


def cell(role: str, verb: str) -> str:
    """One cell of the table, computed from can()."""
    principal = Principal(actor_id=1, kind="app_user" if role == APP_USER else "user",
                          display_name=role, is_admin=role == ADMIN)
    site_wide = can(principal, verb, project_role=None)
    in_project = role != ADMIN and can(principal, verb, project_role=role, form_assigned=True)
    if not (site_wide or in_project):
        return "–"
    if role == ANALYST and verb in PERSONAL_DATA_VERBS:
        return "yes¹"
    if role == APP_USER and verb in APP_USER_FORM_VERBS:
        return "assigned forms"
    if role in (COLLECTOR, APP_USER) and verb in SCOPED:
        return "in scope²"
    return "yes"


def permission_table() -> str:
    lines = ["| verb | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for verb in sorted(ALL_VERBS):
        lines.append(f"| `{verb}` | " + " | ".join(cell(r, verb) for r in COLUMNS) + " |")
    return "\n".join(lines)


def test_the_readme_permission_table_matches_the_policy() -> None:
    assert permission_table() in README.read_text(encoding="utf-8")
