"""Rate limits on moving windows, counted in memory or in Redis (the `limits` library)."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from jiebang_api.kit.errors import RateLimited


class RateLimiter:
    """`check` refuses when a key is over its limit; `hit` counts one event against it."""

    def __init__(self, storage_url: str) -> None:
        storage = storage_from_string(storage_url)
        self._limiter = MovingWindowRateLimiter(storage)

    async def check(self, limit: str, *keys: str) -> None:
        """Raise `RateLimited` (with seconds to wait) when `keys` already used up `limit`."""
        item = parse(limit)
        if not await self._limiter.test(item, *keys):
            stats = await self._limiter.get_window_stats(item, *keys)
            raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())))

    async def hit(self, limit: str, *keys: str) -> None:
        """Count one event; raise `RateLimited` when it is over the limit."""
        item = parse(limit)
        if not await self._limiter.hit(item, *keys):
            stats = await self._limiter.get_window_stats(item, *keys)
            raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())))

    async def clear(self, limit: str, *keys: str) -> None:
        """Forget the events counted for `keys`."""
        await self._limiter.clear(parse(limit), *keys)
