"""Hybrid logical clocks: wire format, ordering, monotonicity and the server's skew cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.hlc import (
    MAX_COUNTER,
    MAX_WALL_MS,
    Clock,
    HLCFormatError,
    Timestamp,
    cap_remote,
)

node_ids = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=12,
).filter(lambda s: not any(c.isspace() for c in s))
timestamps = st.builds(
    Timestamp,
    wall_ms=st.integers(0, MAX_WALL_MS),
    counter=st.integers(0, MAX_COUNTER),
    node_id=node_ids,
)
NOW = 1_764_450_000_000


class FakeWallClock:
    """A wall clock the test sets by hand."""

    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def test_a_timestamp_encodes_as_the_documented_wire_format() -> None:
    assert Timestamp(1764450000000, 3, "phone-7").encode() == "1764450000000-00003-phone-7"


def test_a_node_id_containing_dashes_parses_back() -> None:
    assert Timestamp.parse("1764450000000-00003-phone-7-b") == Timestamp(
        1764450000000, 3, "phone-7-b"
    )


@given(timestamps)
def test_parse_of_encode_gives_back_the_timestamp(t: Timestamp) -> None:
    assert Timestamp.parse(t.encode()) == t


@given(timestamps, timestamps)
def test_hlc_string_order_equals_timestamp_order(a: Timestamp, b: Timestamp) -> None:
    assert (a.encode() < b.encode()) == (a < b)
    assert (a.encode() == b.encode()) == (a == b)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1764450000000-00003-",
        "1764450000000-00003",
        "176445000000-00003-phone",
        "17644500000000-00003-phone",
        "1764450000000-0003-phone",
        "1764450000000-000003-phone",
        "1764450000000_00003_phone",
        "-764450000000-00003-phone",
        "1764450000000-00003-pho ne",
        "1764450000000-00003-phone\n",
        "１764450000000-00003-phone",
    ],
)
def test_a_malformed_hlc_is_refused(text: str) -> None:
    with pytest.raises(HLCFormatError):
        Timestamp.parse(text)


def test_a_malformed_hlc_is_also_a_value_error() -> None:
    with pytest.raises(ValueError):
        Timestamp.parse("yesterday")


def test_a_counter_beyond_five_digits_is_refused() -> None:
    with pytest.raises(HLCFormatError):
        Timestamp(NOW, MAX_COUNTER + 1, "phone")


def test_tick_follows_the_wall_clock() -> None:
    wall = FakeWallClock()
    clock = Clock("phone-1", wall)

    assert clock.tick() == Timestamp(NOW, 0, "phone-1")
    wall.now += 5
    assert clock.tick() == Timestamp(NOW + 5, 0, "phone-1")


def test_tick_keeps_increasing_when_the_wall_clock_goes_backwards() -> None:
    wall = FakeWallClock()
    clock = Clock("phone-1", wall)
    first = clock.tick()
    wall.now -= 60_000

    second, third = clock.tick(), clock.tick()

    assert first < second < third
    assert second == Timestamp(NOW, 1, "phone-1")


def test_receive_moves_past_a_remote_timestamp_ahead_of_the_local_clock() -> None:
    clock = Clock("server", FakeWallClock())
    remote = Timestamp(NOW + 1_000, 7, "phone-1")

    merged = clock.receive(remote)

    assert merged == Timestamp(NOW + 1_000, 8, "server")
    assert clock.tick() > merged


def test_receive_of_an_older_timestamp_still_advances_the_clock() -> None:
    wall = FakeWallClock()
    clock = Clock("server", wall)
    before = clock.tick()

    after = clock.receive(Timestamp(NOW - 10, 40, "phone-1"))

    assert after > before
    assert after.wall_ms == NOW


def test_receive_with_equal_walls_takes_the_larger_counter() -> None:
    clock = Clock("server", FakeWallClock(), last=Timestamp(NOW, 3, "server"))

    assert clock.receive(Timestamp(NOW, 9, "phone-1")) == Timestamp(NOW, 10, "server")


def test_a_counter_overflow_borrows_the_next_millisecond() -> None:
    clock = Clock("phone-1", FakeWallClock(), last=Timestamp(NOW, MAX_COUNTER, "phone-1"))

    assert clock.tick() == Timestamp(NOW + 1, 0, "phone-1")


def test_a_clock_resumes_after_its_last_timestamp() -> None:
    last = Timestamp(NOW + 500, 2, "phone-1")
    clock = Clock("phone-1", FakeWallClock(), last=last)

    assert clock.tick() > last
    assert clock.last > last


def test_a_device_clock_far_ahead_of_the_server_is_capped_and_flagged_skewed() -> None:
    a_year_ahead = Timestamp(NOW + 365 * 86_400_000, 4, "phone-1")

    capped = cap_remote(a_year_ahead, server_now_ms=NOW)

    assert capped.skewed
    assert capped.timestamp == Timestamp(NOW + 300_000, 4, "phone-1")


def test_a_device_clock_within_the_allowed_skew_is_kept() -> None:
    ahead = Timestamp(NOW + 299_999, 0, "phone-1")

    capped = cap_remote(ahead, server_now_ms=NOW)

    assert not capped.skewed
    assert capped.timestamp == ahead


def test_the_allowed_skew_is_configurable() -> None:
    ahead = Timestamp(NOW + 2_000, 0, "phone-1")

    assert cap_remote(ahead, server_now_ms=NOW, max_skew_ms=1_000).timestamp.wall_ms == NOW + 1_000
