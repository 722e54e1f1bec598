"""The demo loads the example forms once, published, into the demo project."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from server.db import unit_of_work
from server.demo import EXAMPLE_FORMS, load_demo
from server.services import forms as form_service
from server.settings import Settings


def test_the_demo_publishes_every_example_form_once(engine: Engine, settings: Settings) -> None:
    expected = sorted(path.stem for path in EXAMPLE_FORMS.glob("*.xlsx"))
    assert expected, "the example workbooks are missing"
    for _ in range(2):
        with unit_of_work(engine) as uow:
            report = load_demo(uow.session, "demo@example.org", "a long demo passphrase", settings)
            uow.commit()
    assert sum("exists" in line for line in report) == len(expected) + 2
    with unit_of_work(engine, write=False) as uow:
        project_id = int(report[1].split()[1].rstrip(":"))
        views = form_service.list_fillable_forms(uow.session, project_id, lambda _form: True)
        assert sorted(v.form.xml_form_id for v in views) == expected
        assert all(v.definition and v.definition.published_at for v in views)
