"""Byte-exact edits of a stored XForm: rewriting its version, and its OpenRosa hash."""

from __future__ import annotations

import hashlib
import re
from xml.sax.saxutils import quoteattr

import defusedxml.ElementTree as SafeET

from forms.xform import first_child

# The primary instance is the first <instance> of the model (ODK XForms spec).
_INSTANCE_START = re.compile(rb"<(?:[\w.-]+:)?instance(?=[\s/>])")
_VERSION_ATTR = re.compile(rb"""(\sversion\s*=\s*)("[^"]*"|'[^']*')""")
_SKIPPABLE = re.compile(rb"\s*(?:<!--.*?-->\s*)*", re.DOTALL)


def xform_md5(xform: bytes) -> str:
    """The OpenRosa form hash: the md5 of the XForm bytes, as lowercase hex."""
    return hashlib.md5(xform, usedforsecurity=False).hexdigest()


def set_form_version(xform: bytes, version: str) -> bytes:
    """The XForm with the primary instance root's `version` attribute set to `version`.

    Every other byte is left as it was, so the hash changes only because the version did.
    Raises ValueError when the XForm has no primary instance root to carry the version.
    """
    tag_start, tag_end = _primary_root_start_tag(xform)
    tag = xform[tag_start:tag_end]
    value = quoteattr(version).encode("utf-8")
    match = _VERSION_ATTR.search(tag)
    if match:
        new_tag = tag[: match.start(2)] + value + tag[match.end(2) :]
    else:
        closing = 2 if tag.endswith(b"/>") else 1
        new_tag = tag[:-closing] + b" version=" + value + tag[-closing:]
    result = xform[:tag_start] + new_tag + xform[tag_end:]
    if _root_version(result) != version:
        raise ValueError("Could not rewrite the version of this XForm.")
    return result


def _primary_root_start_tag(xform: bytes) -> tuple[int, int]:
    found = _INSTANCE_START.search(xform)
    if found is None:
        raise ValueError("The XForm has no <instance> element.")
    instance_end = _tag_end(xform, found.start())
    if xform[instance_end - 2 : instance_end] == b"/>":
        raise ValueError("The XForm's primary instance is empty.")
    root_at = _SKIPPABLE.match(xform, instance_end).end()  # type: ignore[union-attr]
    if not xform.startswith(b"<", root_at) or xform[root_at + 1 : root_at + 2] in (b"/", b"!"):
        raise ValueError("The XForm's primary instance has no root element.")
    return root_at, _tag_end(xform, root_at)


def _tag_end(xform: bytes, start: int) -> int:
    """Index just past the '>' closing the tag at `start`, skipping quoted attribute values."""
    quote: int | None = None
    for index in range(start + 1, len(xform)):
        byte = xform[index]
        if quote is not None:
            if byte == quote:
                quote = None
        elif byte in (0x22, 0x27):  # " or '
            quote = byte
        elif byte == 0x3E:  # >
            return index + 1
    raise ValueError("The XForm ends inside a tag.")


def _root_version(xform: bytes) -> str | None:
    try:
        root = SafeET.fromstring(xform, forbid_dtd=True)
    except Exception:  # a failed rewrite shows up as unparseable XML
        return None
    model = first_child(first_child(root, "head"), "model")
    instance = first_child(model, "instance")
    primary_root = next(iter(instance), None) if instance is not None else None
    return primary_root.get("version") if primary_root is not None else None
