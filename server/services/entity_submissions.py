"""Entities from submissions: the `entities` sheet's creates and updates, offline branches included.

ODK Collect updates entities offline in *branches*: each update carries ``baseVersion`` (counted
within the branch), ``trunkVersion`` (the last server version the phone had) and ``branchId``.
As Central does, the server version an update stands on is found from those three; an update
whose base has not arrived yet waits in the backlog (entity_backlog.py) and runs when its
predecessor does. The write itself is one op through the sync engine's merge, made only of the
properties the phone changed relative to that base, so two phones editing different properties
merge silently and two phones editing the same property open a conflict with both values.

The submission is always accepted: a failed entity write is rolled back to a savepoint and
recorded (code and message) on the submission's entity status and in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from forms.instance import ParsedInstance, parse_stored_instance
from forms.schema import FormSchema
from forms.xform import first_child
from server.errors import Problem
from server.models import (
    Dataset,
    Entity,
    EntityDef,
    EntitySubmission,
    Form,
    FormDef,
    Submission,
    SubmissionDef,
)
from server.models.base import utcnow
from server.services.entities import (
    LABEL,
    OdkVersion,
    Writer,
    apply_op,
    current_def,
    find_def,
    find_entity,
    server_op,
)
from server.services.entity_lists import find_dataset, form_actions
from server.services.entity_rest import normalized_uuid
from server.services.forms import load_schema

_TRUE = ("1", "true")


class EntityProblem(Exception):
    """Why a submission's entity write failed; recorded on the submission."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Intent:
    """What a submission asks of an entity (its meta/entity and save_to answers)."""

    dataset: str
    uuid: str
    create: bool
    update: bool
    label: str | None
    data: dict[str, str]
    base_version: int | None
    trunk_version: int | None
    branch_id: str | None


@dataclass(frozen=True)
class Context:
    """The submission being processed and how: its trigger and whether it is forced."""

    submission: Submission
    definition: SubmissionDef
    trigger: str  # "create" | "edit" | "approve" | "backlog" | "convert"
    forced: bool = False
    parsed: ParsedInstance | None = None  # the definition's XML, when the caller has read it

    def instance(self) -> ParsedInstance:
        """The definition's XML parsed (read again from the stored bytes when not given)."""
        if self.parsed is not None:
            return self.parsed
        return parse_stored_instance(self.definition.xml)


def intent_of(parsed: ParsedInstance, schema: FormSchema) -> Intent | None:
    """The entity request of a submission, or None when it makes no entity request."""
    meta = parsed.entity
    if meta is None or schema.entity is None:
        return None
    create, update = (meta.create or "") in _TRUE, (meta.update or "") in _TRUE
    if not (create or update):
        return None
    if not meta.dataset:
        raise EntityProblem("dataset_missing", "The submission names no entity list.")
    try:
        uuid = normalized_uuid(meta.entity_id) if meta.entity_id else ""
    except Problem:
        uuid = ""
    if not uuid:
        raise EntityProblem("entity_id_invalid", f"{meta.entity_id!r} is not an entity uuid.")
    return Intent(meta.dataset, uuid, create, update, meta.label,
                  _saved_properties(parsed.root, schema), _int(meta.base_version, "baseVersion"),
                  _int(meta.trunk_version, "trunkVersion"), meta.branch_id or None)


def _int(text: str | None, name: str) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise EntityProblem("version_invalid", f"{name} {text!r} is not a number.") from None


def _saved_properties(root: Element, schema: FormSchema) -> dict[str, str]:
    """save_to property -> the answer's text exactly as sent (Central keeps strings)."""
    data: dict[str, str] = {}
    for field in schema.walk():
        name = field.bind.get("entities:saveto")
        if not name:
            continue
        node: Element | None = root
        for step in field.path.strip("/").split("/")[1:]:
            node = first_child(node, step) if node is not None else None
        if node is not None:
            data[name] = (node.text or "").strip()
    return data


def process_submission(session: Session, submission: Submission, definition: SubmissionDef,
                       trigger: str, parsed: ParsedInstance | None = None
                       ) -> EntitySubmission | None:
    """Create or update the entity a submission asks for; never raises for a bad request.
    `parsed`: the definition's XML as the request already read it (else it is read again)."""
    return run(session, Context(submission, definition, trigger, parsed=parsed))


def run(session: Session, ctx: Context) -> EntitySubmission | None:
    """Process once (a held or applied submission is not processed again)."""
    schema = load_schema_of(session, ctx.definition)
    if schema.entity is None or _already_done(session, ctx):
        return None
    try:
        intent = intent_of(ctx.instance(), schema)
        if intent is None:
            return None
        with session.begin_nested():
            return _process(session, ctx, intent)
    except EntityProblem as problem:
        return _record(session, ctx, None, "error", error={"code": problem.code,
                                                           "message": problem.message})


def load_schema_of(session: Session, definition: SubmissionDef) -> FormSchema:
    """The schema of the form version the submission was filled in."""
    form_def = session.get(FormDef, definition.form_def_id)
    assert form_def is not None
    return load_schema(form_def)


def _already_done(session: Session, ctx: Context) -> bool:
    if ctx.trigger in ("backlog", "create"):  # "create": a new record has no entity status yet
        return False
    rows = session.exec(select(EntitySubmission.status).where(
        EntitySubmission.submission_id == ctx.submission.id)).all()
    return any(status in ("applied", "held") for status in rows)


def _process(session: Session, ctx: Context, intent: Intent) -> EntitySubmission | None:
    dataset = find_dataset(session, ctx.submission.project_id, intent.dataset)
    if dataset is None:
        raise EntityProblem("dataset_not_found", f"The entity list {intent.dataset!r} does not "
                            "exist.")
    permitted = form_actions(session, dataset, ctx.submission.form_id)
    for action, asked in (("create", intent.create), ("update", intent.update)):
        if asked and action not in permitted:
            raise EntityProblem("action_not_permitted", f"The form may not {action} entities.")
    if intent.update:
        try:
            return _update(session, ctx, dataset, intent)
        except EntityProblem as problem:
            if problem.code not in ("entity_not_found", "base_version_missing"):
                raise
            if not (intent.create or ctx.forced):
                raise
    if intent.create or ctx.forced:
        return _create(session, ctx, dataset, intent)
    return None


def _writer(ctx: Context, intent: Intent) -> Writer:
    """Ops of one offline branch are one device's: each sees the branch's earlier writes."""
    sub = ctx.submission
    if intent.branch_id:
        device = f"branch:{intent.branch_id}"
    elif sub.device_id:
        device = f"odk:{sub.device_id}"
    else:
        device = f"user:{sub.submitter_id}"
    return Writer(sub.submitter_id, device, ctx.definition.user_agent, "submission", sub.id,
                  ctx.definition.id)


def _create(session: Session, ctx: Context, dataset: Dataset,
            intent: Intent) -> EntitySubmission | None:
    if ctx.trigger == "approve" and not dataset.approval_required:
        return None
    if dataset.approval_required and ctx.trigger not in ("approve", "backlog"):
        return _record(session, ctx, dataset, "pending", intent=intent, action="create")
    existing = find_entity(session, dataset, intent.uuid, deleted=None)
    if existing is not None:
        code = "entity_deleted" if existing.deleted_at else "entity_exists"
        raise EntityProblem(code, f"An entity with uuid {intent.uuid} already exists.")
    label = intent.label or ("auto generated" if ctx.forced else None)
    if not label or not label.strip():
        raise EntityProblem("label_missing", "A new entity needs a label.")
    writer = _writer(ctx, intent)
    op = server_op(session, intent.uuid, dataset, writer, {LABEL: label, **intent.data},
                   base_version=None)
    odk = OdkVersion(data_received=intent.data, branch_id=intent.branch_id,
                     branch_base_version=intent.base_version if ctx.forced else None,
                     forced=ctx.forced)
    applied = apply_op(session, dataset, None, op, writer, odk)
    return _applied(session, ctx, dataset, intent, applied.entity, applied.definition, "create")


def _update(session: Session, ctx: Context, dataset: Dataset,
            intent: Intent) -> EntitySubmission | None:
    if ctx.trigger == "approve":
        return None  # as Central: approval creates entities, updates apply on arrival
    if intent.base_version is None:
        raise EntityProblem("base_version_missing", "An entity update needs a baseVersion.")
    entity = find_entity(session, dataset, intent.uuid, deleted=None, for_update=True)
    if entity is not None and entity.deleted_at is not None:
        raise EntityProblem("entity_deleted", f"The entity {intent.uuid} has been deleted.")
    if entity is not None and intent.trunk_version is not None \
            and intent.trunk_version > entity.version:
        # A phone cannot have seen a version the server never made: an error, not a wait.
        raise EntityProblem("trunk_version_ahead", f"trunkVersion {intent.trunk_version} is "
                            f"ahead of the server's version {entity.version}.")
    base = _base_def(session, entity, intent, ctx)
    if base is None:
        return _record(session, ctx, dataset, "held", intent=intent, action="update")
    assert entity is not None
    fields = {k: v for k, v in intent.data.items() if base.data.get(k) != v}
    if intent.label and intent.label != base.label:
        fields[LABEL] = intent.label
    writer = _writer(ctx, intent)
    op = server_op(session, entity.uuid, dataset, writer, fields, base_version=base.version)
    odk = OdkVersion(data_received=intent.data, base_version=base.version,
                     trunk_version=intent.trunk_version, branch_id=intent.branch_id,
                     branch_base_version=intent.base_version if intent.branch_id else None,
                     forced=ctx.forced)
    applied = apply_op(session, dataset, entity, op, writer, odk)
    return _applied(session, ctx, dataset, intent, applied.entity, applied.definition, "update")


def _base_def(session: Session, entity: Entity | None, intent: Intent,
              ctx: Context) -> EntityDef | None:
    """The server version the update was made on; None when it must wait in the backlog."""
    base = intent.base_version
    if not intent.branch_id:
        if entity is None:
            raise EntityProblem("entity_not_found", f"No entity {intent.uuid} in the list.")
        found = find_def(session, entity, version=base)
        if found is None:
            raise EntityProblem("base_version_not_found", f"The entity has no version {base}.")
        return found
    if base == 1 or base == intent.trunk_version:
        condition: dict[str, Any] = {"version": base}
    else:
        condition = {"branch_id": intent.branch_id, "branch_base_version": (base or 0) - 1}
    found = find_def(session, entity, **condition) if entity is not None else None
    if found is not None:
        return found
    if not ctx.forced:
        return None
    if entity is None:
        raise EntityProblem("entity_not_found", f"No entity {intent.uuid} in the list.")
    return current_def(session, entity)  # forced after the backlog timeout: the latest version


def _applied(session: Session, ctx: Context, dataset: Dataset, intent: Intent, entity: Entity,
             definition: EntityDef, action: str) -> EntitySubmission:
    from server.services.entity_backlog import release_next

    row = _record(session, ctx, dataset, "applied", intent=intent, action=action,
                  version=definition.version)
    release_next(session, entity, definition)
    return row


def _record(session: Session, ctx: Context, dataset: Dataset | None, status: str, *,
            intent: Intent | None = None, action: str | None = None, version: int | None = None,
            error: dict[str, Any] | None = None) -> EntitySubmission:
    """The submission's entity status (one row per submission, updated as it moves on)."""
    row = None if ctx.trigger == "create" else session.exec(select(EntitySubmission).where(
        EntitySubmission.submission_id == ctx.submission.id
    ).order_by(col(EntitySubmission.id).desc())).first()  # "create": none yet, written once
    if row is None:
        row = EntitySubmission(submission_id=ctx.submission.id or 0,
                               submission_def_id=ctx.definition.id or 0, status=status)
    row.submission_def_id = ctx.definition.id or 0
    row.status, row.action, row.version, row.error = status, action, version, error
    row.dataset_id = dataset.id if dataset is not None else row.dataset_id
    row.forced = ctx.forced
    row.updated_at = utcnow()
    if intent is not None:
        row.entity_uuid, row.branch_id = intent.uuid, intent.branch_id
        row.branch_base_version = intent.base_version
    session.add(row)
    session.flush()
    if status == "error":
        _audit_error(session, ctx, error or {})
    return row


def _audit_error(session: Session, ctx: Context, error: dict[str, Any]) -> None:
    from server.services.audit import record_audit

    record_audit(session, ctx.submission.submitter_id, "entity.error",
                 f"submission/{ctx.submission.instance_id}",
                 details={"submissionId": ctx.submission.id, **error})


def approve_submission(session: Session, submission: Submission) -> EntitySubmission | None:
    """A submission was approved: entity lists with approvalRequired create its entity now."""
    from server.services.submissions import current_definition_of  # it imports this module

    return run(session, Context(submission, current_definition_of(session, submission),
                                "approve"))


def _awaiting_approval(dataset: Dataset) -> Any:
    """Submissions whose entity create waits for an approval (Central's "unprocessed" ones):
    neither approved nor rejected, live, of a live form."""
    return (
        select(Submission)
        .join(EntitySubmission, col(EntitySubmission.submission_id) == Submission.id)
        .join(Form, col(Form.id) == Submission.form_id)
        .where(EntitySubmission.dataset_id == dataset.id, EntitySubmission.status == "pending",
               col(Submission.deleted_at).is_(None), col(Form.deleted_at).is_(None),
               or_(col(Submission.review_state).is_(None),
                   col(Submission.review_state).not_in(("approved", "rejected"))))
    )


def count_awaiting_approval(session: Session, dataset: Dataset) -> int:
    """How many submissions wait for an approval to create an entity in the list."""
    query = _awaiting_approval(dataset).with_only_columns(func.count())
    return int(session.exec(query).one())  # type: ignore[call-overload]


def convert_awaiting_approval(session: Session, dataset: Dataset) -> int:
    """The list no longer requires approval: create the waiting submissions' entities now, in
    arrival order, each on its own (one failure is recorded on its submission)."""
    from server.services.submissions import current_definition_of  # it imports this module

    submissions = list(session.exec(_awaiting_approval(dataset).order_by(col(Submission.id))))
    for submission in submissions:
        run(session, Context(submission, current_definition_of(session, submission), "convert"))
    return len(submissions)
