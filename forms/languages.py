"""Language codes from XLSForm/XForm language names such as "Kyrgyz (ky)"."""

from __future__ import annotations

import re

# XLSForm recommends "Name (code)" with an IANA subtag; accept region/script suffixes too.
_CODE_IN_NAME = re.compile(r"\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\s*\)\s*$")

DEFAULT_LANGUAGE_NAME = "default"


def language_code(name: str, default_language: str) -> str:
    """The code of an XForm language name: "Kyrgyz (ky)" -> "ky", "default" -> default_language.

    A name without a code in parentheses is kept as written (stripped), so that two
    differently named languages never collapse into one.
    """
    stripped = name.strip()
    if stripped == DEFAULT_LANGUAGE_NAME or not stripped:
        return default_language
    match = _CODE_IN_NAME.search(stripped)
    if match:
        return match.group(1).replace("_", "-")
    return stripped
