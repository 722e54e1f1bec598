"""Timestamp.parse's one-regex path builds exactly what the checked constructor builds, and
every text it does not match still fails (or parses) as the checked path says."""

from __future__ import annotations

import random

import pytest

from sync.hlc import _WIRE, HLCFormatError, Timestamp, _parse_wire

_NODE_CHARS = ["a", "Z", "-", "7", ":", "é", "\u00a0", "\u2028", "\u3000", " ", "\t", "\n",
               "\x00", "\x1f", "\x7f", "\x85", "\u200b", "\ufeff", "😀"]


def _checked(text: str) -> Timestamp:
    """The parse as it was before the shortcut: the wire pattern, then Timestamp's checks."""
    match = _WIRE.fullmatch(text)
    if match is None:
        raise HLCFormatError(f"not an HLC timestamp: {text!r}")
    wall, counter, node_id = match.groups()
    return Timestamp(int(wall), int(counter), node_id)


def _texts(count: int) -> list[str]:
    rng = random.Random(7)
    texts = ["9999999999999-99999-x", "0000000000000-00000-n", "1700000000000-00001-",
             "170000000000-00001-a", "1700000000000-0001-a", "1700000000000-00001-a\n",
             "１７00000000000-00001-a", "1700000000000_00001-a"]
    for _ in range(count):
        wall = "".join(rng.choice("0123456789") for _ in range(rng.choice([12, 13, 13, 14])))
        counter = "".join(rng.choice("0123456789") for _ in range(rng.choice([4, 5, 5, 6])))
        node = "".join(rng.choice(_NODE_CHARS) for _ in range(rng.randint(0, 4)))
        texts.append(f"{wall}-{counter}-{node}")
    return texts


@pytest.mark.parametrize("text", _texts(400))
def test_parse_agrees_with_the_checked_path(text: str) -> None:
    try:
        expected: Timestamp | str = _checked(text)
    except HLCFormatError as error:
        expected = str(error)
    _parse_wire.cache_clear()
    try:
        got: Timestamp | str = Timestamp.parse(text)
    except HLCFormatError as error:
        got = str(error)
    assert got == expected
    if isinstance(got, Timestamp):
        assert type(got) is Timestamp
        assert got.encode() == text
        assert (type(got.wall_ms), type(got.counter), type(got.node_id)) == (int, int, str)
