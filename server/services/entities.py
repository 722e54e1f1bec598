"""Entities: every write (REST, submissions, sync ops) goes through the one field-level merge.

An entity is a sync record whose fields are its ``label`` and its properties (strings). A write
becomes a ``sync.ops.Op`` and ``sync.merge.merge`` decides: fields the writer had seen are
taken, concurrent writes of other fields merge silently (ODK's ``conflict: "soft"``), and the
same field written concurrently with different values opens a conflict that keeps both values
(ODK's ``"hard"`` with ``conflictingProperties``). Each merged op is one new version, stored
as an immutable ``EntityDef``; that version number is the one REST, OData, the CSV and the
sync feed show.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from server import errors
from server.errors import Problem
from server.models import Dataset, Entity, EntityDef, SyncConflict
from server.models.base import utcnow
from server.services.changes import mark_changed, register_table
from server.services.conflicts import record_conflicts
from server.services.records import state_from_stored, state_to_meta
from server.services.scope import location_value, project_scope_setting
from server.services.server_clock import server_tick
from sync.merge import MergeResult, merge, resolve_conflict
from sync.ops import Op
from sync.records import DELETION, RecordState, open_conflicts

register_table("entity", "entities")

LABEL = "label"  # the label merges like a property; property names may never be "label"

ENTITY_INVALID = errors.register("entity.invalid", 400, "The entity is invalid.")
ENTITY_EXISTS = errors.register(
    "entity.exists", 409, "An entity with this uuid already exists in the entity list."
)
ENTITY_UUID_DELETED = errors.register(
    "entity.uuid_deleted", 409, "The uuid belongs to a deleted entity and cannot be reused."
)
ENTITY_VERSION_CONFLICT = errors.register(
    "entity.version_conflict", 409,
    "The entity's current version is not the baseVersion given; correct it or pass force=true.",
)
ENTITY_NO_CONFLICT = errors.register(
    "entity.no_conflict", 400, "The entity does not have any conflict to resolve."
)


@dataclass(frozen=True)
class Writer:
    """Who writes a version, and from where (Central's source: api, submission or sync)."""

    actor_id: int | None
    device_id: str
    user_agent: str | None = None
    source: str = "api"
    submission_id: int | None = None
    submission_def_id: int | None = None


@dataclass(frozen=True)
class OdkVersion:
    """What an ODK client said about the version: its offline branch and what it sent."""

    data_received: dict[str, Any] = field(default_factory=dict)
    base_version: int | None = None
    trunk_version: int | None = None
    branch_id: str | None = None
    branch_base_version: int | None = None
    forced: bool = False


@dataclass(frozen=True)
class Applied:
    """One merged write: the entity row, its new version row and the merge's verdict."""

    entity: Entity
    definition: EntityDef
    result: MergeResult


def new_op_id() -> str:
    """An op id for a server-side write."""
    return str(uuidlib.uuid4())


def state_of(entity: Entity) -> RecordState:
    """The entity as the merge sees it."""
    fields = {LABEL: entity.label, **entity.data}
    return state_from_stored(entity.uuid, entity.version, fields, entity.deleted_at is not None,
                             entity.field_meta or {})


def find_entity(session: Session, dataset: Dataset, uuid: str, *, deleted: bool | None = False,
                for_update: bool = False, visible: Any = None) -> Entity | None:
    """An entity of the list by uuid: live ones (deleted=False), deleted ones, or any (None);
    `visible` is the caller's scope clause (out of scope is not found)."""
    query = select(Entity).where(Entity.dataset_id == dataset.id, Entity.uuid == uuid.lower())
    if visible is not None:
        query = query.where(visible)
    if deleted is not None:
        query = query.where(col(Entity.deleted_at).is_not(None) if deleted
                            else col(Entity.deleted_at).is_(None))
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def get_entity(session: Session, dataset: Dataset, uuid: str, *, deleted: bool = False,
               for_update: bool = False, visible: Any = None) -> Entity:
    """A live (or, with deleted=True, a deleted) entity in the caller's scope; 404 otherwise."""
    found = find_entity(session, dataset, uuid, deleted=deleted, for_update=for_update,
                        visible=visible)
    if found is None:
        raise Problem(errors.NOT_FOUND, f"The entity {uuid!r} does not exist.")
    return found


def current_def(session: Session, entity: Entity) -> EntityDef:
    """The entity's current version."""
    found = session.exec(select(EntityDef).where(
        EntityDef.entity_id == entity.id, EntityDef.version == entity.version
    )).first()
    assert found is not None, "every entity has a def for its version"
    return found


def find_def(session: Session, entity: Entity, **condition: Any) -> EntityDef | None:
    """One version of the entity matching every column = value in `condition`."""
    query = select(EntityDef).where(EntityDef.entity_id == entity.id)
    for name, value in condition.items():
        query = query.where(getattr(EntityDef, name) == value)
    return session.exec(query.order_by(col(EntityDef.version))).first()


def list_defs(session: Session, entity: Entity) -> list[EntityDef]:
    """Every version of the entity, oldest first."""
    return list(session.exec(
        select(EntityDef).where(EntityDef.entity_id == entity.id).order_by(col(EntityDef.version))
    ))


def apply_op(session: Session, dataset: Dataset, entity: Entity | None, op: Op, writer: Writer,
             odk: OdkVersion | None = None) -> Applied:
    """THE write path: merge `op` into the entity (None: create it) and store the new version;
    conflicts go to the project's review queue."""
    result = merge(state_of(entity) if entity is not None else None, op)
    applied = store_result(session, dataset, entity, op, result, writer, odk)
    record_conflicts(session, dataset.project_id, "entity", dataset.name, result.conflicts)
    return applied


def store_result(session: Session, dataset: Dataset, entity: Entity | None, op: Op,
                 result: MergeResult, writer: Writer, odk: OdkVersion | None = None) -> Applied:
    """Store a merged entity as its new version (the sync push merges, then calls this)."""
    if entity is None:
        entity = Entity(project_id=dataset.project_id, dataset_id=dataset.id or 0,
                        uuid=op.record_id, creator_id=writer.actor_id, created_at=utcnow())
    else:
        entity.updated_at = utcnow()
    conflicting = [c.field for c in result.conflicts if c.field != DELETION]
    entity.conflict = odk_conflict(entity.conflict, result, odk)
    store_state(session, entity, result.state, dataset, op.hlc)
    definition = _add_def(session, entity, writer, op, result, odk or OdkVersion(), conflicting)
    return Applied(entity, definition, result)


def odk_conflict(previous: str | None, result: MergeResult, odk: OdkVersion | None) -> str | None:
    """ODK's conflict after a merge: "hard" while a Kenesh conflict is open, "soft" after a
    concurrent edit of other properties (until resolved), cleared when a hard one is resolved."""
    if result.state.conflict:
        return "hard"
    if previous == "hard":
        return None  # every conflict of the record was resolved
    if previous is not None:
        return previous
    if result.status == "merged" or (odk is not None and odk.forced):
        return "soft"
    return None


def store_state(session: Session, entity: Entity, state: RecordState, dataset: Dataset,
                hlc: str | None) -> None:
    """Write a merge state onto the entity row and stamp it for the change feed."""
    fields = dict(state.fields)
    entity.label = str(fields.pop(LABEL, entity.label) or "")
    entity.data = fields
    entity.version = state.version
    entity.field_meta = state_to_meta(state)
    entity.conflict_fields = sorted(state.conflict_fields)
    entity.hlc = hlc
    if state.deleted and entity.deleted_at is None:
        entity.deleted_at = utcnow()
    elif not state.deleted:
        entity.deleted_at = None
    entity.scope_value = _scope_value(session, dataset, fields)
    session.add(entity)
    session.flush()
    mark_changed(session, "entity", entity.id or 0)


def _scope_value(session: Session, dataset: Dataset, data: dict[str, Any]) -> str | None:
    """The entity's value of the project's scope field: the property named like the field's
    last step (scope /data/location/ayil_aimak -> property ayil_aimak)."""
    cache: dict[int, str | None] = session.info.setdefault("kenesh_scope_fields", {})
    if dataset.project_id not in cache:
        cache[dataset.project_id] = project_scope_setting(session, dataset.project_id)[1]
    scope_field = cache[dataset.project_id]
    if not scope_field:
        return None
    return location_value(data, scope_field.rstrip("/").rsplit("/", 1)[-1])


def _add_def(session: Session, entity: Entity, writer: Writer, op: Op, result: MergeResult,
             odk: OdkVersion, conflicting: list[str]) -> EntityDef:
    previous = None if result.version == 1 else session.exec(select(EntityDef).where(
        EntityDef.entity_id == entity.id, col(EntityDef.current).is_(True)
    )).first()
    if previous is not None:
        previous.current = False
        session.add(previous)
    received = odk.data_received or {k: v for k, v in op.fields.items() if k != LABEL}
    definition = EntityDef(
        entity_id=entity.id or 0, version=result.version, current=True, label=entity.label,
        data=dict(entity.data), data_received=received, deleted=result.state.deleted,
        base_version=op.base_version, trunk_version=odk.trunk_version, branch_id=odk.branch_id,
        branch_base_version=odk.branch_base_version, conflicting_properties=conflicting or None,
        conflict=entity.conflict, source=writer.source, submission_id=writer.submission_id,
        submission_def_id=writer.submission_def_id, creator_id=writer.actor_id,
        user_agent=writer.user_agent, device_id=op.device_id, hlc=op.hlc, op_id=op.op_id,
        changed_fields=list(result.changed_fields),
    )
    session.add(definition)
    session.flush()
    return definition


def server_op(session: Session, entity_uuid: str, dataset: Dataset, writer: Writer,
              fields: dict[str, Any], *, base_version: int | None, deleted: bool = False,
              hlc: str | None = None) -> Op:
    """An op for a write that carries no device clock: stamped with the server's HLC."""
    return Op(op_id=new_op_id(), device_id=writer.device_id, client_seq=1, type="entity",
              record_id=entity_uuid, hlc=hlc or server_tick(session).encode(), fields=fields,
              base_version=base_version, deleted=deleted, dataset=dataset.name)


def resolve_all(session: Session, dataset: Dataset, entity: Entity, writer: Writer) -> Entity:
    """Close every open conflict of the entity keeping the current values (no new version)."""
    state = state_of(entity)
    for conflict in open_conflicts(state):
        state, _changed = resolve_conflict(
            state, conflict, "kept", hlc=server_tick(session).encode(),
            device_id=writer.device_id, op_id=new_op_id(),
        )
    state = RecordState(state.record_id, state.version, state.fields, state.field_meta,
                        state.deleted, state.deleted_meta, {}, frozenset())
    entity.conflict = None
    entity.updated_at = utcnow()
    hlc = entity.hlc or server_tick(session).encode()
    store_state(session, entity, state, dataset, hlc)
    _close_stored_conflicts(session, entity, dataset, writer)
    return entity


def _close_stored_conflicts(session: Session, entity: Entity, dataset: Dataset,
                            writer: Writer) -> None:
    """ODK's resolve closes the record's open conflicts in the review queue too."""
    rows = session.exec(select(SyncConflict).where(
        SyncConflict.project_id == entity.project_id, SyncConflict.type == "entity",
        SyncConflict.record_id == entity.uuid, SyncConflict.status == "open",
    ))
    for row in rows:
        row.status, row.resolved_at, row.resolved_by = "resolved", utcnow(), writer.actor_id
        row.resolution = {"value": row.kept.get("value"), "version": None, "via": "odk"}
        session.add(row)
