"""Reading an XForm's XML: the model pieces (itext, binds, instances, body controls)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

from forms.errors import Problem, XLSFormInvalid

# Attribute namespaces written back with the prefixes XForm authors know them by.
_PREFIXES = {
    "http://openrosa.org/javarosa": "jr",
    "http://www.opendatakit.org/xforms": "odk",
    "http://openrosa.org/xforms": "orx",
    "http://www.opendatakit.org/xforms/entities": "entities",
    "http://www.w3.org/2001/XMLSchema": "xsd",
}
_ITEXT_REF = re.compile(r"""^\s*jr:itext\(\s*['"]([^'"]+)['"]\s*\)\s*$""")
_INSTANCE_ID = re.compile(r"""instance\(\s*['"]([^'"]+)['"]\s*\)""")
_CONTROL_TAGS = frozenset(
    {"input", "select1", "select", "upload", "trigger", "range", "rank", "secret", "odk:rank"}
)

# lang name -> text id -> form ("" for plain text, "image", "audio", ...) -> text
Itext = dict[str, dict[str, dict[str, str]]]


def local_name(tag: str) -> str:
    """The tag or attribute name without its namespace: "{uri}instance" -> "instance"."""
    return tag.rsplit("}", 1)[-1]


def prefixed_name(name: str) -> str:
    """An attribute name in prefix form: "{http://openrosa.org/javarosa}preload" -> "jr:preload"."""
    if not name.startswith("{"):
        return name
    uri, local = name[1:].split("}", 1)
    prefix = _PREFIXES.get(uri)
    return f"{prefix}:{local}" if prefix else local


def children_named(element: Element, name: str) -> Iterator[Element]:
    """Child elements with the given local name, whatever their namespace."""
    return (child for child in element if local_name(child.tag) == name)


def first_child(element: Element | None, name: str) -> Element | None:
    """The first child element with the given local name, or None."""
    if element is None:
        return None
    return next(children_named(element, name), None)


@dataclass(frozen=True)
class SecondaryInstance:
    """A secondary instance: inline choice items, or a reference to an attached file."""

    instance_id: str
    src: str | None
    items: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True)
class XFormModel:
    """The parts of an XForm that a schema is built from, keyed by absolute path."""

    title: str | None
    primary_root: Element
    itext: Itext
    default_language_name: str | None
    binds: Mapping[str, Mapping[str, str]]
    controls: Mapping[str, Element]
    repeat_paths: frozenset[str]
    instances: Mapping[str, SecondaryInstance] = field(default_factory=dict)


def parse_xform(xml: bytes) -> XFormModel:
    """Read an XForm's model and body; raise XLSFormInvalid when it is not a usable XForm."""
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except Exception as exc:  # defusedxml raises ParseError and its own DefusedXmlException
        raise _invalid(f"The XForm is not well-formed XML: {exc}") from exc
    head = first_child(root, "head")
    model = first_child(head, "model")
    if head is None or model is None:
        raise _invalid("The XForm has no <h:head><model> element.")
    primary = first_child(model, "instance")
    primary_root = next(iter(primary), None) if primary is not None else None
    if primary_root is None:
        raise _invalid("The XForm has no primary instance (<instance> with a root element).")
    title_el = first_child(head, "title")
    itext, default_lang = _read_itext(model)
    controls: dict[str, Element] = {}
    repeats: set[str] = set()
    body = first_child(root, "body")
    if body is not None:
        _read_body(body, "", controls, repeats)
    return XFormModel(
        title=title_el.text if title_el is not None else None,
        primary_root=primary_root,
        itext=itext,
        default_language_name=default_lang,
        binds=_read_binds(model),
        controls=controls,
        repeat_paths=frozenset(repeats),
        instances=_read_secondary_instances(model),
    )


def _invalid(message: str) -> XLSFormInvalid:
    return XLSFormInvalid([Problem(sheet=None, row=None, message=message)])


def _read_itext(model: Element) -> tuple[Itext, str | None]:
    itext: Itext = {}
    default_lang: str | None = None
    itext_el = first_child(model, "itext")
    translations = children_named(itext_el, "translation") if itext_el is not None else iter(())
    for translation in translations:
        lang = translation.get("lang", "default")
        if translation.get("default") is not None and default_lang is None:
            default_lang = lang
        texts = itext.setdefault(lang, {})
        for text in children_named(translation, "text"):
            forms = texts.setdefault(text.get("id", ""), {})
            for value in children_named(text, "value"):
                forms.setdefault(value.get("form", ""), element_text(value))
    if default_lang is None and itext:
        default_lang = next(iter(itext))
    return itext, default_lang


def element_text(element: Element) -> str:
    """Label text with each <output value="..."/> shown the XLSForm way, as ${name}."""
    parts = [element.text or ""]
    for child in element:
        if local_name(child.tag) == "output":
            parts.append("${" + _output_name(child.get("value", "")) + "}")
        else:
            parts.append(element_text(child))
        parts.append(child.tail or "")
    return "".join(parts).strip()


def _output_name(expression: str) -> str:
    stripped = expression.strip()
    # pyxform writes ${age} as " /data/age "; show it as the designer wrote it.
    if re.fullmatch(r"(/[\w.-]+)+", stripped):
        return stripped.rsplit("/", 1)[-1]
    return stripped


def _read_binds(model: Element) -> dict[str, dict[str, str]]:
    binds: dict[str, dict[str, str]] = {}
    for bind in children_named(model, "bind"):
        nodeset = bind.get("nodeset") or bind.get("ref")
        if not nodeset:
            continue
        attrs = {prefixed_name(k): v for k, v in bind.attrib.items() if k not in ("nodeset", "ref")}
        binds.setdefault(nodeset.strip(), {}).update(attrs)
    return binds


def _read_secondary_instances(model: Element) -> dict[str, SecondaryInstance]:
    found: dict[str, SecondaryInstance] = {}
    for instance in list(children_named(model, "instance"))[1:]:
        instance_id = instance.get("id")
        if not instance_id:
            continue
        root = next(iter(instance), None)
        items = tuple(
            {local_name(child.tag): (child.text or "") for child in item}
            for item in (root if root is not None else [])
        )
        found[instance_id] = SecondaryInstance(instance_id, instance.get("src"), items)
    return found


def _read_body(
    element: Element, context: str, controls: dict[str, Element], repeats: set[str]
) -> None:
    for child in element:
        tag = local_name(child.tag)
        ref = child.get("nodeset") if tag == "repeat" else child.get("ref")
        path = _absolute(ref, context) if ref else None
        if path and (tag in ("group", "repeat") or tag in _CONTROL_TAGS):
            if tag == "repeat":
                repeats.add(path)
            # A repeat's wrapping <group> carries the label; keep the first control seen.
            controls.setdefault(path, child)
        if tag in ("group", "repeat"):
            _read_body(child, path or context, controls, repeats)


def _absolute(ref: str, context: str) -> str:
    ref = ref.strip()
    if ref.startswith("/"):
        return ref
    return f"{context}/{ref}" if context else ref


def itext_id(reference: str | None) -> str | None:
    """The text id of a jr:itext('id') reference, or None for literal text."""
    if reference is None:
        return None
    match = _ITEXT_REF.match(reference)
    return match.group(1) if match else None


def instance_id_of(nodeset: str) -> str | None:
    """The secondary instance an itemset nodeset reads from: instance('yn')/root/item -> yn."""
    match = _INSTANCE_ID.search(nodeset)
    return match.group(1) if match else None
