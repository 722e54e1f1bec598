"""Converting XLSForms and XForms into a ConvertedForm: identity, languages, errors, limits."""
# ruff: noqa: E501  (inline XLSForm tables are easier to read unwrapped)

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from forms.convert import ConvertedForm, WorkbookLimits, convert_definition
from forms.errors import WorkbookTooLarge, XLSFormInvalid

TRILINGUAL = """
| survey   |
|          | type                  | name   | label::Kyrgyz (ky) | label::Russian (ru) | label::English (en) | hint::English (en) | constraint | constraint_message::English (en) | constraint_message::Russian (ru) | relevant     | required |
|          | integer               | total  | Баары              | Всего               | Total               | People present     | . >= 0     | Cannot be negative               | Не меньше нуля                   |              | yes      |
|          | begin_group           | who    | Ким                | Кто                 | Who                 |                    |            |                                  |                                  | ${total} > 0 |          |
|          | select_multiple topic | topics | Тема               | Темы                | Topics              |                    |            |                                  |                                  |              |          |
|          | end_group             |        |                    |                     |                     |                    |            |                                  |                                  |              |          |
|          | begin_repeat          | recs   | Сунуш              | Рекомендации        | Recommendations     |                    |            |                                  |                                  |              |          |
|          | text                  | text   | Текст              | Текст               | Text                |                    |            |                                  |                                  |              |          |
|          | end_repeat            |        |                    |                     |                     |                    |            |                                  |                                  |              |          |
| choices  |
|          | list_name | name   | label::Kyrgyz (ky) | label::Russian (ru) | label::English (en) | theme_no |
|          | topic     | rve    | Зомбулук           | Насилие             | Violent extremism   | 1        |
|          | topic     | border | Чек ара            | Граница             | Border incidents    | 2        |
| settings |
|          | form_id  | version | form_title | default_language |
|          | open_day | 2024-1  | Open day   | English (en)     |
"""

PLAIN = """
| survey |
|        | type    | name | label |
|        | integer | age  | Age   |
"""


def convert_md(markdown: str, filename: str = "form.md", **kwargs: Any) -> ConvertedForm:
    return convert_definition(markdown.encode("utf-8"), filename, **kwargs)


def test_an_xlsform_converts_to_an_xform_named_by_its_form_id_and_version() -> None:
    form = convert_md(TRILINGUAL)

    assert form.xml_form_id == "open_day"
    assert form.version == "2024-1"
    assert form.title == "Open day"
    assert b"<open_day" not in form.xform and b'id="open_day"' in form.xform
    assert form.source_format == ".md"
    assert len(form.md5) == 32 and form.md5 != convert_md(PLAIN).md5


def test_language_names_become_codes_and_every_text_is_kept_per_language() -> None:
    schema = convert_md(TRILINGUAL).schema

    assert schema.languages == ("ky", "ru", "en")
    assert schema.default_language == "en"
    total = schema.field_by_path("/data/total")
    assert total is not None
    assert total.labels == {"ky": "Баары", "ru": "Всего", "en": "Total"}
    assert total.hints == {"en": "People present"}
    assert total.constraint_messages == {"en": "Cannot be negative", "ru": "Не меньше нуля"}


def test_the_schema_has_resolved_expressions_groups_repeats_and_choices() -> None:
    schema = convert_md(TRILINGUAL).schema

    total = schema.field_by_path("/data/total")
    who = schema.field_by_path("/data/who")
    topics = schema.field_by_path("/data/who/topics")
    recs = schema.field_by_path("/data/recs")
    assert total is not None and who is not None and topics is not None and recs is not None
    assert (total.type, total.data_type, total.required, total.constraint) == (
        "integer",
        "int",
        "true()",
        ". >= 0",
    )
    assert who.is_group and who.relevant is not None and "/data/total" in who.relevant
    assert topics.is_select_multiple and topics.list_name == "topic"
    assert [c.name for c in topics.choices] == ["rve", "border"]
    assert topics.choices[1].labels["ru"] == "Граница"
    assert topics.choices[0].extra == {"theme_no": "1"}
    assert recs.is_repeat and [c.path for c in recs.children] == ["/data/recs/text"]


def test_text_given_without_a_language_is_filed_under_the_default_language() -> None:
    english = convert_md(PLAIN).schema
    kyrgyz = convert_md(PLAIN, default_language="ky").schema

    assert english.languages == ("en",)
    assert english.children[0].labels == {"en": "Age"}
    assert kyrgyz.children[0].labels == {"ky": "Age"}


def test_a_workbook_without_form_id_takes_the_fallback_form_id() -> None:
    form = convert_md(PLAIN, filename="My upload.md", form_id_fallback="household_survey")

    assert form.xml_form_id == "household_survey"
    assert b'id="household_survey"' in form.xform
    assert form.title == "household_survey"


def test_a_workbook_without_form_id_or_fallback_is_named_after_its_file() -> None:
    assert convert_md(PLAIN, filename="uploads/visit_log.md").xml_form_id == "visit_log"


def test_the_workbooks_own_form_id_wins_over_the_fallback() -> None:
    form = convert_md(TRILINGUAL, form_id_fallback="something_else")

    assert form.xml_form_id == "open_day"
    assert b"something_else" not in form.xform


def test_pyxform_errors_become_problems_with_their_sheet_and_row() -> None:
    broken = """
| survey |
|        | type    | name | label | constraint  |
|        | integer | a    | A     | ${nope} > 1 |
"""
    with pytest.raises(XLSFormInvalid) as caught:
        convert_md(broken)

    [problem] = caught.value.problems
    assert (problem.sheet, problem.row) == ("survey", 2)
    assert "nope" in problem.message


def test_an_unknown_question_type_is_reported_without_a_row() -> None:
    with pytest.raises(XLSFormInvalid) as caught:
        convert_md(PLAIN.replace("integer", "intgr"))

    assert "intgr" in caught.value.problems[0].message


def test_warnings_are_returned_with_the_converted_form() -> None:
    unlabelled_choice = (
        PLAIN
        + """
| choices |
|         | list_name | name | label |
|         | yn        | yes  |       |
"""
    )
    form = convert_md(unlabelled_choice)

    assert any("'choices' sheet" in warning for warning in form.warnings)


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"", "form.xlsx"),
        (b"   \n", "form.md"),
        (b"\x00\x01\x02 junk \xff" * 50, "form.xlsx"),
        (b"\x00\x01\x02 junk \xff" * 50, "form.bin"),
        (b"PK\x03\x04" + b"\x00" * 100, "form.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "form.xls"),
        (b"<h:html><unclosed>", "form.xml"),
        (b"<?xml version='1.0'?><html/>", "form.xml"),
        (b"| settings |\n| | form_id | version |\n| | x | 1 |\n", "form.md"),
        ("a,b,c,d,e\n\u00e9,\u00e9,\u00e9".encode("latin-1"), "form.csv"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "form.xml"),
    ],
    ids=[
        "empty",
        "blank-md",
        "junk-xlsx",
        "junk-unknown",
        "truncated-zip",
        "ole-header-only",
        "malformed-xml",
        "xml-without-model",
        "md-without-survey",
        "latin1-csv",
        "xml-with-dtd",
    ],
)
def test_unreadable_uploads_raise_xlsform_invalid_with_a_message(
    content: bytes, filename: str
) -> None:
    with pytest.raises(XLSFormInvalid) as caught:
        convert_definition(content, filename)

    assert caught.value.problems and caught.value.problems[0].message


def _xlsx_with_sheet(size: int, *, entries: int = 1) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * size)
        for number in range(1, entries):
            archive.writestr(f"xl/extra{number}.bin", b"")
    return buffer.getvalue()


def test_a_workbook_whose_sheet_unzips_beyond_the_limit_is_refused_before_reading() -> None:
    bomb = _xlsx_with_sheet(3_000_000)
    limits = WorkbookLimits(max_sheet_bytes=1_000_000)

    assert len(bomb) < 10_000
    with pytest.raises(WorkbookTooLarge, match="sheet1.xml"):
        convert_definition(bomb, "bomb.xlsx", limits=limits)


def test_a_workbook_whose_total_unzipped_size_exceeds_the_limit_is_refused() -> None:
    limits = WorkbookLimits(max_unzipped_bytes=1_000_000, max_sheet_bytes=10_000_000)

    with pytest.raises(WorkbookTooLarge, match="unzips to"):
        convert_definition(_xlsx_with_sheet(2_000_000), "bomb.xlsx", limits=limits)


def test_a_workbook_with_too_many_parts_is_refused() -> None:
    with pytest.raises(WorkbookTooLarge, match="parts"):
        convert_definition(
            _xlsx_with_sheet(10, entries=50), "many.xlsx", limits=WorkbookLimits(max_zip_entries=20)
        )


def test_an_upload_larger_than_the_limit_is_refused_whatever_its_format() -> None:
    with pytest.raises(WorkbookTooLarge):
        convert_md(PLAIN, limits=WorkbookLimits(max_upload_bytes=10))


def test_media_files_the_form_declares_are_listed_with_their_type() -> None:
    with_media = """
| survey |
|        | type                           | name  | label | image::English (en) | audio::English (en) | appearance      | calculation                          |
|        | note                           | intro | Hello | banner.png          | welcome.mp3         |                 |                                      |
|        | select_one_from_file rayons.csv | rayon | Rayon |                     |                     |                 |                                      |
|        | text                           | ayil  | Ayil  |                     |                     | search('ayils') |                                      |
|        | calculate                      | pop   |       |                     |                     |                 | pulldata('census', 'pop', 'id', '1') |
"""
    form = convert_md(with_media)

    assert form.media_types == {
        "banner.png": "image",
        "welcome.mp3": "audio",
        "rayons.csv": "file",
        "census.csv": "file",
        "ayils.csv": "file",
    }
    assert set(form.media) == set(form.media_types)
    rayon = form.schema.field_by_path("/data/rayon")
    assert rayon is not None and rayon.itemset_file == "rayons.csv" and rayon.is_select_one


def test_an_entities_sheet_is_read_into_an_entity_declaration() -> None:
    entity_form = """
| survey   |
|          | type | name     | label    | save_to  |
|          | text | village  | Village  | village  |
|          | text | head     | Head     | head     |
| entities |
|          | list_name   | label      |
|          | settlements | ${village} |
"""
    form = convert_md(entity_form)

    assert form.entity is not None
    assert (form.entity.dataset, form.entity.creates, form.entity.updates) == (
        "settlements",
        True,
        False,
    )
    assert form.entity.properties == ("village", "head")


def test_a_sensitive_setting_marks_the_form_sensitive() -> None:
    sensitive = (
        PLAIN
        + """
| settings |
|          | form_id  | sensitive |
|          | incident | yes       |
"""
    )
    assert convert_md(sensitive).sensitive is True
    assert convert_md(sensitive).schema.sensitive is True
    assert convert_md(PLAIN).sensitive is False


def test_a_raw_xform_upload_is_kept_byte_for_byte_and_read_like_its_xlsform() -> None:
    from_xlsform = convert_md(TRILINGUAL)
    xml = b"<?xml version='1.0'?>\n<!-- hand edited -->\n" + from_xlsform.xform.split(b"?>", 1)[1]

    from_xml = convert_definition(xml, "open_day.xml")

    assert from_xml.xform == xml
    assert from_xml.source_format == ".xml"
    assert (from_xml.xml_form_id, from_xml.version) == ("open_day", "2024-1")
    assert [f.path for f in from_xml.schema.walk()] == [f.path for f in from_xlsform.schema.walk()]
    assert [f.type for f in from_xml.schema.walk()] == [f.type for f in from_xlsform.schema.walk()]
    assert from_xml.schema.languages == from_xlsform.schema.languages
    assert from_xml.schema.children[0] == from_xlsform.schema.children[0]


def test_a_raw_xform_without_a_form_id_is_invalid() -> None:
    xml = convert_md(PLAIN).xform.replace(b' id="form"', b"")

    with pytest.raises(XLSFormInvalid, match="no id"):
        convert_definition(xml, "form.xml")


def test_the_xform_is_exactly_what_pyxforms_convert_produces() -> None:
    from pathlib import Path

    from pyxform.xls2xform import convert

    workbook = Path(__file__).resolve().parents[2] / "forms" / "examples" / "incident_report.xlsx"
    for content, filename in ((TRILINGUAL.encode(), "form.md"), (workbook.read_bytes(), "x.xlsx")):
        expected = convert(content, validate=False)
        form = convert_definition(content, filename)
        assert form.xform == expected.xform.encode("utf-8")
        assert form.warnings == tuple(expected.warnings)


def test_the_fallback_form_id_names_the_form_as_a_file_stem_would() -> None:
    from pyxform.xls2xform import convert

    named = PLAIN + "| settings |\n| | form_id |\n| | household_survey |\n"
    form = convert_md(PLAIN, form_id_fallback="household_survey")
    assert form.xform == convert(named.encode(), validate=False).xform.encode("utf-8")
