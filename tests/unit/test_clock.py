"""Injectable clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from jiebang_api.kit.clock import FixedClock, OffsetClock, SystemClock

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


def test_system_clock_is_aware_utc_and_current() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after


@pytest.mark.parametrize(
    "at",
    [
        T0,
        datetime(2025, 3, 1, 20, 0, tzinfo=BEIJING),
        datetime(2025, 3, 1, 7, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_fixed_clock_normalises_to_utc(at: datetime) -> None:
    now = FixedClock(at).now()
    assert now == T0
    assert now.utcoffset() == timedelta(0)
    assert (now.hour, now.minute) == (12, 0)


def test_fixed_clock_stands_still() -> None:
    clock = FixedClock(T0)
    assert clock.now() == clock.now() == T0


def test_fixed_clock_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2025, 3, 1, 12, 0))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([timedelta(hours=1)], T0 + timedelta(hours=1)),
        ([timedelta(days=1), timedelta(seconds=30)], T0 + timedelta(days=1, seconds=30)),
        ([timedelta(hours=2), timedelta(hours=-3)], T0 - timedelta(hours=1)),
        ([timedelta(0)], T0),
    ],
)
def test_fixed_clock_advance_accumulates(steps: list[timedelta], expected: datetime) -> None:
    clock = FixedClock(T0)
    for step in steps:
        clock.advance(step)
    assert clock.now() == expected
    assert clock.now().utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "offset", [timedelta(0), timedelta(days=30), timedelta(hours=-6), timedelta(microseconds=1)]
)
def test_offset_clock_adds_offset_to_base(offset: timedelta) -> None:
    base = FixedClock(T0)
    clock = OffsetClock(base, offset)
    assert clock.now() == T0 + offset
    base.advance(timedelta(minutes=5))
    assert clock.now() == T0 + timedelta(minutes=5) + offset  # follows its base


def test_offset_clock_over_system_clock_is_aware_and_shifted() -> None:
    offset = timedelta(days=365)
    before = datetime.now(UTC) + offset
    now = OffsetClock(SystemClock(), offset).now()
    after = datetime.now(UTC) + offset
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= after
