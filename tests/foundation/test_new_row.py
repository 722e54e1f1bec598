"""new_row makes the object the model's constructor makes, and the ORM stores it alike."""

from __future__ import annotations

import pytest
from sqlmodel import select

from server.db import UnitOfWork
from server.models import Form, Submission, SubmissionDef
from server.models.base import new_row
from tests.factories import make_project


def _columns(row: object) -> dict[str, object]:
    table = type(row).__table__  # type: ignore[attr-defined]
    return {c.key: getattr(row, c.key) for c in table.columns if c.key != "created_at"}


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Submission, {"project_id": 3, "form_id": 4, "instance_id": "uuid:1", "version": 1}),
        (SubmissionDef, {"submission_id": 1, "form_id": 4, "form_def_id": 5, "version": 1,
                         "instance_id": "uuid:1", "xml": b"<data/>", "data": {"a": 1}}),
        (Form, {"project_id": 1, "xml_form_id": "f"}),
    ],
)
def test_the_same_object_as_the_constructor(model, values) -> None:  # type: ignore[no-untyped-def]
    made, constructed = new_row(model, **values), model(**values)
    assert _columns(made) == _columns(constructed)
    assert made.created_at is not None and made.created_at.tzinfo is not None
    assert made.model_fields_set == constructed.model_fields_set == set(values)


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field 'colour'"):
        new_row(Form, project_id=1, xml_form_id="f", colour="red")


def test_stored_and_read_back_by_the_orm(engine) -> None:  # type: ignore[no-untyped-def]
    project = make_project(engine)
    uow = UnitOfWork(engine, write=True)
    try:
        form = new_row(Form, project_id=project, xml_form_id="made", state="closing")
        uow.session.add(form)
        uow.session.flush()
        form.sensitive = True  # a change after the insert is tracked as for any row
        uow.commit()
        form_id = form.id
    finally:
        uow.close()
    uow = UnitOfWork(engine, write=False)
    try:
        stored = uow.session.exec(select(Form).where(Form.id == form_id)).one()
        assert (stored.xml_form_id, stored.state, stored.sensitive) == ("made", "closing", True)
        assert stored.created_at is not None
    finally:
        uow.close()


def test_each_row_gets_its_own_default_value() -> None:
    from server.models.sync import SyncQuarantine

    first, second = new_row(SyncQuarantine), new_row(SyncQuarantine)
    first.error["reason"] = "unknown form"
    assert second.error == {} and SyncQuarantine().error == {}
