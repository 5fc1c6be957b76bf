"""The webhook retry schedule (`integration.retry`): attempt n → delay, the jitter's bound,
determinism given a random source, and `Retry-After` in both of its forms."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from jiebang_api.integration import retry

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
EXPECTED = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]


@pytest.mark.parametrize(("attempt", "base"), list(enumerate(EXPECTED, start=1)))
def test_each_attempt_waits_its_delay_stretched_by_at_most_the_jitter(
    attempt: int, base: timedelta
) -> None:
    assert retry.delay(attempt, lambda: 0.0) == base
    longest = retry.delay(attempt, lambda: 0.999999)
    assert longest is not None
    assert base <= longest <= base * (1 + retry.JITTER)


def test_the_eighth_attempt_is_the_last() -> None:
    assert retry.MAX_ATTEMPTS == 8
    assert retry.delay(8, lambda: 0.5) is None
    assert retry.next_delay(8, random=lambda: 0.5, asked=timedelta(hours=1)) is None


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        retry.delay(0, lambda: 0.0)


def test_delays_grow_and_the_same_source_gives_the_same_delays() -> None:
    source, same = random.Random(7), random.Random(7)  # noqa: S311 - jitter, not secrets
    first = [retry.delay(n, source.random) for n in range(1, 8)]
    again = [retry.delay(n, same.random) for n in range(1, 8)]
    assert first == again
    assert all(d is not None for d in first)
    distinct = first[:6]  # the last two bases are equal: their jitter decides
    assert distinct == sorted(distinct, key=lambda d: d or timedelta(0))


def test_retry_after_seconds_and_http_dates() -> None:
    assert retry.retry_after("120", now=NOW) == timedelta(seconds=120)
    assert retry.retry_after("Mon, 07 Dec 2026 09:00:00 GMT", now=NOW) == timedelta(hours=1)
    assert retry.retry_after("Mon, 07 Dec 2026 07:00:00 GMT", now=NOW) == timedelta(0)
    assert retry.retry_after("999999999", now=NOW) == retry.RETRY_AFTER_CAP
    assert retry.retry_after("soon", now=NOW) is None
    assert retry.retry_after(None, now=NOW) is None


def test_retry_after_counts_only_when_longer_than_the_schedule() -> None:
    no_jitter = lambda: 0.0  # noqa: E731
    assert retry.next_delay(1, random=no_jitter, asked=timedelta(minutes=2)) == timedelta(minutes=2)
    assert retry.next_delay(2, random=no_jitter, asked=timedelta(seconds=1)) == timedelta(minutes=5)
    assert retry.next_delay(1, random=no_jitter) == timedelta(seconds=5)
