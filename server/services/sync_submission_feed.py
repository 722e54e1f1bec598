"""The pull feed of submissions: a page of changed records, chosen on submissions alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, or_, true
from sqlmodel import Session, col, select

from forms.document_keys import sync_fields
from server.models import Form, FormAssignment, Submission, SubmissionDef
from server.policy import APP_USER, COLLECTOR, Access
from server.services.records import Change, FeedPosition
from server.services.scope import load_scope, scope_filter


def submission_changes(
    session: Session, access: Access, project_id: int, after: FeedPosition, limit: int
) -> list[Change]:
    """Submissions after ``after`` in feed order, within the caller's scope."""
    # The page is chosen on submissions alone, then joined: the join then touches only
    # the page's rows, whatever plan the database's statistics suggest.
    chosen = (
        select(
            Submission.id, Submission.instance_id, Submission.version,
            Submission.deleted_at, Submission.conflict, Submission.change_seq,
            Submission.form_id,
        )
        .where(
            Submission.project_id == project_id,
            col(Submission.change_seq).is_not(None),
            after.after_clause("submission", Submission.change_seq, Submission.id),
        )
        .order_by(col(Submission.change_seq), col(Submission.id))
        .limit(limit)
    )
    visible = _feed_scope(session, access, project_id)
    if visible is not None:
        chosen = chosen.where(visible)
    page = chosen.subquery()
    query = (
        select(
            page.c.id, page.c.instance_id, page.c.version, page.c.deleted_at,
            page.c.conflict, page.c.change_seq, Form.xml_form_id, SubmissionDef.data,
            SubmissionDef.hlc, Form.sensitive,
        )
        .join(Form, col(Form.id) == page.c.form_id)
        .join(SubmissionDef, and_(
            col(SubmissionDef.submission_id) == page.c.id,
            col(SubmissionDef.current).is_(True),
        ))
        .order_by(page.c.change_seq, page.c.id)
    )
    return [
        Change(
            "submission", form_id, instance_id, version, sync_fields(data),
            deleted_at is not None, conflict, hlc, FeedPosition(seq, "submission", row_id),
            bool(sensitive),
        )
        for row_id, instance_id, version, deleted_at, conflict, seq, form_id, data, hlc, sensitive
        in session.connection().execute(query).all()  # plain rows: no ORM loading
    ]


def _feed_scope(session: Session, access: Access, project_id: int) -> Any:
    """The pull's scope over submissions: per form, the caller's record scope (None: all)."""
    if access.role not in (COLLECTOR, APP_USER):
        return None
    forms = session.exec(select(Form).where(Form.project_id == project_id)).all()
    if access.role == APP_USER:
        assigned = set(session.exec(select(FormAssignment.xml_form_id).where(
            FormAssignment.project_id == project_id,
            FormAssignment.actor_id == access.principal.actor_id,
        )).all())
        forms = [f for f in forms if f.xml_form_id in assigned]
    clauses = []
    for sensitive in (False, True):
        ids = [f.id for f in forms if bool(f.sensitive) == sensitive]
        if ids:
            scope = load_scope(session, access, sensitive=sensitive)
            visible = scope_filter(
                access.principal, scope, submitter_col=Submission.submitter_id,
                location_col=Submission.scope_value,
            )
            in_scope = true() if visible is None else visible
            clauses.append(and_(col(Submission.form_id).in_(ids), in_scope))
    return or_(*clauses) if clauses else false()
