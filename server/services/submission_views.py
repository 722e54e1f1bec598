"""Reading submissions: lists, single records, versions, attachments, comments, review."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from forms.validation_messages import outcome_in
from server import errors
from server.errors import Problem
from server.models import (
    Actor,
    Blob,
    Form,
    Submission,
    SubmissionAttachment,
    SubmissionComment,
    SubmissionDef,
)
from server.models.base import iso, utcnow
from server.services.changes import mark_changed
from server.services.submissions import attachments_of, current_definition_of

REVIEW_STATES = (None, "hasIssues", "edited", "approved", "rejected")
REVIEW_STATE_INVALID = errors.register(
    "submission.review_state_invalid",
    400,
    "reviewState must be null, hasIssues, edited, approved or rejected.",
)


def submission_json(
    submission: Submission, current: SubmissionDef, lang: str | None = None
) -> dict[str, Any]:
    """ODK Central's Submission shape (pyodk's model keys present even when null); validation
    messages in `lang` when the form has it."""
    return {
        "instanceId": submission.instance_id,
        "submitterId": submission.submitter_id,
        "deviceId": submission.device_id,
        "userAgent": submission.user_agent,
        "reviewState": submission.review_state,
        "instanceName": current.instance_name,
        "createdAt": iso(submission.created_at),
        "updatedAt": iso(submission.updated_at),
        "deletedAt": iso(submission.deleted_at),
        "currentVersion": version_json(current),
        # Kenesh's additions: the record's version, its conflict flag and validation outcome.
        "version": submission.version,
        "conflict": submission.conflict,
        "validation": outcome_in(current.validation, lang),
    }


def version_json(definition: SubmissionDef) -> dict[str, Any]:
    """One version of a submission, as Central lists them."""
    return {
        "instanceId": definition.instance_id,
        "instanceName": definition.instance_name,
        "submitterId": definition.submitter_id,
        "deviceId": definition.device_id,
        "userAgent": definition.user_agent,
        "createdAt": iso(definition.created_at),
        "current": definition.current,
        "version": definition.version,
        "deprecatedId": definition.deprecated_id,
    }


def list_submissions(
    session: Session, form: Form, *, visible: Any = None, deleted: bool = False
) -> list[tuple[Submission, SubmissionDef]]:
    """Live submissions of a form (or, with `deleted`, those in the trash) with their current
    versions, newest first.

    `visible` is an optional SQL condition on Submission (the caller's record scope).
    """
    in_trash = col(Submission.deleted_at).is_not(None)
    query = (
        select(Submission, SubmissionDef)
        .join(SubmissionDef, col(SubmissionDef.submission_id) == Submission.id)
        .where(
            Submission.form_id == form.id,
            in_trash if deleted else col(Submission.deleted_at).is_(None),
            col(SubmissionDef.current).is_(True),
        )
        .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
    )
    if visible is not None:
        query = query.where(visible)
    return [(s, d) for s, d in session.exec(query)]


def count_submissions(session: Session, form: Form) -> int:
    """How many live submissions a form has."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Submission)
            .where(Submission.form_id == form.id, col(Submission.deleted_at).is_(None))
        ).one()
    )


def list_versions(session: Session, submission: Submission) -> list[SubmissionDef]:
    """Every version of a submission, newest first (as Central lists them)."""
    return list(
        session.exec(
            select(SubmissionDef)
            .where(SubmissionDef.submission_id == submission.id)
            .order_by(col(SubmissionDef.version).desc())
        )
    )


def get_version(session: Session, submission: Submission, instance_id: str) -> SubmissionDef:
    """One version by its own instanceID; 404 otherwise."""
    found = session.exec(
        select(SubmissionDef).where(
            SubmissionDef.submission_id == submission.id, SubmissionDef.instance_id == instance_id
        )
    ).first()
    if found is None:
        raise Problem(errors.NOT_FOUND, f"Version {instance_id!r} does not exist.")
    return found


def attachment_list_json(session: Session, definition: SubmissionDef) -> list[dict[str, Any]]:
    """[{name, exists}] for each file the version references."""
    return [
        {"name": a.name, "exists": a.blob_id is not None}
        for a in attachments_of(session, definition)
    ]


def attachment_file(session: Session, definition: SubmissionDef, name: str) -> Blob:
    """The stored file of an attachment slot; 404 when unknown or not yet received."""
    slot = session.get(SubmissionAttachment, (definition.id, name))
    blob = session.get(Blob, slot.blob_id) if slot is not None and slot.blob_id else None
    if blob is None:
        raise Problem(errors.NOT_FOUND, f"No attachment {name!r} has been received.")
    return blob


def set_review_state(session: Session, submission: Submission, body: dict[str, Any]) -> None:
    """PATCH review state: null (received), hasIssues, edited, approved, rejected."""
    if "reviewState" not in body or body["reviewState"] not in REVIEW_STATES:
        raise Problem(REVIEW_STATE_INVALID)
    submission.review_state = body["reviewState"]
    submission.updated_at = utcnow()
    session.add(submission)
    mark_changed(session, "submission", submission.id or 0)
    if submission.review_state == "approved":
        from server.services.entity_submissions import approve_submission

        approve_submission(session, submission)


def add_comment(
    session: Session, submission: Submission, actor_id: int, body: Any
) -> SubmissionComment:
    """A reviewer's comment."""
    if not isinstance(body, str) or not body.strip():
        raise Problem(errors.REQUEST_INVALID, "A comment needs a non-empty body.")
    comment = SubmissionComment(submission_id=submission.id or 0, actor_id=actor_id, body=body)
    session.add(comment)
    session.flush()
    return comment


def list_comments(session: Session, submission: Submission) -> list[dict[str, Any]]:
    """Comments, oldest first, in Central's shape."""
    rows = session.exec(
        select(SubmissionComment, Actor)
        .join(Actor, col(Actor.id) == SubmissionComment.actor_id)
        .where(SubmissionComment.submission_id == submission.id)
        .order_by(col(SubmissionComment.id))
    )
    return [
        comment_json(c) | {"actor": {"id": a.id, "displayName": a.display_name}} for c, a in rows
    ]


def comment_json(comment: SubmissionComment) -> dict[str, Any]:
    """One comment."""
    return {"body": comment.body, "actorId": comment.actor_id, "createdAt": iso(comment.created_at)}


def submission_stats(session: Session, form: Form, visible: Any = None) -> dict[str, Any]:
    """ODK Central's extended form metadata: counts by review state and the newest submission,
    of the records `visible` (a condition on Submission; None: all) lets through."""
    query = (
        select(Submission.review_state, func.count(), func.max(Submission.created_at))
        .where(Submission.form_id == form.id, col(Submission.deleted_at).is_(None))
        .group_by(Submission.review_state)
    )
    if visible is not None:
        query = query.where(visible)
    stats: dict[str, Any] = {"submissions": 0,
                             "reviewStates": {"received": 0, "hasIssues": 0, "edited": 0}}
    last = None
    for state, count, newest in session.exec(query).all():
        stats["submissions"] += count
        key = "received" if state is None else state
        if key in stats["reviewStates"]:
            stats["reviewStates"][key] = count
        last = newest if last is None or (newest and newest > last) else last
    stats["lastSubmission"] = iso(last) if last else None
    return stats


__all__ = ["current_definition_of", "submission_json"]
