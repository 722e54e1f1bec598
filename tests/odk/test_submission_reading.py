"""A submission read before its transaction is used only when it was read under the same schema."""

from __future__ import annotations

import uuid
from pathlib import Path

from forms.convert import convert_definition
from forms.instance import document_to_instance_xml, parse_instance
from server.services import submission_reading
from server.services.submission_reading import (
    early_reading,
    read_under,
    reading_for,
    remember_schema,
)
from tests.forms.test_examples_filled import open_day

FORM = Path(__file__).resolve().parents[2] / "forms" / "examples" / "open_day_consultation.xlsx"


def _schema():  # type: ignore[no-untyped-def]
    return convert_definition(FORM.read_bytes(), FORM.name).schema


def test_an_early_reading_is_used_only_under_the_very_schema_the_transaction_loads() -> None:
    schema, other = _schema(), _schema()  # equal content, different objects
    xml = document_to_instance_xml(open_day("ru"), schema, instance_id=f"uuid:{uuid.uuid4()}")
    parsed = parse_instance(xml)
    early = read_under(schema, parsed)
    assert reading_for(schema, parsed, early) is early
    again = reading_for(other, parsed, early)
    assert again is not early
    assert (again.document, again.validation) == (early.document, early.validation)
    assert reading_for(schema, parsed, None) is not early


def test_the_guess_is_the_schema_the_form_version_had_last_time(monkeypatch) -> None:
    monkeypatch.setattr(submission_reading, "_recent", {})
    schema = _schema()
    xml = document_to_instance_xml(open_day("ru"), schema, instance_id=f"uuid:{uuid.uuid4()}")
    parsed = parse_instance(xml)
    assert early_reading(7, parsed) is None
    remember_schema(7, parsed, schema)
    early = early_reading(7, parsed)
    assert early is not None and early.schema is schema
    assert early_reading(8, parsed) is None  # another project's form of the same id
