"""Pure hash-chain arithmetic for audit entries (no I/O)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The fields covered by the hash, in this order. Changing the list breaks every chain.
HASHED_FIELDS = (
    "id",
    "resource_type",
    "resource_id",
    "resource_seq",
    "action",
    "actor_type",
    "actor_id",
    "from_state",
    "to_state",
    "reason",
    "request_id",
    "data",
    "occurred_at",
)
# Hashed too, but only when not None: entries written before these existed keep their hash.
HASHED_WHEN_SET = ("changes",)


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def canonical_bytes(entry: Mapping[str, Any]) -> bytes:
    """The entry's hashed fields as canonical JSON (sorted keys, no spaces, UTF-8)."""
    body = {name: _canonical_value(entry.get(name)) for name in HASHED_FIELDS}
    for name in HASHED_WHEN_SET:
        if entry.get(name) is not None:
            body[name] = _canonical_value(entry[name])
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Mapping[str, Any], prev_hash: str | None) -> str:
    """SHA-256 over the canonical entry followed by the previous link's hash."""
    digest = hashlib.sha256(canonical_bytes(entry))
    digest.update((prev_hash or "").encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    """The first entry of a chain whose stored hash or back-link does not add up."""

    entry_id: str
    resource_type: str
    resource_id: str
    resource_seq: int
    reason: str


def first_broken_link(chain: Iterable[Mapping[str, Any]]) -> BrokenLink | None:
    """Walk one resource's entries in `resource_seq` order; None when every link holds."""
    previous: str | None = None
    expected_seq = 1
    for entry in chain:
        reason = None
        if entry["resource_seq"] != expected_seq:
            reason = f"sequence gap: expected {expected_seq}, found {entry['resource_seq']}"
        elif entry["prev_hash"] != previous:
            reason = "prev_hash does not match the previous entry's hash"
        elif entry["hash"] != entry_hash(entry, previous):
            reason = "hash does not match the entry's content"
        if reason is not None:
            return BrokenLink(
                entry_id=str(entry["id"]),
                resource_type=entry["resource_type"],
                resource_id=entry["resource_id"],
                resource_seq=entry["resource_seq"],
                reason=reason,
            )
        previous = entry["hash"]
        expected_seq += 1
    return None
