"""Reading a submission's instance under its form's schema: its document and its validation.

Pure work, and a submission's largest piece of it: done before the write transaction when the
schema can be guessed, since on SQLite that transaction holds the database's one write lock
from its first statement. The guess is the schema the same form version had last time; the
transaction then checks it is the very schema it loads, and reads again under that one if not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forms.instance import ParsedInstance, instance_to_document
from forms.schema import FormSchema
from forms.validate import validate_submission

_RECENT_MAX = 256
_recent: dict[tuple[int, str | None, str | None], FormSchema] = {}


@dataclass(frozen=True)
class Reading:
    schema: FormSchema
    document: dict[str, Any]
    validation: dict[str, Any]


def read_under(schema: FormSchema, parsed: ParsedInstance) -> Reading:
    document = instance_to_document(parsed, schema)
    return Reading(schema, document, validation_json(schema, document))


def early_reading(project_id: int, parsed: ParsedInstance) -> Reading | None:
    """The reading under the schema this form version had last time; None when unknown."""
    schema = _recent.get((project_id, parsed.form_id, parsed.version))
    if schema is None:
        return None
    try:
        return read_under(schema, parsed)
    except Exception:  # noqa: BLE001 - only a guess: the transaction reads again, and decides
        return None


def remember_schema(project_id: int, parsed: ParsedInstance, schema: FormSchema) -> None:
    """The schema this submission's form version has, as the next early reading's guess."""
    if len(_recent) >= _RECENT_MAX:
        _recent.clear()
    _recent[(project_id, parsed.form_id, parsed.version)] = schema


def reading_for(schema: FormSchema, parsed: ParsedInstance, early: Reading | None) -> Reading:
    """`early` if it was made under this very schema (the cached object), else a new reading."""
    if early is not None and early.schema is schema:
        return early
    return read_under(schema, parsed)


def validation_json(
    schema: FormSchema, document: dict[str, Any], lang: str | None = None
) -> dict[str, Any]:
    """The stored validation outcome: never a reason to refuse data, shown beside it.

    Each issue's `message` is in `lang` (the form's default when None), and its `messages`
    in every language of the form, so exports and views show each reader their language.
    """
    return validate_submission(schema, document, lang=lang).as_json()
