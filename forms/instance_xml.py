"""From a JSON document keyed by field path back to OpenRosa instance XML."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from forms.schema import Field, FormSchema
from forms.values import text_value

# What ODK Collect declares on the root of the instances it sends.
_ROOT_NAMESPACES = {
    "xmlns:jr": "http://openrosa.org/javarosa",
    "xmlns:orx": "http://openrosa.org/xforms",
    "xmlns:odk": "http://www.opendatakit.org/xforms",
}
_KNOWN_PREFIXES = ("jr:", "orx:", "odk:")


def document_to_instance_xml(
    document: Mapping[str, Any],
    schema: FormSchema,
    *,
    instance_id: str,
    deprecated_id: str | None = None,
    extra_meta: Mapping[str, str] | None = None,
) -> bytes:
    """The instance XML of a document, elements in form order, as ODK tools expect it.

    The root carries the schema's form id and version; meta/instanceID (and deprecatedID,
    and any `extra_meta` such as instanceName) are set from the arguments. Keys the schema
    does not know are written after the known ones, so they survive the trip.
    """
    root_path = "/" + schema.root_name
    meta = {"instanceID": instance_id, **({"deprecatedID": deprecated_id} if deprecated_id else {})}
    meta.update(extra_meta or {})
    entries = dict(document)
    for name, value in meta.items():
        entries[f"{root_path}/meta/{name}"] = value
    plain = _plain_xml(schema, root_path, entries)
    if plain is not None:
        return plain.encode("utf-8")
    root = _root_element(schema)
    _build(root, root_path, entries, schema.fields_by_path(), schema.field_positions())
    return serialise_tree(root).encode("utf-8")


def _root_element(schema: FormSchema) -> Element:
    attributes = {"id": schema.form_id, **_ROOT_NAMESPACES}
    if schema.version is not None:
        attributes["version"] = schema.version
    return Element(schema.root_name, attributes)


def _plain_xml(schema: FormSchema, root_path: str, entries: Mapping[str, Any]) -> str | None:
    """The text ``_build`` and ``serialise_tree`` write, written directly, for a document of
    the form's own questions outside repeats (the usual one); None for any other.

    In form order (depth first) a group's questions follow one another, so each group's
    element opens before its first question and closes after its last, as in the tree.
    """
    slots, answers = _plain_slots(schema), []
    for key, value in entries.items():
        slot = slots.get(key)
        if slot is None or (isinstance(value, list) and _is_repeat_value(value, slot[2])):
            return None
        answers.append((slot, value))
    head = _root_tag(schema)
    if not answers or head is None:
        return None
    answers.sort(key=_position)
    parts = [head]
    opened = [root_path]
    for (_, parent, field, start, empty, end), value in answers:
        while parent != opened[-1] and not parent.startswith(opened[-1] + "/"):
            parts.append(f"</{opened.pop().rsplit('/', 1)[1]}>")
        if parent != opened[-1]:
            for group in parent[len(opened[-1]) + 1 :].split("/"):
                parts.append(f"<{group}>")
                opened.append(f"{opened[-1]}/{group}")
        text = text_value(field, value)
        parts.append(f"{start}{_escape_text(text)}{end}" if text else empty)
    while len(opened) > 1:
        parts.append(f"</{opened.pop().rsplit('/', 1)[1]}>")
    parts.append(f"</{schema.root_name}>")
    return "".join(parts)


# A question's slot in the plain text: (position in form order, its parent's path, the field,
# its start tag, its empty element, its end tag).
_Slot = tuple[int, str, Field, str, str, str]


def _position(answer: tuple[_Slot, Any]) -> int:
    return answer[0][0]


def _plain_slots(schema: FormSchema) -> Mapping[str, _Slot]:
    """The questions ``_plain_xml`` writes (not groups, inside the root, plain names), by path;
    made once per schema."""
    slots: dict[str, _Slot] | None = schema.__dict__.get("_instance_plain_slots")
    if slots is None:
        slots, inside, order = {}, f"/{schema.root_name}/", schema.field_positions()
        for key, field in schema.fields_by_path().items():
            if not field.is_group and "{" not in key and key.startswith(inside):
                parent, name = key.rsplit("/", 1)
                slots[key] = (order[key], parent, field, f"<{name}>", f"<{name} />", f"</{name}>")
        # The schema is frozen, so the slots can never go stale.
        object.__setattr__(schema, "_instance_plain_slots", slots)
    return slots


def _root_tag(schema: FormSchema) -> str | None:
    """The root element's start tag as serialise_tree writes it (once per schema); None when
    it needs tostring's namespace handling."""
    tag: str | None = schema.__dict__.get("_instance_root_tag", "")
    if tag == "":
        root = _root_element(schema)
        head = [f"<{root.tag}"]
        head += [f' {name}="{_escape_attribute(value)}"' for name, value in root.items()]
        plain = "{" not in root.tag and not any("{" in name for name in root.keys())
        tag = "".join(head) + ">" if plain else None
        # The schema is frozen, so the tag can never go stale.
        object.__setattr__(schema, "_instance_root_tag", tag)
    return tag


def serialise_tree(root: Element) -> str:
    """The XML text of a tree without namespaced tags, exactly as ``ElementTree.tostring``
    writes it, at a fraction of its cost (it resolves namespaces for every element first)."""
    parts: list[str] = []
    try:
        _write(root, parts)
    except _Namespaced:
        return tostring(root, encoding="unicode")
    return "".join(parts)


class _Namespaced(Exception):
    """A tag in ElementTree's `{uri}name` form, which needs tostring's namespace handling."""


def _write(element: Element, parts: list[str]) -> None:
    tag = element.tag
    if not isinstance(tag, str):
        raise TypeError(f"cannot serialise {tag!r}")
    if "{" in tag:
        raise _Namespaced
    parts.append("<" + tag)
    for name, value in element.items():
        if "{" in name:
            raise _Namespaced
        parts.append(f' {name}="{_escape_attribute(value)}"')
    text = element.text
    if text or len(element):
        parts.append(">")
        if text:
            parts.append(_escape_text(text))
        for child in element:
            _write(child, parts)
        parts.append(f"</{tag}>")
    else:
        parts.append(" />")
    if element.tail:
        parts.append(_escape_text(element.tail))


def _escape_text(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"cannot serialise {text!r}")
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


_ATTRIBUTE_ESCAPES = (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))


def _escape_attribute(value: str) -> str:
    value = _escape_text(value)
    for raw, escaped in _ATTRIBUTE_ESCAPES:
        if raw in value:
            value = value.replace(raw, escaped)
    return value


def _build(
    scope: Element,
    scope_path: str,
    entries: Mapping[str, Any],
    index: Mapping[str, Field],
    order: Mapping[str, int],
) -> None:
    elements: dict[str, Element] = {scope_path: scope}
    unknown = len(order)

    def position(key: str) -> int:
        return order.get(key.split("/@", 1)[0], unknown)

    # Sorting by form order (a depth-first walk) creates every group before its followers.
    for key in sorted(entries, key=position):
        if not key.startswith(scope_path + "/"):
            raise ValueError(f"The document key {key!r} is not inside {scope_path!r}.")
        value = entries[key]
        if "/@" in key:
            element_path, attribute = key.split("/@", 1)
            owner = _element_at(element_path, elements)
            known = attribute.startswith(_KNOWN_PREFIXES)
            owner.set(attribute if known else _local(attribute), str(value))
            continue
        field = index.get(key)
        parent = _element_at(key.rsplit("/", 1)[0], elements)
        name = key.rsplit("/", 1)[1]
        if _is_repeat_value(value, field):
            for entry in value:
                _build(SubElement(parent, name), key, entry, index, order)
        elif field is None and isinstance(value, list):  # an unknown element given repeatedly
            for item in value:
                SubElement(parent, name).text = None if item is None else str(item)
        else:
            element = elements.get(key)
            if element is None:
                element = elements[key] = SubElement(parent, name)
            element.text = text_value(field, value)


def _is_repeat_value(value: Any, field: Field | None) -> bool:
    if field is not None and field.is_repeat:
        return isinstance(value, list)
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _element_at(path: str, elements: dict[str, Element]) -> Element:
    element = elements.get(path)
    if element is None:
        parent_path, name = path.rsplit("/", 1)
        element = elements[path] = SubElement(_element_at(parent_path, elements), name)
    return element


def _local(attribute: str) -> str:
    return attribute.split(":", 1)[-1]
