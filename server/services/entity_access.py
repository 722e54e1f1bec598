"""Which entity lists an app user may reach: those of the forms assigned to it.

ODK Central hands a phone an entity list only as a file of a form the phone may fill. Kenesh
keeps that rule on every path an app user has to entities: the sync feed and push, and the
dataset and entity routes its token can call. A list no assigned form reads (a `<list>.csv`
file slot left empty) or writes (entity `save_to`) is unknown to it: 404 on routes, absent
from the feed, refused on push. Other callers are governed by their role alone.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from server import errors
from server.errors import Problem
from server.models import Dataset, DatasetForm, Entity, Form, FormAssignment, FormAttachment
from server.policy import APP_USER, Access
from server.services.entity_lists import get_dataset

_CACHE_KEY = "kenesh.app_user_datasets"


def app_user_datasets(session: Session, access: Access) -> set[int] | None:
    """Ids of the lists an app user's assigned forms read or write; None for other callers."""
    if access.role != APP_USER or access.project_id is None:
        return None
    cache: dict[Any, set[int]] = session.info.setdefault(_CACHE_KEY, {})
    key = (access.principal.actor_id, access.project_id)
    if key not in cache:
        cache[key] = _assigned_lists(session, access.principal.actor_id, access.project_id)
    return cache[key]


def _assigned_lists(session: Session, actor_id: int, project_id: int) -> set[int]:
    forms = session.exec(
        select(Form.id, Form.current_def_id)
        .join(FormAssignment, (col(FormAssignment.project_id) == Form.project_id)
              & (col(FormAssignment.xml_form_id) == Form.xml_form_id))
        .where(FormAssignment.actor_id == actor_id, Form.project_id == project_id,
               col(Form.deleted_at).is_(None))
    ).all()
    if not forms:
        return set()
    written = set(session.exec(select(DatasetForm.dataset_id).where(
        col(DatasetForm.form_id).in_([form_id for form_id, _ in forms])
    )).all())
    definitions = [def_id for _, def_id in forms if def_id is not None]
    slots = session.exec(select(FormAttachment.name).where(
        col(FormAttachment.form_def_id).in_(definitions), col(FormAttachment.blob_id).is_(None),
        col(FormAttachment.name).like("%.csv"),
    )).all() if definitions else []
    names = {name[: -len(".csv")] for name in slots}
    read = set(session.exec(select(Dataset.id).where(
        Dataset.project_id == project_id, col(Dataset.name).in_(sorted(names))
    )).all()) if names else set()
    return {i for i in written | read if i is not None}


def reachable_entities(session: Session, access: Access) -> Any:
    """The lists an app user may reach as a condition on Entity (None: no restriction)."""
    allowed = app_user_datasets(session, access)
    return None if allowed is None else col(Entity.dataset_id).in_(sorted(allowed))


def reachable_dataset(session: Session, access: Access, project_id: int, name: str) -> Dataset:
    """The project's entity list of that name, if the caller may reach it; 404 otherwise."""
    dataset = get_dataset(session, project_id, name)
    allowed = app_user_datasets(session, access)
    if allowed is not None and dataset.id not in allowed:
        raise Problem(errors.NOT_FOUND, f"The entity list {name!r} does not exist.")
    return dataset


def reachable_datasets(session: Session, access: Access, datasets: list[Dataset]) -> list[Dataset]:
    """Those of `datasets` the caller may reach."""
    allowed = app_user_datasets(session, access)
    return datasets if allowed is None else [d for d in datasets if d.id in allowed]
