"""Rate limits and failure throttles, counted in memory or in Redis (the `limits` library).

Two kinds of counters share one storage, so several processes on one Redis see the same:

- `check` / `hit` / `clear`: an allowance on a moving window (say, 20 registrations an hour).
- `reserve` / `release` and `reserve_with_backoff` / `reset_backoff`: failures. An attempt
  whose outcome is not known yet is counted *before* it runs (counters are atomic), so
  attempts sent together cannot all slip under a limit; an attempt that turns out fine takes
  its count back. Failures beyond a free number make the next attempt wait, the wait doubling
  from one second up to a cap (`Backoff`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from jiebang_api.kit.errors import RateLimited

NAMESPACE = "jiebang"
_MAX_DOUBLINGS = 30  # 2**30 s is past any cap; keeps the shift small


@dataclass(frozen=True)
class Backoff:
    """`limit` ("5/15minutes"): this many failures are free, and failures are remembered for
    the window after the first one. Failure n > free makes the next attempt wait
    2**(n - free - 1) seconds (1, 2, 4 …), at most `max_delay`."""

    limit: str
    max_delay: int = 60

    def delay_after(self, failures: int) -> int:
        """Seconds the next attempt waits once `failures` failures are counted (0: none)."""
        beyond = failures - parse(self.limit).amount
        if beyond <= 0:
            return 0
        return min(self.max_delay, 1 << min(beyond - 1, _MAX_DOUBLINGS))


class RateLimiter:
    """`check` refuses when a key is over its limit; `hit` counts one event against it."""

    def __init__(self, storage_url: str) -> None:
        storage = storage_from_string(storage_url)
        if not isinstance(storage, Storage):
            raise ValueError(f"rate limits need an async storage (async+…://), not {storage_url}")
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    async def check(self, limit: str, *keys: str) -> None:
        """Raise `RateLimited` (with seconds to wait) when `keys` already used up `limit`."""
        item = parse(limit)
        if not await self._limiter.test(item, *keys):
            stats = await self._limiter.get_window_stats(item, *keys)
            raise RateLimited(_seconds_until(stats.reset_time))

    async def hit(self, limit: str, *keys: str) -> None:
        """Count one event; raise `RateLimited` when it is over the limit."""
        item = parse(limit)
        if not await self._limiter.hit(item, *keys):
            stats = await self._limiter.get_window_stats(item, *keys)
            raise RateLimited(_seconds_until(stats.reset_time))

    async def clear(self, limit: str, *keys: str) -> None:
        """Forget the events counted for `keys`."""
        await self._limiter.clear(parse(limit), *keys)

    # failures, counted before they are known --------------------------------------------

    async def reserve(self, limit: str, *keys: str) -> None:
        """Count a possible failure against `limit` (a fixed window from the first one);
        over the limit, take it back and raise `RateLimited` until the window ends."""
        item = parse(limit)
        key = _failures_key(item, keys)
        if await self._storage.incr(key, item.get_expiry()) > item.amount:
            await self._storage.incr(key, item.get_expiry(), amount=-1)
            raise RateLimited(_seconds_until(await self._storage.get_expiry(key)))

    async def release(self, limit: str, *keys: str) -> None:
        """Take back a reservation: the attempt did not fail."""
        item = parse(limit)
        await self._storage.incr(_failures_key(item, keys), item.get_expiry(), amount=-1)

    async def reserve_with_backoff(self, backoff: Backoff, *keys: str) -> None:
        """Count a possible failure for `keys`, or raise `RateLimited` while they must wait.

        An attempt beyond the free failures also takes the wait that its failure would start
        (a lock expiring after the delay): one attempt at a time gets through, and the next
        only once the delay has passed. A success clears both (`reset_backoff`).
        """
        item = parse(backoff.limit)
        failures_key, lock_key = _failures_key(item, keys), _lock_key(keys)
        if await self._storage.get(lock_key) > 0:
            raise RateLimited(_seconds_until(await self._storage.get_expiry(lock_key)))
        failures = await self._storage.incr(failures_key, item.get_expiry())
        delay = backoff.delay_after(failures)
        if delay and await self._storage.incr(lock_key, delay) > 1:
            # another attempt took the lock first: this one is refused and never ran
            await self._storage.incr(failures_key, item.get_expiry(), amount=-1)
            raise RateLimited(_seconds_until(await self._storage.get_expiry(lock_key)))

    async def reset_backoff(self, backoff: Backoff, *keys: str) -> None:
        """Forget the failures counted for `keys` and any wait they started."""
        await self._storage.clear(_failures_key(parse(backoff.limit), keys))
        await self._storage.clear(_lock_key(keys))


def _failures_key(item: RateLimitItem, keys: tuple[str, ...]) -> str:
    return "/".join((NAMESPACE, "failures", item.key_for(*keys)))


def _lock_key(keys: tuple[str, ...]) -> str:
    return "/".join((NAMESPACE, "wait", *keys))


def _seconds_until(moment: float) -> int:
    """Whole seconds from now until `moment` (an epoch time), at least one."""
    return max(1, math.ceil(moment - time.time()))
