"""Instance XML written directly for documents of a form's own questions (the push's usual
case) is byte for byte the XML of the element tree the general path builds."""

from __future__ import annotations

import random
from typing import Any

import pytest

from forms import instance_xml
from forms.instance_xml import document_to_instance_xml
from forms.schema import Field, FormSchema
from tests.forms.test_validate import make_field, make_schema

TEXTS = ["Ak-Sai", "", " ", "a & b < c > d \"q\" 'a'", "кыргызча «ok»", "\t\n", "x]]>y"]
VALUES: list[Any] = [None, 0, -3, 2**40, 1.5, 1e-7, 1e21, True, False, [], ["a", "b"],
                     [1.5, 2], [[1.0, 2.0], [3.0, 4.0]], [{"x": 1}], {"a": 1}, *TEXTS]


def _schema(rng: random.Random) -> FormSchema:
    def question(path: str) -> Field:
        kind = rng.choice(["text", "integer", "decimal", "geotrace", "select all that apply"])
        return make_field(path, kind)

    inner = make_field("/data/g/h", "group",
                       children=(question("/data/g/h/deep"), question("/data/g/h/deeper")))
    fields = [
        question("/data/a"),
        make_field("/data/g", "group", children=(question("/data/g/one"), inner,
                                                 question("/data/g/two"))),
        question("/data/b"),
        make_field("/data/meta", "group", children=(make_field("/data/meta/instanceID"),
                                                    make_field("/data/meta/deprecatedID"))),
    ]
    if rng.random() < 0.2:
        fields.insert(2, make_field("/data/rep", "repeat", children=(question("/data/rep/x"),)))
    return make_schema(*fields)


KEYS = ["/data/a", "/data/g/one", "/data/g/h/deep", "/data/g/h/deeper", "/data/g/two", "/data/b",
        "/data/meta/instanceID", "/data/meta/instanceName", "/data/rep", "/data/unknown",
        "/data/g", "/data/@version", "/data/g/h/deep/@attr", "/other/x"]


def _document(rng: random.Random) -> dict[str, Any]:
    keys = [k for k in KEYS[:6] if rng.random() < 0.7]
    keys += [k for k in KEYS[6:] if rng.random() < 0.05]
    rng.shuffle(keys)
    return {k: rng.choice(VALUES) for k in keys}


def _general(monkeypatch: pytest.MonkeyPatch, *args: Any, **kwargs: Any) -> bytes | type:
    with monkeypatch.context() as patched:
        patched.setattr(instance_xml, "_plain_xml", lambda *_: None)
        return _outcome(*args, **kwargs)


def _outcome(*args: Any, **kwargs: Any) -> bytes | type:
    try:
        return document_to_instance_xml(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the same failure is the same outcome
        return type(error)


def test_the_direct_text_is_the_trees(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(1130)
    direct = 0
    for _ in range(200):
        schema = _schema(rng)
        for _ in range(20):
            doc = _document(rng)
            meta = {"instance_id": "uuid:1 & <2>",
                    "deprecated_id": rng.choice([None, "uuid:0"])}
            expected = _general(monkeypatch, doc, schema, **meta)
            assert _outcome(doc, schema, **meta) == expected, doc
            entries = {**doc, "/data/meta/instanceID": meta["instance_id"]}
            if meta["deprecated_id"]:
                entries["/data/meta/deprecatedID"] = meta["deprecated_id"]
            direct += instance_xml._plain_xml(schema, "/data", entries) is not None
    assert direct > 2000  # most documents take the direct path
