"""The form schema as JSON text: a stored version keeps the exact schema it was published with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from forms.schema import Choice, EntityDeclaration, Field, FormSchema

# Bumped when the layout changes; readers refuse layouts they do not know.
SCHEMA_JSON_FORMAT = 1


def schema_to_json(schema: FormSchema) -> str:
    """Serialise a FormSchema to compact JSON text that schema_from_json reads back equal."""
    document = {
        "format": SCHEMA_JSON_FORMAT,
        "form_id": schema.form_id,
        "version": schema.version,
        "title": schema.title,
        "root_name": schema.root_name,
        "languages": list(schema.languages),
        "default_language": schema.default_language,
        "children": [_field_to_dict(child) for child in schema.children],
        "settings": dict(schema.settings),
        "sensitive": schema.sensitive,
        "entity": _entity_to_dict(schema.entity),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def schema_from_json(text: str) -> FormSchema:
    """Read back a FormSchema written by schema_to_json; ValueError for unknown layouts."""
    document = json.loads(text)
    if not isinstance(document, dict) or document.get("format") != SCHEMA_JSON_FORMAT:
        raise ValueError("not a Kenesh form schema document of a known format")
    return FormSchema(
        form_id=document["form_id"],
        version=document["version"],
        title=document["title"],
        root_name=document["root_name"],
        languages=tuple(document["languages"]),
        default_language=document["default_language"],
        children=tuple(_field_from_dict(child) for child in document["children"]),
        settings=dict(document["settings"]),
        sensitive=bool(document["sensitive"]),
        entity=_entity_from_dict(document["entity"]),
    )


# Field attributes that are plain strings (or None) and translation maps, respectively.
_SCALARS = (
    "path", "name", "type", "required", "relevant", "constraint", "calculate", "default",
    "appearance", "choice_filter", "list_name", "data_type", "readonly", "itemset_file",
)
_TRANSLATIONS = ("labels", "hints", "constraint_messages", "required_messages", "bind")


def _field_to_dict(field: Field) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(field, name) for name in _SCALARS}
    data.update({name: dict(getattr(field, name)) for name in _TRANSLATIONS})
    data["media"] = {form: dict(texts) for form, texts in field.media.items()}
    data["choices"] = [
        {"name": c.name, "labels": dict(c.labels), "extra": dict(c.extra)} for c in field.choices
    ]
    data["children"] = [_field_to_dict(child) for child in field.children]
    return data


def _field_from_dict(data: Mapping[str, Any]) -> Field:
    scalars: dict[str, Any] = {name: data[name] for name in _SCALARS}
    maps: dict[str, Any] = {name: dict(data[name]) for name in _TRANSLATIONS}
    return Field(
        **scalars,
        **maps,
        media={form: dict(texts) for form, texts in data["media"].items()},
        choices=tuple(
            Choice(name=c["name"], labels=dict(c["labels"]), extra=dict(c["extra"]))
            for c in data["choices"]
        ),
        children=tuple(_field_from_dict(child) for child in data["children"]),
    )


def _entity_to_dict(entity: EntityDeclaration | None) -> dict[str, Any] | None:
    if entity is None:
        return None
    return {
        "dataset": entity.dataset,
        "creates": entity.creates,
        "updates": entity.updates,
        "properties": list(entity.properties),
    }


def _entity_from_dict(data: Mapping[str, Any] | None) -> EntityDeclaration | None:
    if data is None:
        return None
    return EntityDeclaration(
        dataset=data["dataset"],
        creates=bool(data["creates"]),
        updates=bool(data["updates"]),
        properties=tuple(data["properties"]),
    )
