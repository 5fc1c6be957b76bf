"""When a webhook delivery is tried again (pure).

After a failed attempt n (1 for the first) the next one waits `SCHEDULE[n - 1]`: 5 s, 5 min,
30 min, 2 h, 5 h, 10 h, 10 h; after the eighth attempt there is none (`failed`). Each delay
is stretched by a jitter of up to `JITTER` of itself (never shortened), drawn from the
random source given, so that receivers that came back are not all called at once, and tests
get the same delays from the same source. A `Retry-After` answer (seconds, or an HTTP date)
is honoured when it asks for longer than the schedule, up to `RETRY_AFTER_CAP`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
# The most attempts a delivery gets (the first and one per delay of the schedule).
MAX_ATTEMPTS = len(SCHEDULE) + 1
# A delay is stretched by at most JITTER of itself (to the microsecond).
JITTER = 0.1
RETRY_AFTER_CAP = timedelta(hours=24)

# Returns a float in [0, 1), as `random.Random().random`.
RandomSource = Callable[[], float]


def delay(attempt: int, random: RandomSource) -> timedelta | None:
    """How long after failed attempt `attempt` (1-based) the next one is due; None when it
    was the last."""
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    if attempt > len(SCHEDULE):
        return None
    base = SCHEDULE[attempt - 1]
    return base + base * (JITTER * random())


def retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """The wait a `Retry-After` header asks for (delay seconds or an HTTP date), capped at
    `RETRY_AFTER_CAP`; None when absent or not understood."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        wanted = timedelta(seconds=int(text[:9]))
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wanted = max(when - now, timedelta(0))
    return min(wanted, RETRY_AFTER_CAP)


def next_delay(
    attempt: int, *, random: RandomSource, asked: timedelta | None = None
) -> timedelta | None:
    """The schedule's delay after `attempt`, or the receiver's `asked` wait when longer;
    None when no attempt follows (the schedule's end is not extended by `Retry-After`)."""
    scheduled = delay(attempt, random)
    if scheduled is None:
        return None
    return max(scheduled, asked) if asked is not None else scheduled
