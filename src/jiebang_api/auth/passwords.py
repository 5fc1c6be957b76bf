"""Password and secret hashing with argon2id, off the event loop.

Each hash or check costs a CPU-heavy fraction of a second; argon2 releases the interpreter
lock, so running it in a worker thread keeps every other request of the process moving.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def _verify(secret_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


async def hash_secret(secret: str) -> str:
    return await asyncio.to_thread(_hasher.hash, secret)


async def verify_secret(secret_hash: str, secret: str) -> bool:
    """True when `secret` matches; never raises for a wrong or damaged hash."""
    return await asyncio.to_thread(_verify, secret_hash, secret)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("no-such-account-placeholder")


async def check_or_pretend(secret_hash: str | None, secret: str) -> bool:
    """Verify against `secret_hash`, or do the same work for nothing when there is none,
    so a missing account answers no faster than a wrong password."""
    if secret_hash is None:
        await verify_secret(_dummy_hash(), secret)
        return False
    return await verify_secret(secret_hash, secret)
