"""Every pyxform example workbook and XForm either converts or is refused with a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms.convert import convert_definition
from forms.errors import WorkbookTooLarge, XLSFormInvalid

EXAMPLES_DIR = Path("/work/shared/conformance/pyxform-examples")
FORMATS = (".xls", ".xlsx", ".csv", ".md", ".xml")
# Known outcomes, so a change in what converts shows up as a failing test id.
REFUSED = {
    "fruits.csv",  # a pulldata CSV, not an XLSForm
    "gps.csv",  # a question without label or hint
    "unknown_question_type.xls",  # two aliases of the relevant column
    *(f"include{suffix}.{ext}" for suffix in ("", "_json") for ext in ("csv", "md", "xls", "xlsx")),
}
EXAMPLES = (
    sorted(p for p in EXAMPLES_DIR.glob("*") if p.suffix in FORMATS and p.name != "README.md")
    if EXAMPLES_DIR.is_dir()
    else []
)


def _outcome(path: Path) -> str:
    return "refused" if path.name in REFUSED else "converts"


@pytest.mark.skipif(not EXAMPLES, reason="pyxform examples not available")
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
