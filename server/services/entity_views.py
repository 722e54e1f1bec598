"""Entities as ODK Central shows them: entity JSON, versions, lists; every key pyodk requires."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from server.models import Dataset, Entity, EntityDef, EntitySubmission, Submission
from server.models.base import iso


def version_json(definition: EntityDef, *, with_data: bool = True) -> dict[str, Any]:
    """One version (Central's entity def): pyodk's CurrentVersion keys and Central's own."""
    body: dict[str, Any] = {
        "label": definition.label,
        "current": definition.current,
        "createdAt": iso(definition.created_at),
        "creatorId": definition.creator_id,
        # pyodk's model requires a string here; Central stores null when no user agent came.
        "userAgent": definition.user_agent or "",
        "version": definition.version,
        "baseVersion": definition.base_version,
        "dataReceived": definition.data_received,
        "conflictingProperties": definition.conflicting_properties,
        "conflict": definition.conflict,
        "branchId": definition.branch_id,
        "trunkVersion": definition.trunk_version,
        "branchBaseVersion": definition.branch_base_version,
        "deleted": definition.deleted,
        "source": {"type": definition.source, "submissionId": definition.submission_id},
    }
    if with_data:
        body["data"] = definition.data
    return body


def entity_json(entity: Entity, definition: EntityDef, *, with_data: bool = True) -> dict[str, Any]:
    """GET …/entities/{uuid} (with data) or one row of GET …/entities (without)."""
    return {
        "uuid": entity.uuid,
        "creatorId": entity.creator_id,
        "createdAt": iso(entity.created_at),
        "updatedAt": iso(entity.updated_at),
        "deletedAt": iso(entity.deleted_at),
        "conflict": entity.conflict,
        "currentVersion": version_json(definition, with_data=with_data),
    }


def history_json(definition: EntityDef) -> dict[str, Any]:
    """One version for …/versions: Central's keys plus who, from which device, at which HLC."""
    return {
        **version_json(definition),
        "actorId": definition.creator_id,
        "deviceId": definition.device_id,
        "hlc": definition.hlc,
        "opId": definition.op_id,
        "changed": definition.changed_fields,
    }


def list_entities(session: Session, dataset: Dataset, *, deleted: bool = False,
                  visible: Any = None) -> list[dict[str, Any]]:
    """GET …/entities: newest first, as Central orders them; current versions without data."""
    live = col(Entity.deleted_at).is_not(None) if deleted else col(Entity.deleted_at).is_(None)
    query = (
        select(Entity, EntityDef)
        .join(EntityDef, (col(EntityDef.entity_id) == Entity.id)
              & (col(EntityDef.version) == Entity.version))
        .where(Entity.dataset_id == dataset.id, live)
        .order_by(col(Entity.created_at).desc(), col(Entity.id).desc())
    )
    if visible is not None:
        query = query.where(visible)
    return [entity_json(e, d, with_data=False) for e, d in session.exec(query)]


def submission_entity_rows(session: Session, submission: Submission) -> list[EntitySubmission]:
    """The entity status rows of a submission."""
    return list(session.exec(select(EntitySubmission).where(
        EntitySubmission.submission_id == submission.id).order_by(col(EntitySubmission.id))))


def submission_entity_json(row: EntitySubmission) -> dict[str, Any]:
    """{uuid, action, status, version, forced, error: {code, message} | null, updatedAt}."""
    return {
        "uuid": row.entity_uuid, "action": row.action, "status": row.status,
        "version": row.version, "forced": row.forced, "error": row.error,
        "branchId": row.branch_id, "baseVersion": row.branch_base_version,
        "updatedAt": iso(row.updated_at or row.created_at),
    }
