"""ODK Central's entity REST writes (create, bulk create, PATCH, delete, restore) as merge ops."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from sqlmodel import Session, select

from server import errors
from server.errors import Problem
from server.models import Dataset, Entity
from server.services.entities import (
    ENTITY_EXISTS,
    ENTITY_INVALID,
    ENTITY_NO_CONFLICT,
    ENTITY_UUID_DELETED,
    ENTITY_VERSION_CONFLICT,
    LABEL,
    Applied,
    Writer,
    apply_op,
    find_entity,
    get_entity,
    resolve_all,
    server_op,
)
from server.services.entity_lists import property_names
from server.services.server_clock import server_tick

_MAX_BULK = 50_000


def normalized_uuid(raw: Any) -> str:
    """A client-given uuid in canonical lowercase form (a fresh one when none is given)."""
    if raw is None:
        return str(uuidlib.uuid4())
    text = str(raw).strip().lower()
    text = text[5:] if text.startswith("uuid:") else text
    try:
        return str(uuidlib.UUID(text))
    except ValueError:
        raise Problem(ENTITY_INVALID, f"The uuid {raw!r} is not a valid UUID.") from None


def _label(body: dict[str, Any], *, required: bool) -> str | None:
    label = body.get("label")
    if label is None and not required:
        return None
    if not isinstance(label, str) or not label.strip():
        raise Problem(ENTITY_INVALID, "The entity needs a non-empty label.")
    return label


def _data(body: dict[str, Any], known: list[str]) -> dict[str, str]:
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise Problem(ENTITY_INVALID, "data must be an object of property name to string.")
    unknown = [k for k in data if k not in known]
    if unknown:
        raise Problem(ENTITY_INVALID, f"The entity list has no property {unknown[0]!r}.",
                      properties=unknown)
    for name, value in data.items():
        if not isinstance(value, str):
            raise Problem(ENTITY_INVALID, f"The value of {name!r} must be a string.")
    return dict(data)


def _check_new_uuids(session: Session, dataset: Dataset, uuids: list[str]) -> None:
    if len(set(uuids)) != len(uuids):
        raise Problem(ENTITY_EXISTS, "The same uuid is given twice.")
    for start in range(0, len(uuids), 500):
        chunk = uuids[start:start + 500]
        taken = session.exec(select(Entity).where(
            Entity.dataset_id == dataset.id, Entity.uuid.in_(chunk)  # type: ignore[attr-defined]
        )).all()
        for entity in taken:
            kind = ENTITY_UUID_DELETED if entity.deleted_at is not None else ENTITY_EXISTS
            raise Problem(kind, f"The uuid {entity.uuid} is already used.", uuid=entity.uuid)


def create_entity(session: Session, dataset: Dataset, body: Any, writer: Writer) -> Applied:
    """POST …/entities with one {uuid, label, data}."""
    return create_entities(session, dataset, [body], writer)[0]


def create_entities(session: Session, dataset: Dataset, bodies: Any,
                    writer: Writer) -> list[Applied]:
    """Create every entity or none (the bulk form {entities: [...], source: {name}})."""
    if not isinstance(bodies, list) or not bodies:
        raise Problem(errors.REQUEST_INVALID, "entities must be a non-empty array.")
    if len(bodies) > _MAX_BULK:
        raise Problem(errors.REQUEST_INVALID, f"At most {_MAX_BULK} entities per request.")
    known = property_names(session, dataset)
    parsed: list[tuple[str, dict[str, Any]]] = []
    for body in bodies:
        if not isinstance(body, dict):
            raise Problem(ENTITY_INVALID, "Each entity must be an object.")
        fields = {LABEL: _label(body, required=True), **_data(body, known)}
        parsed.append((normalized_uuid(body.get("uuid")), fields))
    _check_new_uuids(session, dataset, [uuid for uuid, _ in parsed])
    hlc = server_tick(session).encode()  # one reading for the request: ops differ by op id
    return [
        apply_op(session, dataset, None,
                 server_op(session, uuid, dataset, writer, fields, base_version=None, hlc=hlc),
                 writer)
        for uuid, fields in parsed
    ]


def update_entity(session: Session, dataset: Dataset, uuid: str, body: Any, writer: Writer, *,
                  base_version: str | None, force: bool, resolve: bool) -> Entity:
    """PATCH …/entities/{uuid}: Central's rules, then the merge (the writer has seen it all)."""
    entity = get_entity(session, dataset, uuid, for_update=True)
    if resolve and entity.conflict is None:
        raise Problem(ENTITY_NO_CONFLICT)
    if not force and base_version != str(entity.version):
        raise Problem(ENTITY_VERSION_CONFLICT,
                      f"The current version is {entity.version}; baseVersion was {base_version!r}.",
                      current=entity.version, provided=base_version)
    body = body if isinstance(body, dict) else {}
    if resolve and not body:
        return resolve_all(session, dataset, entity, writer)
    label = _label(body, required=False)
    fields: dict[str, Any] = _data(body, property_names(session, dataset))
    if label is not None:
        fields[LABEL] = label
    op = server_op(session, entity.uuid, dataset, writer, fields, base_version=entity.version)
    entity = apply_op(session, dataset, entity, op, writer).entity
    return resolve_all(session, dataset, entity, writer) if resolve else entity


def delete_entity(session: Session, dataset: Dataset, uuid: str, writer: Writer) -> Entity:
    """DELETE …/entities/{uuid}: a delete op; concurrent edits from phones still win."""
    entity = get_entity(session, dataset, uuid, for_update=True)
    op = server_op(session, entity.uuid, dataset, writer, {}, base_version=entity.version,
                   deleted=True)
    return apply_op(session, dataset, entity, op, writer).entity


def restore_entity(session: Session, dataset: Dataset, uuid: str, writer: Writer) -> Entity:
    """POST …/entities/{uuid}/restore: bring a deleted entity back."""
    entity = find_entity(session, dataset, uuid, deleted=True, for_update=True)
    if entity is None:
        raise Problem(errors.NOT_FOUND, f"No deleted entity {uuid!r}.")
    op = server_op(session, entity.uuid, dataset, writer, {}, base_version=entity.version,
                   deleted=False)
    return apply_op(session, dataset, entity, op, writer).entity
