"""Keys of a submission document that name the version (meta/instanceID and deprecatedID),
and which keys a device may write: a path inside the form's root, never one of those."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

_SEGMENT = re.compile(r"@?[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?")
_VERSION_META = re.compile(r"/[^/]+/meta/(?:instanceID|deprecatedID)")
_VERSION_KEY_ENDS = ("/meta/instanceID", "/meta/deprecatedID")


def sync_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """A version's document without the keys that name the version itself."""
    fields = dict(data)
    # Only keys ending so can name the version: the pattern runs on a few keys, not on all.
    for key in [k for k in fields if k.endswith(_VERSION_KEY_ENDS)]:
        if _VERSION_META.fullmatch(key):
            del fields[key]
    return fields


@lru_cache(maxsize=4096)
def field_key_refusal(key: str, root_name: str) -> tuple[str, str] | None:
    """Why a device may not write a field key (code, message), or None.

    A key must be a path inside the form's root, and not one of the keys naming a version,
    which the server sets. Cached: the same few keys recur in every op of a form.
    """
    root = f"/{root_name}/"
    segments = key[len(root):].split("/") if key.startswith(root) else []
    if not segments or not all(_SEGMENT.fullmatch(s) for s in segments):
        return "field_invalid", f"{key!r} is not a field path of this form."
    if _VERSION_META.fullmatch(key):
        return "field_reserved", f"{key!r} is set by the server."
    return None
