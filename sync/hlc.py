"""Hybrid logical clocks (Kulkarni et al. 2014) with Kenesh's sortable wire format."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "MAX_COUNTER",
    "MAX_WALL_MS",
    "CappedTimestamp",
    "Clock",
    "ClockOverflowError",
    "HLCFormatError",
    "Timestamp",
    "cap_remote",
]

# Both numbers are zero-padded to a fixed width in the wire format; that fixed width is what
# makes plain string comparison agree with timestamp comparison, so the ranges are hard limits.
MAX_WALL_MS = 9_999_999_999_999
MAX_COUNTER = 99_999
DEFAULT_MAX_SKEW_MS = 300_000

_WIRE = re.compile(r"([0-9]{13})-([0-9]{5})-(.+)", re.ASCII | re.DOTALL)
_BAD_NODE_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")
# _WIRE and the node check in one: a match is a valid timestamp (13 and 5 digits are always in
# range, and \s here is Unicode's, as in _BAD_NODE_CHAR), so it is built without re-checking.
_VALID_WIRE = re.compile(r"([0-9]{13})-([0-9]{5})-([^\s\x00-\x1f\x7f]+)", re.DOTALL)


class HLCFormatError(ValueError):
    """A timestamp string or component that is not a valid Kenesh HLC."""


class ClockOverflowError(RuntimeError):
    """The clock cannot advance: the wall component reached the largest encodable value."""


@dataclass(frozen=True, order=True, slots=True)
class Timestamp:
    """One HLC reading; ordered by (wall_ms, counter, node_id), exactly like its encoding."""

    wall_ms: int
    counter: int
    node_id: str

    def __post_init__(self) -> None:
        if type(self.wall_ms) is not int or not 0 <= self.wall_ms <= MAX_WALL_MS:
            raise HLCFormatError(f"wall_ms out of range: {self.wall_ms!r}")
        if type(self.counter) is not int or not 0 <= self.counter <= MAX_COUNTER:
            raise HLCFormatError(f"counter out of range: {self.counter!r}")
        if not isinstance(self.node_id, str) or not self.node_id:
            raise HLCFormatError("node_id must be a non-empty string")
        if _BAD_NODE_CHAR.search(self.node_id):
            raise HLCFormatError(
                f"node_id contains whitespace or control characters: {self.node_id!r}"
            )

    def encode(self) -> str:
        """Return the wire form, e.g. ``1764450000000-00003-phone-7``."""
        return f"{self.wall_ms:013d}-{self.counter:05d}-{self.node_id}"

    def __str__(self) -> str:
        return self.encode()

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        """Parse the wire form strictly; raise HLCFormatError on anything else."""
        if not isinstance(text, str):
            raise HLCFormatError(f"an HLC must be a string, not {type(text).__name__}")
        return _parse_wire(text)


@dataclass(frozen=True, slots=True)
class CappedTimestamp:
    """A device timestamp after the server's skew cap; ``skewed`` says the cap was needed."""

    timestamp: Timestamp
    skewed: bool


def cap_remote(
    remote: Timestamp, server_now_ms: int, max_skew_ms: int = DEFAULT_MAX_SKEW_MS
) -> CappedTimestamp:
    """Cap a device timestamp at ``server_now_ms + max_skew_ms``.

    A phone whose clock runs a year ahead would otherwise win every concurrent edit. The counter
    and node are kept so that ops of the same skewed device still have distinct timestamps.
    """
    limit = min(server_now_ms + max_skew_ms, MAX_WALL_MS)
    if remote.wall_ms <= limit:
        return CappedTimestamp(remote, skewed=False)
    return CappedTimestamp(Timestamp(limit, remote.counter, remote.node_id), skewed=True)


class Clock:
    """A node's hybrid logical clock: monotonic, close to physical time, causally consistent.

    Not thread-safe: a server keeps one per writer and advances it inside its transaction.
    """

    def __init__(
        self, node_id: str, now_ms: Callable[[], int], last: Timestamp | None = None
    ) -> None:
        self._node_id = Timestamp(0, 0, node_id).node_id  # validates the node id
        self._now_ms = now_ms
        self._wall = last.wall_ms if last else 0
        self._counter = last.counter if last else 0

    @property
    def last(self) -> Timestamp:
        """The latest timestamp issued (persist it to resume the clock after a restart)."""
        return Timestamp(self._wall, self._counter, self._node_id)

    def tick(self) -> Timestamp:
        """Timestamp a local or send event."""
        physical = self._now_ms()
        if physical > self._wall:
            return self._advance(physical, 0)
        return self._advance(self._wall, self._counter + 1)

    def receive(self, remote: Timestamp) -> Timestamp:
        """Merge a received timestamp so that the next reading is later than both clocks.

        A server caps device timestamps with ``cap_remote`` first, or one phone with a clock a
        year ahead would drag the server's clock, and every later write, along with it.
        """
        physical = self._now_ms()
        wall = max(self._wall, remote.wall_ms, physical)
        if wall == self._wall == remote.wall_ms:
            counter = max(self._counter, remote.counter) + 1
        elif wall == self._wall:
            counter = self._counter + 1
        elif wall == remote.wall_ms:
            counter = remote.counter + 1
        else:
            counter = 0
        return self._advance(wall, counter)

    def _advance(self, wall: int, counter: int) -> Timestamp:
        # A counter past five digits cannot be encoded; borrowing the next millisecond keeps the
        # clock monotonic at the price of running 1 ms ahead of physical time, which the next
        # physical tick absorbs.
        if counter > MAX_COUNTER:
            wall, counter = wall + 1, 0
        if wall > MAX_WALL_MS:
            raise ClockOverflowError("HLC wall time exceeds the encodable range")
        self._wall, self._counter = wall, counter
        return Timestamp(wall, counter, self._node_id)


@lru_cache(maxsize=4096)
def _parse_wire(text: str) -> Timestamp:
    # Cached: an op's timestamp is read several times while it is checked and applied.
    valid = _VALID_WIRE.fullmatch(text)
    if valid is not None:
        wall, counter, node_id = valid.groups()
        stamp = object.__new__(Timestamp)
        object.__setattr__(stamp, "wall_ms", int(wall))
        object.__setattr__(stamp, "counter", int(counter))
        object.__setattr__(stamp, "node_id", node_id)
        return stamp
    match = _WIRE.fullmatch(text)
    if match is None:
        raise HLCFormatError(f"not an HLC timestamp: {text!r}")
    wall, counter, node_id = match.groups()
    return Timestamp(int(wall), int(counter), node_id)
