"""GET …/sync/pull: every record changed after the cursor, in commit order, within scope.

Why pull never skips a committed change: records are stamped with ``change_seq`` by
server/services/changes.py as the last statements of their write transaction, from a counter
row whose lock is held until commit. Counter values are therefore handed out in commit order:
when a reader's query sees a record stamped N, every transaction that drew a number below N
has already committed (it held the counter lock until then, and N was drawn after), so its
records are visible to the same query. The feed orders by (change_seq, kind, row id) and the
cursor names the last position a page returned; a record changed again later is re-stamped
with a higher number and simply comes again, with its newer state. Sequences and timestamps
do not have this property on PostgreSQL (numbers are drawn at insert, commits happen in any
order), which is why they are not used.

Retention: deleted records may be purged once every device had the chance to see the delete
(``kenesh purge``, server/services/trash.py). The project's ``sync_horizons.change_seq`` then
records the highest purged stamp, and a cursor below it answers 410: its holder may have missed
a delete and must pull from scratch (the device client does so and keeps its outbox).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from server import errors
from server.errors import Problem
from server.models import Form, FormAssignment, FormDef, SyncHorizon
from server.models.base import iso, utcnow
from server.policy import APP_USER, Access
from server.services import sync_submissions  # noqa: F401  (the built-in record kind)
from server.services.audit import record_audit_now
from server.services.records import Change, FeedPosition, kinds

CURSOR_INVALID = errors.register("sync.cursor_invalid", 400, "The cursor is not valid.")
CURSOR_EXPIRED = errors.register(
    "sync.cursor_expired", 410,
    "The cursor is older than the retained deletes; pull again without a cursor.",
)
DEFAULT_LIMIT, MAX_LIMIT = 500, 5000
# Form versions are not stamped with change_seq; a pull announces every version published
# since a little before the previous pull, so a publish committing late is still announced
# (announcements are idempotent on the device: keyed by form id and version).
_FORM_OVERLAP = timedelta(minutes=10)


def encode_cursor(position: FeedPosition, pulled_at_ms: int) -> str:
    """The opaque cursor: base64url of the feed position and the time of the pull."""
    raw = json.dumps([position.change_seq, position.kind, position.row_id, pulled_at_ms])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[FeedPosition, int | None]:
    """The feed position and pull time in a cursor; the start of the feed for no cursor."""
    if not cursor:
        return FeedPosition(), None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        seq, kind, row_id, pulled_at = json.loads(base64.urlsafe_b64decode(padded))
        if not all(type(v) is int for v in (seq, row_id, pulled_at)) or not isinstance(kind, str):
            raise ValueError("cursor parts")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Problem(CURSOR_INVALID) from None
    return FeedPosition(seq, kind, row_id), pulled_at


def pull(
    session: Session, access: Access, project_id: int, cursor: str | None, limit: int | None,
    *, request_id: str | None = None,
) -> dict[str, Any]:
    """One page of the feed: ``{"changes", "cursor", "has_more", "forms"}``; a page holding
    records of sensitive forms is written to the audit log first."""
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 0 < limit <= MAX_LIMIT:
        raise Problem(errors.REQUEST_INVALID, f"limit must be between 1 and {MAX_LIMIT}.")
    after, pulled_at = decode_cursor(cursor)
    horizon = session.get(SyncHorizon, project_id)
    if cursor and horizon is not None and after.change_seq < horizon.change_seq:
        raise Problem(CURSOR_EXPIRED)
    found = []
    for kind in kinds():
        found.extend(kind.changes(session, access, project_id, after, limit + 1))
    found.sort(key=lambda change: change.position)
    page, has_more = found[:limit], len(found) > limit
    _audit_sensitive(session, access, page, request_id)
    now = utcnow()
    last = page[-1].position if page else after
    return {
        "changes": [change.to_json() for change in page],
        "cursor": encode_cursor(last, int(now.timestamp() * 1000)),
        "has_more": has_more,
        "forms": _published_forms(session, access, project_id, pulled_at),
    }


def _audit_sensitive(
    session: Session, access: Access, page: list[Change], request_id: str | None
) -> None:
    # One `submission.read` row per pull, as for OData and exports: sensitive records that
    # reach a device are on the record, with the forms and how many of each.
    # The feed tells which records are of sensitive forms: no second look at the forms.
    shipped = Counter(c.container for c in page if c.sensitive)
    counts = dict(sorted(shipped.items()))
    if counts:
        # The pull reads in a read-only transaction: the row is committed on its own, before
        # the records are sent.
        record_audit_now(session.get_bind().engine, access.principal.actor_id, "submission.read",
                         "sync/pull", {"forms": counts, "records": sum(counts.values())},
                         request_id)


def _published_forms(
    session: Session, access: Access, project_id: int, since_ms: int | None
) -> list[dict[str, Any]]:
    query = (
        select(Form, FormDef)
        .join(FormDef, col(FormDef.form_id) == Form.id)
        .where(
            Form.project_id == project_id, col(Form.deleted_at).is_(None),
            col(FormDef.published_at).is_not(None),
        )
        .order_by(col(FormDef.published_at), col(FormDef.id))
    )
    if since_ms is not None:
        since = datetime.fromtimestamp(since_ms / 1000, UTC) - _FORM_OVERLAP
        query = query.where(col(FormDef.published_at) >= since)
    rows = list(session.exec(query))
    if access.role == APP_USER and rows:
        assigned = set(session.exec(select(FormAssignment.xml_form_id).where(
            FormAssignment.project_id == project_id,
            FormAssignment.actor_id == access.principal.actor_id,
        )).all())
        rows = [(f, d) for f, d in rows if f.xml_form_id in assigned]
    return [
        {
            "form_id": form.xml_form_id, "version": definition.version, "name": definition.name,
            "hash": f"md5:{definition.hash}",
            "current": form.current_def_id == definition.id,
            "published_at": iso(definition.published_at),
        }
        for form, definition in rows
    ]


def move_horizon(session: Session, project_id: int, purged_seq: int) -> None:
    """Record that deleted records stamped at or below ``purged_seq`` may be gone: cursors
    below it answer 410 from now on."""
    horizon = session.get(SyncHorizon, project_id) or SyncHorizon(project_id=project_id)
    horizon.change_seq = max(horizon.change_seq or 0, purged_seq)
    horizon.updated_at = utcnow()
    session.add(horizon)
