"""An entity list's OData feed (…/datasets/{name}.svc/Entities), shaped as ODK Central's."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from forms.odata import (
    ENTITY_FILTER_FIELDS,
    FilterExpr,
    Member,
    ODataError,
    entity_row,
    matches_values,
    mentions,
    next_link,
    page,
    parse_entity_select,
    parse_filter,
    parse_paging,
)
from server import errors
from server.errors import Problem
from server.models import Actor, Dataset, Entity
from server.services.entity_csv import Scoped, visible_clause
from server.services.entity_lists import property_names

_BATCH = 1000


def odata_problem(error: ODataError) -> Problem:
    """Central's OData refusal codes (400.18, 501.4, …) as problems."""
    try:
        from server.services.odata import odata_problem as shared
    except ImportError:
        kind = errors.register(error.code, error.status, "The OData request is not supported.")
        return Problem(kind, error.message, message=error.message)
    return shared(error)


@dataclass(frozen=True)
class EntityQuery:
    """What one request asks of the feed."""

    url: str  # the request URL without its query
    params: Sequence[tuple[str, str]]
    service_root: str


def _row_values(entity: Any, creator: str | None) -> dict[str, Any]:
    return {
        "__id": entity.uuid, "__system/createdAt": entity.created_at,
        "__system/updatedAt": entity.updated_at, "__system/deletedAt": entity.deleted_at,
        "__system/creatorId": entity.creator_id, "__system/conflict": entity.conflict,
    }


def _system(entity: Any, creator: str | None) -> dict[str, Any]:
    return {
        "createdAt": entity.created_at, "creatorId": entity.creator_id, "creatorName": creator,
        "updates": entity.version - 1, "updatedAt": entity.updated_at,
        "deletedAt": entity.deleted_at, "version": entity.version, "conflict": entity.conflict,
    }


def entities_page(session: Session, dataset: Dataset, scoped: Scoped,
                  query: EntityQuery) -> dict[str, Any]:
    """One page of the Entities table: $top/$skip/$skiptoken/$count/$filter/$select."""
    params: Mapping[str, str] = dict(query.params)
    try:
        paging = parse_paging(params)
        properties = property_names(session, dataset)
        chosen = parse_entity_select(params.get("$select"), properties)
        expr = parse_filter(params["$filter"], fields=ENTITY_FILTER_FIELDS) \
            if params.get("$filter") else None
    except ODataError as error:
        raise odata_problem(error) from error
    after = _skiptoken_id(session, dataset, paging.skiptoken)
    wanted = (paging.top if paging.top is not None else _BATCH) + paging.skip + 1
    rows = _matching(session, dataset, scoped, expr, after, batch=min(max(wanted, 100), 5000))
    skipped = 0
    out: list[dict[str, Any]] = []
    last: Any = None
    remaining = 0
    for entity, creator in rows:
        if skipped < paging.skip:
            skipped += 1
            continue
        if paging.top is not None and len(out) >= paging.top:
            remaining += 1
            break
        out.append(entity_row(entity.uuid, entity.label, entity.data, _system(entity, creator),
                              properties=properties, select=chosen))
        last = entity
    count = _count(session, dataset, scoped, expr) if paging.count else None
    token = {"uuid": last.uuid} if last is not None else None
    link = next_link(query.url, query.params, remaining=remaining, token=token)
    return page(query.service_root, "Entities", out, next_url=link, count=count)


def _skiptoken_id(session: Session, dataset: Dataset,
                  token: Mapping[str, Any] | None) -> int | None:
    if token is None:
        return None
    found = session.exec(select(Entity.id).where(
        Entity.dataset_id == dataset.id, Entity.uuid == str(token.get("uuid", ""))
    )).first()
    if found is None:
        raise odata_problem(ODataError("400.35", "Invalid $skiptoken"))
    return found


# Only the columns a row shows: loading whole entities (merge metadata included) is slower.
_COLUMNS = (Entity.id, Entity.uuid, Entity.label, Entity.data, Entity.version,
            Entity.created_at, Entity.updated_at, Entity.deleted_at, Entity.creator_id,
            Entity.conflict)


def _base(dataset: Dataset, scoped: Scoped, expr: FilterExpr | None) -> Any:
    query = select(*_COLUMNS).where(Entity.dataset_id == dataset.id)
    if expr is None or not mentions(expr, "__system/deletedAt"):
        # As Central: deleted entities show only to a filter that asks about deletedAt.
        query = query.where(col(Entity.deleted_at).is_(None))
    visible = visible_clause(scoped)
    return query.where(visible) if visible is not None else query


def _matching(session: Session, dataset: Dataset, scoped: Scoped, expr: FilterExpr | None,
              after: int | None, batch: int = _BATCH) -> Iterator[tuple[Any, str | None]]:
    """Newest first (Central's order), in batches; the filter is evaluated per row."""
    query = _base(dataset, scoped, expr).order_by(col(Entity.id).desc())
    cursor = after
    names: dict[int, str] = {}
    while True:
        batch_query = query.where(col(Entity.id) < cursor) if cursor is not None else query
        found = list(session.execute(batch_query.limit(batch)))
        _creator_names(session, {row.creator_id for row in found} - names.keys(), names)
        for row in found:
            creator = names.get(row.creator_id)
            if expr is None or _passes(expr, row, creator):
                yield row, creator
        if len(found) < batch:
            return
        cursor = found[-1].id


def _creator_names(session: Session, ids: set[int], into: dict[int, str]) -> None:
    """Display names of the creators, one query for a whole batch (they are few)."""
    ids.discard(None)  # type: ignore[arg-type]
    if ids:
        into.update(session.execute(
            select(Actor.id, Actor.display_name).where(col(Actor.id).in_(sorted(ids)))).all())


def _passes(expr: FilterExpr, entity: Any, creator: str | None) -> bool:
    values = _row_values(entity, creator)
    return matches_values(expr, lambda member: _lookup(values, member))


def _lookup(values: Mapping[str, Any], member: Member) -> Any:
    return values.get(member.name)


def _count(session: Session, dataset: Dataset, scoped: Scoped, expr: FilterExpr | None) -> int:
    if expr is None:
        base = _base(dataset, scoped, None).subquery()
        return int(session.exec(select(func.count()).select_from(base)).one())
    return sum(1 for _ in _matching(session, dataset, scoped, expr, None))
