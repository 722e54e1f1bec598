"""Every pyxform example workbook and XForm either converts or is refused with a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms.convert import convert_definition
from forms.errors import WorkbookTooLarge, XLSFormInvalid
from tests.fixtures import XLSFORMS, pyxform_examples

FORMATS = (".xls", ".xlsx", ".csv", ".md", ".xml")
# Known outcomes, so a change in what converts shows up as a failing test id.
REFUSED = {
    "fruits.csv",  # a pulldata CSV, not an XLSForm
    "gps.csv",  # a question without label or hint
    "unknown_question_type.xls",  # two aliases of the relevant column
    *(f"include{suffix}.{ext}" for suffix in ("", "_json") for ext in ("csv", "md", "xls", "xlsx")),
}
EXAMPLES = [p for p in pyxform_examples() if p.suffix in FORMATS and p.name != "README.md"]


def _outcome(path: Path) -> str:
    return "refused" if path.name in REFUSED else "converts"


@pytest.mark.skipif(not EXAMPLES, reason="../shared/conformance/pyxform-examples is absent")
@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.name}-{_outcome(p)}" for p in EXAMPLES])
def test_each_pyxform_example_converts_or_is_refused_with_a_message(path: Path) -> None:
    try:
        form = convert_definition(path.read_bytes(), path.name)
    except (XLSFormInvalid, WorkbookTooLarge) as refused:
        assert _outcome(path) == "refused", str(refused)
        assert str(refused).strip()
        return
    assert _outcome(path) == "converts"
    assert form.xml_form_id and b"<h:html" in form.xform
    assert list(form.schema.walk())


@pytest.mark.parametrize("suffix", [".xls", ".csv", ".md"])
def test_the_shipped_xls_csv_and_md_fixtures_convert_to_the_same_xform(suffix: str) -> None:
    path = XLSFORMS / f"group{suffix}"
    form = convert_definition(path.read_bytes(), path.name)
    assert form.source_format == suffix
    assert form.xml_form_id == "group"  # no settings sheet: named after the file
    assert [f.path for f in form.schema.walk() if not f.is_group][:3] == [
        "/data/family_name", "/data/father/phone_number", "/data/father/age",
    ]  # fmt: skip
    reference = XLSFORMS / "group.md"
    assert form.xform == convert_definition(reference.read_bytes(), reference.name).xform


def test_the_fixtures_are_read_by_their_bytes_not_their_file_name() -> None:
    for suffix in (".xls", ".csv", ".md"):
        form = convert_definition((XLSFORMS / f"group{suffix}").read_bytes(), "upload")
        assert form.source_format == suffix
