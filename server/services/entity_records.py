"""Entities as a sync record kind: pushed as ``type: "entity"`` ops, pulled in the change feed."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from server import errors
from server.errors import Problem
from server.models import Dataset, Entity
from server.policy import Access
from server.services.entities import (
    LABEL,
    Writer,
    find_entity,
    list_defs,
    state_of,
    store_result,
    store_state,
)
from server.services.entity_access import app_user_datasets, reachable_entities
from server.services.entity_csv import scope_of, visible_clause
from server.services.entity_lists import find_dataset, property_names
from server.services.entity_views import history_json
from server.services.records import Change, FeedPosition, OpRejected, register_kind
from sync.merge import MergeResult
from sync.ops import Op
from sync.records import RecordState


class EntityKind:
    """The "entity" record kind of the sync API (see server/services/records.py)."""

    name = "entity"

    def check_write(self, session: Session, access: Access, project_id: int,
                    container: str) -> None:
        """The entity list must exist in the project, and an app user's forms must use it."""
        dataset = find_dataset(session, project_id, container)
        allowed = app_user_datasets(session, access)
        if dataset is None or (allowed is not None and dataset.id not in allowed):
            raise OpRejected("dataset_unknown", f"The entity list {container!r} does not exist.")

    def load(self, session: Session, project_id: int, container: str,
             record_id: str) -> RecordState | None:
        """The entity (deleted ones too), its row locked."""
        dataset = find_dataset(session, project_id, container)
        if dataset is None:
            return None
        entity = find_entity(session, dataset, record_id, deleted=None, for_update=True)
        return state_of(entity) if entity is not None else None

    def save(self, session: Session, project_id: int, container: str, result: MergeResult,
             op: Op, actor_id: int | None) -> int:
        """A new version when the version grew, else only the merge state (a resolution)."""
        dataset = find_dataset(session, project_id, container)
        if dataset is None:
            raise OpRejected("dataset_unknown", f"The entity list {container!r} does not exist.")
        _check_fields(session, dataset, op)
        entity = find_entity(session, dataset, op.record_id, deleted=None, for_update=True)
        if entity is not None and result.state.version <= entity.version:
            return _settle(session, dataset, entity, result)
        source = "sync" if op.device_id.split(":", 1)[0] not in ("user", "resolve") else "api"
        writer = Writer(actor_id, op.device_id, None, source)
        return store_result(session, dataset, entity, op, result, writer).entity.version

    def changes(self, session: Session, access: Access, project_id: int, after: FeedPosition,
                limit: int) -> list[Change]:
        """The project's entities after `after`, in feed order, within the caller's scope."""
        query = (
            select(Entity, Dataset.name).join(Dataset, col(Dataset.id) == Entity.dataset_id)
            .where(Entity.project_id == project_id, col(Entity.change_seq).is_not(None),
                   after.after_clause(self.name, Entity.change_seq, Entity.id))
            .order_by(col(Entity.change_seq), col(Entity.id)).limit(limit)
        )
        visible = visible_clause(scope_of(session, access))
        if visible is not None:
            query = query.where(visible)
        reachable = reachable_entities(session, access)
        if reachable is not None:
            query = query.where(reachable)
        return [_change(entity, name) for entity, name in session.exec(query)]

    def history(self, session: Session, access: Access, project_id: int,
                record_id: str) -> list[dict[str, Any]]:
        """Every version of the entity from 1."""
        query = select(Entity).where(Entity.project_id == project_id,
                                     Entity.uuid == record_id.lower())
        reachable = reachable_entities(session, access)
        if reachable is not None:
            query = query.where(reachable)
        visible = visible_clause(scope_of(session, access))
        if visible is not None:
            query = query.where(visible)
        entity = session.exec(query).first()
        if entity is None:
            raise Problem(errors.NOT_FOUND, f"Entity {record_id!r} does not exist.")
        return [history_json(d) for d in list_defs(session, entity)]


def _check_fields(session: Session, dataset: Dataset, op: Op) -> None:
    known = set(property_names(session, dataset)) | {LABEL}
    for name, value in op.fields.items():
        if name not in known:
            raise OpRejected("property_unknown", f"The entity list has no property {name!r}.")
        if not isinstance(value, str):
            raise OpRejected("value_invalid", f"The value of {name!r} must be a string.")


def _settle(session: Session, dataset: Dataset, entity: Entity, result: MergeResult) -> int:
    """A resolution that kept the current value: the merge state changes, the version not."""
    if not result.state.conflict and entity.conflict == "hard":
        entity.conflict = None
    store_state(session, entity, result.state, dataset, entity.hlc)
    return entity.version


def _change(entity: Entity, dataset_name: str) -> Change:
    return Change(
        type="entity", container=dataset_name, record_id=entity.uuid, version=entity.version,
        fields={LABEL: entity.label, **entity.data}, deleted=entity.deleted_at is not None,
        conflict=bool(entity.conflict_fields), hlc=entity.hlc,
        position=FeedPosition(entity.change_seq or 0, "entity", entity.id or 0),
    )


ENTITY_KIND = EntityKind()
register_kind(ENTITY_KIND)
