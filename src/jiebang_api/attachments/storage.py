"""Where attachment bytes live. Services see only the `Storage` protocol; `LocalStorage` keeps
files under a directory. An S3-compatible store can implement the same four methods."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Protocol

# Relative, forward slashes, no empty / dot segments: the same keys work on any backend.
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


class StorageError(Exception):
    """A key that is not acceptable to the store."""


class ObjectMissing(LookupError):
    """No object is stored under the key."""


class Storage(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def keys_written_before(self, cutoff: datetime) -> list[str]:
        """Every stored key last written before `cutoff` (and partial writes that old are
        discarded)."""
        ...


def new_key() -> str:
    """A fresh key, sharded so no directory grows large: `ab/cd/abcd…` (a uuid4 in hex)."""
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name[2:4]}/{name}"


class LocalStorage:
    """Files under `root`, one per key; writes are atomic (temporary file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, key: str) -> Path:
        """The file of `key`; refuses keys that are malformed or would leave the root."""
        if not _SAFE_KEY.fullmatch(key) or ".." in key.split("/"):
            raise StorageError(f"unacceptable storage key: {key!r}")
        root = self.root.resolve()
        path = (root / key).resolve()
        if not path.is_relative_to(root) or path == root:
            raise StorageError(f"storage key leaves the root: {key!r}")
        return path

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, self.path_of(key), data)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get, self.path_of(key), key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_of(key).unlink, missing_ok=True)

    async def keys_written_before(self, cutoff: datetime) -> list[str]:
        return await asyncio.to_thread(self._keys_written_before, cutoff.timestamp())

    def _keys_written_before(self, cutoff: float) -> list[str]:
        keys = []
        for path in self.root.rglob("*") if self.root.is_dir() else ():
            try:
                if not path.is_file() or path.stat().st_mtime >= cutoff:
                    continue
            except FileNotFoundError:  # removed meanwhile
                continue
            if path.name.startswith("."):  # a write that a killed process never finished
                path.unlink(missing_ok=True)
                continue
            key = path.relative_to(self.root).as_posix()
            if _SAFE_KEY.fullmatch(key):
                keys.append(key)
        return keys

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        try:
            with open(temporary, "xb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    @staticmethod
    def _get(path: Path, key: str) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(key) from None
