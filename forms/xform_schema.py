"""The typed form schema, declared media and entity declaration, read from an XForm."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from forms.languages import language_code
from forms.schema import Choice, EntityDeclaration, Field, FormSchema, Translations
from forms.xform import (
    XFormModel,
    children_named,
    element_text,
    first_child,
    instance_id_of,
    itext_id,
    local_name,
    parse_xform,
)

_JR_TEMPLATE = "{http://openrosa.org/javarosa}template"
_MEDIA_FORMS = {"image": "image", "big-image": "image", "audio": "audio", "video": "video"}
_MEDIA_URI = re.compile(r"^jr://(?:images|audio|video|file|file-csv)/(.+)$")
_SEARCH_APPEARANCE = re.compile(r"""search\(\s*['"]([^'"]+)['"]""")
_INPUT_TYPES = {"int": "integer", "string": "text"}
_UPLOAD_TYPES = {"image": "image", "audio": "audio", "video": "video"}


@dataclass(frozen=True)
class XFormSummary:
    """What Kenesh reads from an XForm: identity, schema and the files it needs."""

    form_id: str | None
    version: str | None
    title: str | None
    schema: FormSchema
    media: tuple[str, ...]
    media_types: Mapping[str, str]  # file name -> "image" | "audio" | "video" | "file"


def summarize_xform(xml: bytes, *, default_language: str) -> XFormSummary:
    """Read an XForm into a schema; raise XLSFormInvalid when it is not a usable XForm."""
    model = parse_xform(xml)
    texts = _Texts(model, default_language)
    root = model.primary_root
    root_name = local_name(root.tag)
    children = _fields(root, "/" + root_name, model, texts)
    form_id = root.get("id")
    version = root.get("version")
    schema = FormSchema(
        form_id=form_id or "",
        version=version,
        title=model.title or form_id or "",
        root_name=root_name,
        languages=texts.languages or (texts.default_code,),
        default_language=texts.default_code,
        children=children,
        entity=_entity(root, children),
    )
    media_types = _media(model)
    return XFormSummary(
        form_id=form_id,
        version=version,
        title=model.title,
        schema=schema,
        media=tuple(media_types),
        media_types=media_types,
    )


class _Texts:
    """Looks up translated texts by language code, explicit languages before "default"."""

    def __init__(self, model: XFormModel, default_language: str) -> None:
        self.itext = model.itext
        self.default_code = language_code(model.default_language_name or "", default_language)
        self.codes = {name: language_code(name, default_language) for name in self.itext}
        self.languages = tuple(dict.fromkeys(self.codes.values()))
        # When "default" and an explicit language share a code, the explicit text wins.
        self.lookup_order = sorted(self.itext, key=lambda name: name == "default")

    def by_id(self, text_id: str, form: str = "") -> dict[str, str]:
        found: dict[str, str] = {}
        for name in self.lookup_order:
            value = self.itext[name].get(text_id, {}).get(form)
            # pyxform fills a missing translation with "-"; treat it as missing.
            if value and value != "-":
                found.setdefault(self.codes[name], value)
        return found

    def of_reference(self, reference: str | None) -> dict[str, str]:
        text_id = itext_id(reference)
        if text_id is not None:
            return self.by_id(text_id)
        return {self.default_code: reference} if reference else {}

    def of_element(self, element: Element | None) -> dict[str, str]:
        if element is None:
            return {}
        text_id = itext_id(element.get("ref"))
        if text_id is not None:
            return self.by_id(text_id)
        text = element_text(element)
        return {self.default_code: text} if text else {}

    def media_of(self, element: Element | None) -> dict[str, Translations]:
        text_id = itext_id(element.get("ref")) if element is not None else None
        if text_id is None:
            return {}
        media: dict[str, Translations] = {}
        for form in _MEDIA_FORMS:
            files = {code: _media_name(uri) for code, uri in self.by_id(text_id, form).items()}
            if files:
                media[form] = files
        return media


def _media_name(uri: str) -> str:
    match = _MEDIA_URI.match(uri.strip())
    return match.group(1) if match else uri.strip()


def _fields(element: Element, parent: str, model: XFormModel, texts: _Texts) -> tuple[Field, ...]:
    seen: set[str] = set()
    fields: list[Field] = []
    for child in element:
        name = local_name(child.tag)
        if name in seen:  # a repeat's template and its default instances share one path
            continue
        seen.add(name)
        fields.append(_field(child, f"{parent}/{name}", model, texts))
    return tuple(fields)


def _field(element: Element, path: str, model: XFormModel, texts: _Texts) -> Field:
    control = model.controls.get(path)
    control_tag = local_name(control.tag) if control is not None else None
    bind = model.binds.get(path, {})
    is_repeat = path in model.repeat_paths or element.get(_JR_TEMPLATE) is not None
    is_group = len(element) > 0 or control_tag == "group"
    data_type = "" if is_repeat or is_group else _data_type(bind)
    choices, list_name, choice_filter, itemset_file = _choices(control, model, texts)
    label = first_child(control, "label")
    return Field(
        path=path,
        name=local_name(element.tag),
        type="repeat" if is_repeat else "group" if is_group else _type(control, data_type, bind),
        labels=texts.of_element(label),
        hints=texts.of_element(first_child(control, "hint")),
        required=_expression(bind.get("required")),
        relevant=_expression(bind.get("relevant")),
        constraint=_expression(bind.get("constraint")),
        constraint_messages=texts.of_reference(bind.get("jr:constraintMsg")),
        calculate=_expression(bind.get("calculate")),
        default=None if is_group or is_repeat or not (element.text or "").strip() else element.text,
        appearance=control.get("appearance") if control is not None else None,
        choice_filter=choice_filter,
        list_name=list_name,
        choices=choices,
        children=_fields(element, path, model, texts) if is_group or is_repeat else (),
        bind=dict(bind),
        data_type=data_type,
        readonly=_expression(bind.get("readonly")),
        required_messages=texts.of_reference(bind.get("jr:requiredMsg")),
        media=texts.media_of(label),
        itemset_file=itemset_file,
    )


def _data_type(bind: Mapping[str, str]) -> str:
    declared = bind.get("type", "string").strip()
    return declared.split(":", 1)[1] if declared.startswith("xsd:") else declared


def _expression(value: str | None) -> str | None:
    if value is None or not value.strip() or value.strip() == "false()":
        return None
    return value


def _type(control: Element | None, data_type: str, bind: Mapping[str, str]) -> str:
    """An XLSForm-style type for a question of a raw XForm (pyxform's names where they exist)."""
    tag = local_name(control.tag) if control is not None else None
    if control is None or tag is None:
        preload = bind.get("jr:preload")
        if preload and preload != "uid":
            return bind.get("jr:preloadParams") or preload
        # pyxform calls the instanceID (preload "uid") a calculate too.
        return "calculate" if "calculate" in bind or preload == "uid" else "hidden"
    simple = {
        "select1": "select one",
        "select": "select all that apply",
        "rank": "rank",
        "trigger": "acknowledge",
        "range": "range",
    }
    if tag in simple:
        return simple[tag]
    if tag == "upload":
        media_kind = control.get("mediatype", "").split("/", 1)[0]
        return _UPLOAD_TYPES.get(media_kind, "file")
    if data_type == "string" and bind.get("readonly") == "true()" and "calculate" not in bind:
        return "note"
    return _INPUT_TYPES.get(data_type, data_type)


def _choices(
    control: Element | None, model: XFormModel, texts: _Texts
) -> tuple[tuple[Choice, ...], str | None, str | None, str | None]:
    if control is None:
        return (), None, None, None
    itemset = first_child(control, "itemset")
    if itemset is None:
        inline = tuple(
            Choice(
                name=_text_of(first_child(item, "value")),
                labels=texts.of_element(first_child(item, "label")),
            )
            for item in children_named(control, "item")
        )
        return inline, None, None, None
    nodeset = itemset.get("nodeset", "")
    instance_id = instance_id_of(nodeset)
    instance = model.instances.get(instance_id or "")
    value_el = first_child(itemset, "value")
    label_el = first_child(itemset, "label")
    value_key = value_el.get("ref", "name") if value_el is not None else "name"
    label_ref = label_el.get("ref", "label") if label_el is not None else "label"
    choices: list[Choice] = []
    for item in instance.items if instance is not None else ():
        labels, label_key = _choice_labels(item, label_ref, texts)
        extra = {k: v for k, v in item.items() if k not in (value_key, label_key)}
        choices.append(Choice(name=item.get(value_key, ""), labels=labels, extra=extra))
    src = instance.src if instance is not None else None
    itemset_file = src.rsplit("/", 1)[-1] if src else None
    return tuple(choices), instance_id, _predicate(nodeset), itemset_file


def _text_of(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _choice_labels(
    item: Mapping[str, str], label_ref: str, texts: _Texts
) -> tuple[dict[str, str], str]:
    # jr:itext(itextId) names the item's child that holds the text id.
    inner = re.fullmatch(r"\s*jr:itext\(\s*([\w.-]+)\s*\)\s*", label_ref)
    if inner:
        key = inner.group(1)
        return texts.by_id(item.get(key, "")), key
    text = item.get(label_ref, "")
    return ({texts.default_code: text} if text else {}), label_ref


def _predicate(nodeset: str) -> str | None:
    """The filter of an itemset: instance('x')/root/item[ name != /data/a ] -> the bracket part."""
    start = nodeset.find("[")
    if start < 0 or not nodeset.rstrip().endswith("]"):
        return None
    return nodeset[start + 1 : nodeset.rstrip().rfind("]")].strip() or None


def _walk(fields: tuple[Field, ...]) -> Iterator[Field]:
    for f in fields:
        yield from f.walk()


def _entity(root: Element, children: tuple[Field, ...]) -> EntityDeclaration | None:
    meta = first_child(root, "meta")
    entity = first_child(meta, "entity")
    if entity is None:
        return None
    properties = tuple(
        f.bind["entities:saveto"] for f in _walk(children) if "entities:saveto" in f.bind
    )
    return EntityDeclaration(
        dataset=entity.get("dataset", ""),
        creates="create" in entity.attrib,
        updates="update" in entity.attrib,
        properties=properties,
    )


def _media(model: XFormModel) -> dict[str, str]:
    found: dict[str, str] = {}
    for texts in model.itext.values():
        for forms in texts.values():
            for form, uri in forms.items():
                name = _media_name(uri)
                if form in _MEDIA_FORMS and name not in ("", "-"):
                    found.setdefault(name, _MEDIA_FORMS[form])
    for instance in model.instances.values():
        if instance.src and instance.src.startswith(("jr://file/", "jr://file-csv/")):
            found.setdefault(_media_name(instance.src), "file")
    for control in model.controls.values():
        for name in _SEARCH_APPEARANCE.findall(control.get("appearance", "")):
            found.setdefault(f"{name}.csv", "file")
    return found
