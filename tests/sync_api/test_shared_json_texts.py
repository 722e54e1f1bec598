"""Values most rows share are bound by a text encoded once: the text is json.dumps's, and only
values exactly equal (types and key order included) are given it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from server.models import SubmissionDef, SyncOp
from server.services.row_insert import _processed
from server.services.sync_push import _CLEAN_RESULT, _is_clean
from server.services.sync_submissions import _VALID_TEXT, _plainly_valid


class _Text(str):
    pass


def test_the_shared_texts_are_json_dumps() -> None:
    assert _CLEAN_RESULT.text == json.dumps({"conflicts": [], "error": None})
    assert _VALID_TEXT.text == json.dumps({"status": "valid", "issues": [], "notChecked": []})


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()])
def test_an_encoded_value_binds_as_its_text(dialect: Any) -> None:
    for table, name, value in [(SyncOp.__table__, "result", _CLEAN_RESULT),
                               (SubmissionDef.__table__, "validation", _VALID_TEXT)]:
        rows = [{name: value}, {name: {"a": 1}}]
        assert list(_processed(table, [name], rows, dialect)) == [[value.text], ['{"a": 1}']]


def test_only_the_exact_clean_result_is_shared() -> None:
    assert _is_clean({"conflicts": [], "error": None})
    for other in [{"error": None, "conflicts": []}, {"conflicts": (), "error": None},
                  {"conflicts": [{}], "error": None}, {"conflicts": [], "error": False},
                  {"conflicts": [], "error": None, "x": 1}, {"conflicts": []}, {}]:
        assert not _is_clean(other), other


def test_only_the_exact_valid_outcome_is_shared() -> None:
    assert _plainly_valid({"status": "valid", "issues": [], "notChecked": []})
    for other in [{"issues": [], "status": "valid", "notChecked": []},
                  {"status": _Text("valid"), "issues": [], "notChecked": []},
                  {"status": "invalid", "issues": [], "notChecked": []},
                  {"status": "valid", "issues": (), "notChecked": []},
                  {"status": "valid", "issues": [], "notChecked": [{}]},
                  {"status": "valid", "issues": []}]:
        assert not _plainly_valid(other), other
