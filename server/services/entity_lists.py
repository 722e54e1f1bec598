"""Entity lists (ODK datasets): create, properties, the forms that write and read them."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from forms.odata import odata_name
from forms.schema import FormSchema
from server import errors
from server.errors import Problem
from server.models import (
    Dataset,
    DatasetForm,
    DatasetProperty,
    Entity,
    Form,
    FormAttachment,
    FormDef,
)
from server.models.base import iso

DATASET_NAME_INVALID = errors.register(
    "dataset.name_invalid", 400, "This is not a valid entity list name."
)
PROPERTY_NAME_INVALID = errors.register(
    "dataset.property_name_invalid", 400, "This is not a valid property name."
)
DATASET_EXISTS = errors.register(
    "dataset.exists", 409, "An entity list with this name already exists in the project."
)
PROPERTY_EXISTS = errors.register(
    "dataset.property_exists", 409, "The entity list already has a property with this name."
)
PENDING_SUBMISSIONS = errors.register(
    "dataset.pending_submissions", 400,
    "Submissions wait for approval to create entities; pass convert=true to create them now "
    "or convert=false to leave them.",
)

# Central's rules: an XML name without a colon, not starting with "__"; properties also may
# not be "name" or "label" (the CSV's own columns).
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_RESERVED_PROPERTIES = frozenset({"name", "label"})


def valid_dataset_name(name: Any) -> bool:
    """Whether `name` may name an entity list (also a CSV file name and an XML instance id)."""
    return (isinstance(name, str) and bool(_XML_NAME.fullmatch(name))
            and not name.startswith("__") and "." not in name)


def valid_property_name(name: Any) -> bool:
    """Whether `name` may name a property (an XML name, not name/label, not starting "__")."""
    return (isinstance(name, str) and bool(_XML_NAME.fullmatch(name))
            and not name.startswith("__") and name.lower() not in _RESERVED_PROPERTIES)


def find_dataset(session: Session, project_id: int, name: str) -> Dataset | None:
    """The project's entity list of that name, if any."""
    return session.exec(
        select(Dataset).where(Dataset.project_id == project_id, Dataset.name == name)
    ).first()


def get_dataset(session: Session, project_id: int, name: str) -> Dataset:
    """The project's entity list of that name; 404 otherwise."""
    found = find_dataset(session, project_id, name)
    if found is None:
        raise Problem(errors.NOT_FOUND, f"The entity list {name!r} does not exist.")
    return found


def list_datasets(session: Session, project_id: int) -> list[Dataset]:
    """The project's entity lists, by name."""
    return list(session.exec(
        select(Dataset).where(Dataset.project_id == project_id).order_by(col(Dataset.name))
    ))


def create_dataset(session: Session, project_id: int, name: Any, approval_required: Any) -> Dataset:
    """A new, empty entity list; 400 for a bad name, 409 when the name is taken."""
    if not valid_dataset_name(name):
        raise Problem(DATASET_NAME_INVALID, f"{name!r} is not a valid entity list name.")
    if approval_required is not None and not isinstance(approval_required, bool):
        raise Problem(errors.REQUEST_INVALID, "approvalRequired must be true or false.")
    taken = session.exec(select(Dataset).where(
        Dataset.project_id == project_id, func.lower(Dataset.name) == name.lower()
    )).first()
    if taken is not None:
        raise Problem(DATASET_EXISTS, f"An entity list named {taken.name!r} already exists.")
    dataset = Dataset(project_id=project_id, name=name, approval_required=bool(approval_required))
    session.add(dataset)
    session.flush()
    return dataset


def update_dataset(session: Session, dataset: Dataset, body: dict[str, Any],
                   convert: str | None = None) -> Dataset:
    """PATCH: only approvalRequired can change.

    As Central: turning approval off while submissions wait for it needs `convert` ("true":
    create their entities now; "false": leave them, approving them later creates nothing),
    else 400 with how many wait.
    """
    from server.services.entity_submissions import (
        convert_awaiting_approval,
        count_awaiting_approval,
    )

    value = body.get("approvalRequired")
    if not isinstance(value, bool):
        raise Problem(errors.REQUEST_INVALID, "approvalRequired must be true or false.")
    if convert not in (None, "true", "false"):
        raise Problem(errors.REQUEST_INVALID, f"Unexpected convert value {convert!r}; "
                      "use true or false.", field="convert", value=convert)
    if value is False and convert is None:
        waiting = count_awaiting_approval(session, dataset)
        if waiting:
            raise Problem(PENDING_SUBMISSIONS, f"There are {waiting} pending submissions",
                          details={"count": waiting})
    dataset.approval_required = value
    session.add(dataset)
    session.flush()
    if value is False and convert == "true":
        convert_awaiting_approval(session, dataset)
    return dataset


def properties_of(session: Session, dataset: Dataset) -> list[DatasetProperty]:
    """The list's properties in the order they were published (the CSV's column order)."""
    return list(session.exec(
        select(DatasetProperty).where(DatasetProperty.dataset_id == dataset.id)
        .order_by(col(DatasetProperty.published_at), col(DatasetProperty.id))
    ))


def property_names(session: Session, dataset: Dataset) -> list[str]:
    """The names of the list's properties, in column order."""
    return [p.name for p in properties_of(session, dataset)]


def add_property(session: Session, dataset: Dataset, name: Any) -> DatasetProperty:
    """POST …/properties: a new property; 409 when it exists (in any capitalisation)."""
    if not valid_property_name(name):
        raise Problem(PROPERTY_NAME_INVALID, f"{name!r} is not a valid property name.")
    if any(p.name.lower() == name.lower() for p in properties_of(session, dataset)):
        raise Problem(PROPERTY_EXISTS, f"The property {name!r} already exists.")
    prop = DatasetProperty(dataset_id=dataset.id or 0, name=name)
    session.add(prop)
    session.flush()
    return prop


def ensure_properties(session: Session, dataset: Dataset, names: tuple[str, ...]) -> None:
    """Add the properties a published form writes that the list does not have yet."""
    known = {p.name for p in properties_of(session, dataset)}
    for name in names:
        if name not in known:
            session.add(DatasetProperty(dataset_id=dataset.id or 0, name=name))
            known.add(name)
    session.flush()


def publish_form_entities(session: Session, form: Form, schema: FormSchema) -> None:
    """On publish, as Central: the form's entity list and properties come into existence."""
    declaration = schema.entity
    if declaration is None or not valid_dataset_name(declaration.dataset):
        return
    dataset = find_dataset(session, form.project_id, declaration.dataset)
    if dataset is None:
        dataset = Dataset(project_id=form.project_id, name=declaration.dataset)
        session.add(dataset)
        session.flush()
    names = tuple(n for n in declaration.properties if valid_property_name(n))
    ensure_properties(session, dataset, names)
    actions = [a for a, on in (("create", declaration.creates), ("update", declaration.updates))
               if on]
    link = session.get(DatasetForm, (dataset.id, form.id))
    if link is None:
        link = DatasetForm(dataset_id=dataset.id or 0, form_id=form.id or 0)
    link.actions, link.properties = actions, list(names)
    session.add(link)
    session.flush()


def form_actions(session: Session, dataset: Dataset, form_id: int) -> list[str]:
    """What the form's published version may do to the list: "create", "update"."""
    link = session.get(DatasetForm, (dataset.id, form_id))
    return list(link.actions) if link else []


def source_forms(session: Session, dataset: Dataset) -> list[tuple[Form, DatasetForm]]:
    """Live forms whose published version writes to the list."""
    rows = session.exec(
        select(Form, DatasetForm).join(DatasetForm, col(DatasetForm.form_id) == Form.id)
        .where(DatasetForm.dataset_id == dataset.id, col(Form.deleted_at).is_(None))
        .order_by(col(Form.xml_form_id))
    )
    return [(form, link) for form, link in rows]


def linked_forms(session: Session, dataset: Dataset) -> list[Form]:
    """Live forms whose published version reads the list as the attachment `<name>.csv`."""
    return list(session.exec(
        select(Form).join(FormAttachment, col(FormAttachment.form_def_id) == Form.current_def_id)
        .where(Form.project_id == dataset.project_id, col(Form.deleted_at).is_(None),
               FormAttachment.name == f"{dataset.name}.csv")
        .order_by(col(Form.xml_form_id))
    ))


def form_summary(session: Session, form: Form) -> dict[str, Any]:
    """{xmlFormId, name} as Central lists forms of an entity list."""
    definition = session.get(FormDef, form.current_def_id) if form.current_def_id else None
    return {"xmlFormId": form.xml_form_id, "name": (definition.name if definition else None)
            or form.xml_form_id}


def dataset_json(dataset: Dataset, extended: dict[str, Any] | None = None) -> dict[str, Any]:
    """An entity list as GET …/datasets lists it (pyodk's EntityList keys)."""
    body: dict[str, Any] = {
        "name": dataset.name,
        "createdAt": iso(dataset.created_at),
        "projectId": dataset.project_id,
        "approvalRequired": dataset.approval_required,
        "ownerOnly": False,
    }
    if extended is not None:
        body.update(extended)
    return body


def dataset_metadata_json(session: Session, dataset: Dataset) -> dict[str, Any]:
    """GET …/datasets/{name}: the list with sourceForms, linkedForms and properties."""
    sources = source_forms(session, dataset)
    writers: dict[str, list[dict[str, Any]]] = {}
    for form, link in sources:
        for name in link.properties:
            writers.setdefault(name, []).append(form_summary(session, form))
    return {
        **dataset_json(dataset),
        "sourceForms": [form_summary(session, form) for form, _ in sources],
        "linkedForms": [form_summary(session, form) for form in linked_forms(session, dataset)],
        "properties": [
            {"name": p.name, "odataName": odata_name(p.name), "publishedAt": iso(p.published_at),
             "forms": writers.get(p.name, [])}
            for p in properties_of(session, dataset)
        ],
    }


def extended_counts(session: Session, dataset: Dataset) -> dict[str, Any]:
    """X-Extended-Metadata: how many live entities, how many in conflict, the latest change."""
    live = col(Entity.deleted_at).is_(None)
    count, conflicts, last = session.exec(
        select(func.count(), func.count(Entity.conflict), func.max(Entity.updated_at))
        .where(Entity.dataset_id == dataset.id, live)
    ).one()
    return {"entities": count, "conflicts": conflicts, "lastEntity": iso(last)}
