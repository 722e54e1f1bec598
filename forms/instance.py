"""Submission instances: safe parsing of OpenRosa XML, and the JSON document keyed by field path."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from forms.errors import InstanceUnparseable
from forms.instance_xml import document_to_instance_xml
from forms.schema import Field, FormSchema
from forms.values import typed_value
from forms.xform import first_child, local_name, prefixed_name

__all__ = [
    "EntityMeta",
    "ParsedInstance",
    "document_to_instance_xml",
    "entity_properties",
    "instance_to_document",
    "parse_instance",
    "parse_stored_instance",
    "referenced_files",
]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64  # ODK forms nest groups and repeats a handful of levels, not dozens


@dataclass(frozen=True)
class EntityMeta:
    """The <meta><entity> of a submission: which entity it creates or updates, and how."""

    dataset: str | None
    entity_id: str | None
    create: str | None
    update: str | None
    base_version: str | None
    trunk_version: str | None
    branch_id: str | None
    label: str | None


@dataclass(frozen=True)
class ParsedInstance:
    """A submission's XML, read safely, with its identifying attributes and meta fields."""

    root: Element
    root_name: str
    form_id: str | None
    version: str | None
    instance_id: str | None
    deprecated_id: str | None
    instance_name: str | None
    entity: EntityMeta | None


class _TooDeep(Exception):
    pass


class _Refused(Exception):
    pass


class _TreeReader:
    """Reads XML into an ElementTree tree as ElementTree's own parser does, with expat's events
    sent straight to the C tree builder, and with defusedxml's refusals: a DTD, an entity
    declaration or an external entity stops the parse, as does nesting past `max_depth`.

    ElementTree's parser runs three Python calls per element (defusedxml's parser is that
    Python class); here one: a phone's submission has a few hundred elements."""

    def __init__(self, max_depth: int) -> None:
        self.builder = TreeBuilder()
        self.max_depth = max_depth
        self.depth = 0
        self.names: dict[str, str] = {}
        parser = expat.ParserCreate(None, "}")  # namespaces as ElementTree reads them
        parser.buffer_text = True
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.builder.data
        parser.StartDoctypeDeclHandler = _refuse
        parser.EntityDeclHandler = _refuse
        parser.UnparsedEntityDeclHandler = _refuse
        parser.ExternalEntityRefHandler = _refuse
        self.parser = parser

    def read(self, xml: bytes) -> Element:
        self.parser.Parse(xml, True)
        return self.builder.close()

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise _TooDeep
        if attrs:
            attrs = {self.name(key): value for key, value in attrs.items()}
        self.builder.start(self.name(tag), attrs)

    def end(self, tag: str) -> None:
        self.depth -= 1
        self.builder.end(self.name(tag))

    def name(self, key: str) -> str:
        # expat names an element of a namespace "uri}local"; ElementTree "{uri}local".
        found = self.names.get(key)
        if found is None:
            found = self.names[key] = "{" + key if "}" in key else key
        return found


def _refuse(*_args: Any) -> NoReturn:
    raise _Refused


def parse_instance(
    xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> ParsedInstance:
    """Parse a submission's instance XML without expanding entities or reading DTDs.

    Raises InstanceUnparseable when the XML is malformed, declares a DTD or entities, is
    larger than `max_bytes`, or nests elements deeper than `max_depth`.
    """
    if len(xml) > max_bytes:
        raise InstanceUnparseable(f"The submission is {len(xml)} bytes; the limit is {max_bytes}.")
    try:
        root = _TreeReader(max_depth).read(xml)
    except _TooDeep:
        raise InstanceUnparseable(f"The submission nests deeper than {max_depth} levels.") from None
    except _Refused:
        raise InstanceUnparseable(
            "The submission declares a DTD or entities, which are not accepted."
        ) from None
    except Exception as exc:  # expat's ExpatError, an unknown encoding, …: never a server error
        raise InstanceUnparseable(f"The submission is not readable XML: {exc}") from exc
    meta = first_child(root, "meta")
    return ParsedInstance(
        root=root,
        root_name=local_name(root.tag),
        form_id=root.get("id"),
        version=root.get("version"),
        instance_id=_text(first_child(meta, "instanceID")),
        deprecated_id=_text(first_child(meta, "deprecatedID")),
        instance_name=_text(first_child(meta, "instanceName")),
        entity=_entity_meta(first_child(meta, "entity")),
    )


def parse_stored_instance(xml: bytes) -> ParsedInstance:
    """Parse instance XML that was accepted (or written by the server) earlier.

    The size and depth limits are checked on arrival; a limit lowered since, or a large record
    built from a sync push, must not make stored data unreadable.
    """
    # Nesting cannot exceed the byte count, so neither bound can refuse it.
    return parse_instance(xml, max_bytes=len(xml), max_depth=len(xml))


def _text(element: Element | None) -> str | None:
    if element is None or not element.text or not element.text.strip():
        return None
    return element.text.strip()


def _entity_meta(entity: Element | None) -> EntityMeta | None:
    if entity is None:
        return None
    return EntityMeta(
        dataset=entity.get("dataset"),
        entity_id=entity.get("id"),
        create=entity.get("create"),
        update=entity.get("update"),
        base_version=entity.get("baseVersion"),
        trunk_version=entity.get("trunkVersion"),
        branch_id=entity.get("branchId"),
        label=_text(first_child(entity, "label")),
    )


def instance_to_document(parsed: ParsedInstance, schema: FormSchema) -> dict[str, Any]:
    """The submission as a JSON document keyed by absolute field path, typed by the schema.

    Groups are flattened (their fields appear under their full path); a repeat is a list of
    such documents, one per instance, and a repeat with no instances is an empty list.
    Element attributes are kept under "<path>/@<name>"; elements the schema does not know
    are kept as text, so nothing in the submission is lost.
    """
    document: dict[str, Any] = {}
    index = schema.fields_by_path()
    root_path = "/" + schema.root_name
    _fill(parsed.root, root_path, schema.children, document, index)
    return document


def _fill(
    element: Element,
    path: str,
    schema_children: tuple[Field, ...],
    out: dict[str, Any],
    index: Mapping[str, Field],
) -> None:
    names = [local_name(child.tag) for child in element]
    for child, name in zip(element, names, strict=True):
        child_path = f"{path}/{name}"
        field = index.get(child_path)
        is_parent = len(child) > 0 or (field is not None and field.is_group)
        known_children = field.children if field is not None else ()
        if (field is not None and field.is_repeat) or (
            field is None and is_parent and names.count(name) > 1
        ):
            entry: dict[str, Any] = {}
            _attributes(child, child_path, entry)
            _fill(child, child_path, known_children, entry, index)
            out.setdefault(child_path, []).append(entry)
            continue
        _attributes(child, child_path, out)
        if is_parent:
            _fill(child, child_path, known_children, out, index)
        elif field is None and child_path in out:  # an unknown element given more than once
            previous = out[child_path]
            out[child_path] = (
                [*previous, child.text]
                if isinstance(previous, list)
                else [
                    previous,
                    child.text,
                ]
            )
        else:
            out[child_path] = typed_value(field, child.text)
    for known in schema_children:
        if known.is_repeat:
            out.setdefault(known.path, [])


def _attributes(element: Element, path: str, out: dict[str, Any]) -> None:
    for name, value in element.attrib.items():
        out[f"{path}/@{prefixed_name(name)}"] = value


def _walk_document(document: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for path, value in document.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for entry in value:
                yield from _walk_document(entry)
        else:
            yield path, value


def referenced_files(document: Mapping[str, Any], schema: FormSchema) -> tuple[str, ...]:
    """File names the answers of binary fields (photos, audio, files) refer to, in order."""
    if not _has_binary_fields(schema):
        return ()  # most forms: no answer can name a file, the document need not be walked
    index = schema.fields_by_path()
    names: dict[str, None] = {}
    for path, value in _walk_document(document):
        field = index.get(path)
        if field is not None and field.data_type == "binary" and isinstance(value, str):
            if value.strip():
                names.setdefault(value.strip(), None)
    return tuple(names)


def _has_binary_fields(schema: FormSchema) -> bool:
    # Computed once per schema, kept on it as fields_by_path keeps its index (it is frozen).
    found: bool | None = schema.__dict__.get("_has_binary_fields")
    if found is None:
        found = any(f.data_type == "binary" for f in schema.fields_by_path().values())
        object.__setattr__(schema, "_has_binary_fields", found)
    return found


def entity_properties(document: Mapping[str, Any], schema: FormSchema) -> dict[str, Any]:
    """Entity property name -> answer, for every question with a save_to in the form."""
    properties: dict[str, Any] = {}
    for field in schema.walk():
        save_to = field.bind.get("entities:saveto")
        if save_to and field.path in document:
            properties[save_to] = document[field.path]
    return properties
