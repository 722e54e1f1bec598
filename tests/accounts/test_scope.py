"""Per-record scope: the decision (pure) and the SQL filter agree, and fail closed."""

from __future__ import annotations

from sqlalchemy import Integer, String, literal, select, union_all

from server.auth.principal import Principal
from server.policy import ANALYST, APP_USER, COLLECTOR, MANAGER
from server.services.scope import RecordScope, effective_scope, record_visible, scope_filter

FIELD = "/data/location/ayil_aimak"
ME = Principal(actor_id=7, kind="app_user", display_name="Phone", project_id=1)
# (id, submitter, ayil aimak)
RECORDS = [(1, 7, "Kara-Bak"), (2, 8, "Kara-Bak"), (3, 8, "Samarkandek"), (4, 7, None),
           (5, 9, None)]


def _visible_in_python(scope: RecordScope) -> list[int]:
    return [rid for rid, who, place in RECORDS
            if record_visible(ME, scope, who, {FIELD: place} if place else {})]


def _visible_in_sql(engine, scope: RecordScope) -> list[int]:  # type: ignore[no-untyped-def]
    rows = _table(RECORDS)
    where = scope_filter(ME, scope, submitter_col=rows.c.submitter, location_col=rows.c.place)
    query = select(rows.c.id).order_by(rows.c.id)
    if where is not None:
        query = query.where(where)
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def _table(records):  # type: ignore[no-untyped-def]
    """The records as a derived table (id, submitter, place), on any backend."""
    return union_all(*[
        select(literal(rid, Integer).label("id"), literal(who, Integer).label("submitter"),
               literal(place, String).label("place"))
        for rid, who, place in records
    ]).subquery("records")


def _scope(mode: str, places: set[str], role: str = APP_USER,
           sensitive: bool = False) -> RecordScope:
    return effective_scope(role, mode, FIELD, frozenset(places), sensitive=sensitive)


def test_each_scope_mode_shows_the_records_it_promises(engine) -> None:
    expected = {
        "none": [1, 2, 3, 4, 5],
        "own": [1, 4],
        "location": [1, 2],
        "own_or_location": [1, 2, 4],
    }
    for mode, ids in expected.items():
        scope = _scope(mode, {"Kara-Bak"})
        assert _visible_in_python(scope) == ids, mode
        assert _visible_in_sql(engine, scope) == ids, mode


def test_a_location_scope_without_values_sees_nothing(engine) -> None:
    scope = _scope("location", set())
    assert _visible_in_python(scope) == [] == _visible_in_sql(engine, scope)


def test_managers_and_analysts_are_never_record_scoped() -> None:
    for role in (MANAGER, ANALYST):
        assert _scope("own", {"Kara-Bak"}, role=role) == RecordScope.everything()


def test_collectors_are_scoped_like_app_users() -> None:
    assert _scope("own", set(), role=COLLECTOR).restricted


def test_sensitive_forms_show_collectors_at_most_their_own_records_by_default(engine) -> None:
    scope = _scope("none", set(), sensitive=True)
    assert _visible_in_python(scope) == [1, 4] == _visible_in_sql(engine, scope)


def test_location_values_match_after_trimming_spaces() -> None:
    scope = _scope("location", {"Kara-Bak"})
    assert record_visible(ME, scope, 99, {FIELD: " Kara-Bak "})
    assert not record_visible(ME, scope, 99, {FIELD: "kara-bak"})


def test_a_location_scope_without_a_location_column_fails_closed(engine) -> None:
    scope = _scope("location", {"Kara-Bak"})
    rows = _table(RECORDS)
    where = scope_filter(ME, scope, submitter_col=rows.c.submitter)
    with engine.connect() as conn:
        assert list(conn.execute(select(rows.c.id).where(where)).scalars()) == []
    assert _visible_in_python(scope) == [1, 2]  # in Python the field is at hand
