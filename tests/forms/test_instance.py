"""Reading submissions safely, and turning them into typed documents keyed by field path."""
# ruff: noqa: E501  (inline XLSForm tables are easier to read unwrapped)

from __future__ import annotations

import pytest

from forms.convert import convert_definition
from forms.errors import InstanceUnparseable
from forms.instance import (
    document_to_instance_xml,
    entity_properties,
    instance_to_document,
    parse_instance,
    referenced_files,
)
from forms.schema import FormSchema

VISIT = """
| survey   |
|          | type                  | name      | label     | save_to |
|          | integer               | total     | Total     | total   |
|          | decimal               | budget    | Budget    |         |
|          | date                  | held_on   | Held on   |         |
|          | geopoint              | place     | Place     |         |
|          | geotrace              | route     | Route     |         |
|          | begin_group           | who       | Who       |         |
|          | select_multiple topic | topics    | Topics    |         |
|          | end_group             |           |           |         |
|          | begin_repeat          | recs      | Recs      |         |
|          | text                  | text      | Text      |         |
|          | image                 | photo     | Photo     |         |
|          | begin_repeat          | followups | Followups |         |
|          | date                  | due       | Due       |         |
|          | end_repeat            |           |           |         |
|          | end_repeat            |           |           |         |
| choices  |
|          | list_name | name   | label  |
|          | topic     | rve    | RVE    |
|          | topic     | border | Border |
| settings |
|          | form_id | version |
|          | visit   | 7       |
| entities |
|          | list_name | label    |
|          | visits    | ${total} |
"""


@pytest.fixture(scope="module")
def schema() -> FormSchema:
    return convert_definition(VISIT.encode(), "visit.md").schema


SUBMISSION = b"""<?xml version="1.0"?>
<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" id="visit" version="7">
  <total>34</total><budget>1500.50</budget><held_on>2024-03-08</held_on>
  <place>40.05 70.81 900 4.5</place><route>40.0 70.0 0 0;40.1 70.1 0 0</route>
  <who><topics>rve border</topics></who>
  <recs><text>\xd0\x96\xd0\xb0\xd1\x88\xd1\x82\xd0\xb0\xd1\x80 &amp; &lt;\xd0\xb0\xd1\x8f\xd0\xbb\xd0\xb4\xd0\xb0\xd1\x80&gt;</text><photo>1710.jpg</photo>
    <followups><due>2024-04-01</due></followups><followups><due/></followups></recs>
  <recs><text/><photo/></recs>
  <meta>
    <entity dataset="visits" create="1" id="uuid:e1" baseVersion="2"><label>34</label></entity>
    <instanceID>uuid:s1</instanceID><deprecatedID>uuid:s0</deprecatedID><instanceName>Visit 1</instanceName>
  </meta>
  <added_later>kept</added_later>
</data>"""


def test_a_submission_is_identified_by_its_form_version_and_instance_ids() -> None:
    parsed = parse_instance(SUBMISSION)

    assert (parsed.form_id, parsed.version, parsed.root_name) == ("visit", "7", "data")
    assert (parsed.instance_id, parsed.deprecated_id, parsed.instance_name) == (
        "uuid:s1",
        "uuid:s0",
        "Visit 1",
    )
    assert parsed.entity is not None
    assert (parsed.entity.dataset, parsed.entity.entity_id, parsed.entity.create) == (
        "visits",
        "uuid:e1",
        "1",
    )
    assert (parsed.entity.base_version, parsed.entity.update, parsed.entity.label) == (
        "2",
        None,
        "34",
    )


def test_a_submission_without_form_id_or_meta_parses_with_none() -> None:
    parsed = parse_instance(b"<data><a>1</a></data>")

    assert (parsed.form_id, parsed.version, parsed.instance_id, parsed.entity) == (
        None,
        None,
        None,
        None,
    )


def test_answers_are_typed_by_the_schema_and_keyed_by_path(schema: FormSchema) -> None:
    document = instance_to_document(parse_instance(SUBMISSION), schema)

    assert document["/data/total"] == 34
    assert document["/data/budget"] == 1500.5
    assert document["/data/held_on"] == "2024-03-08"
    assert document["/data/place"] == [40.05, 70.81, 900.0, 4.5]
    assert document["/data/route"] == [[40.0, 70.0, 0.0, 0.0], [40.1, 70.1, 0.0, 0.0]]
    assert document["/data/who/topics"] == ["rve", "border"]
    assert "/data/who" not in document
    assert document["/data/meta/instanceID"] == "uuid:s1"
    assert document["/data/meta/entity/@dataset"] == "visits"
    assert document["/data/added_later"] == "kept"


def test_repeats_are_lists_of_documents_and_empty_answers_are_none(schema: FormSchema) -> None:
    recs = instance_to_document(parse_instance(SUBMISSION), schema)["/data/recs"]

    assert recs == [
        {
            "/data/recs/text": "Жаштар & <аялдар>",
            "/data/recs/photo": "1710.jpg",
            "/data/recs/followups": [
                {"/data/recs/followups/due": "2024-04-01"},
                {"/data/recs/followups/due": None},
            ],
        },
        {"/data/recs/text": None, "/data/recs/photo": None, "/data/recs/followups": []},
    ]


def test_answers_that_do_not_parse_are_kept_as_written(schema: FormSchema) -> None:
    xml = b'<data id="visit"><total>about 30</total><budget>1,5</budget><place>north</place></data>'

    document = instance_to_document(parse_instance(xml), schema)

    assert (document["/data/total"], document["/data/budget"], document["/data/place"]) == (
        "about 30",
        "1,5",
        "north",
    )


def test_photos_and_entity_properties_are_read_from_the_document(schema: FormSchema) -> None:
    document = instance_to_document(parse_instance(SUBMISSION), schema)

    assert referenced_files(document, schema) == ("1710.jpg",)
    assert entity_properties(document, schema) == {"total": 34}


def test_a_document_becomes_instance_xml_in_form_order_with_the_given_meta(
    schema: FormSchema,
) -> None:
    document = {"/data/who/topics": ["rve"], "/data/total": 3, "/data/budget": 0.00001}

    xml = document_to_instance_xml(
        document,
        schema,
        instance_id="uuid:new",
        deprecated_id="uuid:old",
        extra_meta={"instanceName": "n"},
    )

    assert xml.startswith(b'<data id="visit"')
    assert b'version="7"' in xml
    assert b"<total>3</total><budget>0.00001</budget><who><topics>rve</topics></who>" in xml
    back = parse_instance(xml)
    assert (back.instance_id, back.deprecated_id, back.instance_name) == (
        "uuid:new",
        "uuid:old",
        "n",
    )


def test_a_submission_round_trips_through_its_document(schema: FormSchema) -> None:
    parsed = parse_instance(SUBMISSION)
    document = instance_to_document(parsed, schema)

    xml = document_to_instance_xml(
        document,
        schema,
        instance_id="uuid:s1",
        deprecated_id="uuid:s0",
        extra_meta={"instanceName": "Visit 1"},
    )

    assert instance_to_document(parse_instance(xml), schema) == document


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<data id="visit"><total>&lol3;</total></data>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<data id="visit"><total>&secret;</total></data>"""


@pytest.mark.parametrize(
    "xml",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, b"<data><unclosed></data>", b"", b"not xml at all"],
    ids=["billion-laughs", "external-entity", "malformed", "empty", "text"],
)
def test_dangerous_or_broken_xml_is_refused_as_unparseable(xml: bytes) -> None:
    with pytest.raises(InstanceUnparseable) as caught:
        parse_instance(xml)

    assert caught.value.message
    assert "lollol" not in caught.value.message and "root:" not in caught.value.message


def test_xml_nested_deeper_than_the_limit_is_refused() -> None:
    deep = b"<data>" + b"<g>" * 100 + b"</g>" * 100 + b"</data>"

    with pytest.raises(InstanceUnparseable, match="deeper than 64"):
        parse_instance(deep)
    assert parse_instance(deep, max_depth=200).root_name == "data"


def test_xml_larger_than_the_limit_is_refused() -> None:
    with pytest.raises(InstanceUnparseable, match="limit"):
        parse_instance(SUBMISSION, max_bytes=100)


NAMESPACED = """<?xml version="1.0" encoding="UTF-8"?>
<data xmlns="http://example.org/default" xmlns:jr="http://openrosa.org/javarosa"
      xmlns:orx="http://openrosa.org/xforms" id="visit" version="7" jr:note="n&amp;1">
  <!-- a comment --><?pi data?>
  <g jr:template=""><t xml:lang="ky">Жаштар</t>tail text</g><empty/>
  <orx:meta><orx:instanceID>uuid:n1</orx:instanceID></orx:meta>
</data>""".encode()


@pytest.mark.parametrize("xml", [SUBMISSION, NAMESPACED], ids=["submission", "namespaced"])
def test_the_tree_is_the_one_elementtree_reads(xml: bytes) -> None:
    from xml.etree.ElementTree import XML, tostring

    assert tostring(parse_instance(xml).root) == tostring(XML(xml))


def test_the_meta_of_a_namespaced_submission_is_found() -> None:
    assert parse_instance(NAMESPACED).instance_id == "uuid:n1"


@pytest.mark.parametrize(
    "xml",
    [
        b'<!DOCTYPE data><data id="visit"/>',
        b'<?xml version="1.0"?><!DOCTYPE data SYSTEM "http://example.org/x.dtd"><data/>',
        b'<data id="visit">&undefined;</data>',
        b'<?xml version="1.0" encoding="no-such-encoding"?><data/>',
    ],
    ids=["bare-doctype", "external-dtd", "undefined-entity", "unknown-encoding"],
)
def test_any_dtd_or_entity_is_refused(xml: bytes) -> None:
    with pytest.raises(InstanceUnparseable):
        parse_instance(xml)
