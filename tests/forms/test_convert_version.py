"""Rewriting a stored XForm's version byte for byte, and language codes from language names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.convert import convert_definition, set_form_version, xform_md5
from forms.instance import parse_instance
from forms.languages import language_code

VERSIONED = b"""
| survey   |
|          | type    | name | label |
|          | integer | age  | Age   |
| settings |
|          | form_id | version |
|          | census  | 1       |
"""


def _unversioned_xform() -> bytes:
    return convert_definition(
        VERSIONED.replace(b"| version |", b"|").replace(b"| 1       |", b"|"), "c.md"
    ).xform


def test_rewriting_the_version_changes_only_the_version_attribute() -> None:
    original = convert_definition(VERSIONED, "census.md").xform

    rewritten = set_form_version(original, "2024-06")

    assert rewritten == original.replace(
        b'id="census" version="1"', b'id="census" version="2024-06"'
    )
    assert convert_definition(rewritten, "census.xml").version == "2024-06"


def test_the_form_hash_follows_the_rewritten_bytes() -> None:
    original = convert_definition(VERSIONED, "census.md")
    rewritten = set_form_version(original.xform, "2")

    assert original.md5 == xform_md5(original.xform)
    assert xform_md5(rewritten) != original.md5
    assert set_form_version(rewritten, "1") == original.xform


def test_a_version_is_added_when_the_xform_has_none() -> None:
    original = _unversioned_xform()
    assert b"version=" not in original.split(b"<instance>", 1)[1].split(b">", 1)[0]

    rewritten = set_form_version(original, "3")

    assert rewritten.replace(b' version="3"', b"", 1) == original
    assert convert_definition(rewritten, "c.xml").version == "3"


def test_only_the_primary_instance_root_is_touched() -> None:
    xform = (
        b'<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">'
        b"<h:head><h:title>version</h:title><model><instance>\n  <!-- v -->\n"
        b"<data id='f' note='a > b' version='1'><v version=\"9\"/></data></instance>"
        b'<instance id="other"><root version="5"/></instance></model></h:head><h:body/></h:html>'
    )

    rewritten = set_form_version(xform, 'x"2')

    assert rewritten == xform.replace(b"version='1'", b"version='x\"2'")


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=20))
def test_any_version_text_can_be_set_and_read_back(version: str) -> None:
    rewritten = set_form_version(convert_definition(VERSIONED, "census.md").xform, version)

    assert convert_definition(rewritten, "census.xml").version == version


def test_an_xform_without_a_primary_instance_cannot_carry_a_version() -> None:
    with pytest.raises(ValueError):
        set_form_version(b"<h:html><h:head><model/></h:head></h:html>", "1")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Kyrgyz (ky)", "ky"),
        ("Russian (ru)", "ru"),
        ("English (en)", "en"),
        ("Português (pt-BR)", "pt-BR"),
        ("default", "ky"),
        ("English", "English"),
        ("  Russian (ru) ", "ru"),
    ],
)
def test_language_names_become_codes(name: str, code: str) -> None:
    assert language_code(name, default_language="ky") == code


def test_the_rewritten_version_is_what_a_blank_instance_of_the_form_carries() -> None:
    rewritten = set_form_version(convert_definition(VERSIONED, "census.md").xform, "7")
    instance_xml = rewritten.split(b"<instance>", 1)[1].split(b"</instance>", 1)[0]

    assert parse_instance(instance_xml).version == "7"
