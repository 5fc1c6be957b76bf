"""Standard Webhooks signatures (pure, over the `standardwebhooks` library's HMAC).

A delivery carries three headers: `webhook-id` (the event's id, the same on every retry),
`webhook-timestamp` (Unix seconds) and `webhook-signature`: for each valid secret,
`v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), separated by spaces. The key
is the secret's part after `whsec_`, base64-decoded. After a rotation the previous secret
stays valid for `OVERLAP` (24 h), so a delivery is signed with both and a receiver that
still holds the old secret verifies it all the same.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
SECRET_BYTES = 32
OVERLAP = timedelta(hours=24)
# How far a receiver lets `webhook-timestamp` stray from its own clock (replays, skew).
TOLERANCE = timedelta(minutes=5)
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


class Secrets(Protocol):
    """What signing needs of a subscription."""

    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None


class SignatureInvalid(Exception):
    """A delivery that does not verify: headers missing, a stale timestamp, no signature."""


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes (`secrets`)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def rotated(subscription: Secrets, now: datetime) -> tuple[str, str, datetime]:
    """A rotation: the new secret, and the current one as the previous, valid `OVERLAP`."""
    return new_secret(), subscription.secret, now + OVERLAP


def signing_secrets(subscription: Secrets, now: datetime) -> list[str]:
    """The secrets to sign with at `now`: the current one, and the previous one while its
    overlap lasts."""
    found = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and now < expires:
        found.append(subscription.previous_secret)
    return found


def signature(secret: str, *, message_id: str, timestamp: datetime, body: bytes) -> str:
    """One `v1,<base64>` signature of `body` under `secret`."""
    return Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body)


def headers(
    secrets_: Sequence[str], *, message_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers of a delivery signed with every secret given."""
    if not secrets_:
        raise ValueError("a delivery needs at least one secret to sign with")
    signatures = [
        signature(secret, message_id=message_id, timestamp=timestamp, body=body)
        for secret in secrets_
    ]
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(int(timestamp.timestamp())),
        SIGNATURE_HEADER: " ".join(signatures),
    }


def verify(
    secret: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
    tolerance: timedelta = TOLERANCE,
) -> None:
    """What a receiver does: raise `SignatureInvalid` unless the headers are complete, the
    timestamp is within `tolerance` of `now` and one of the `v1` signatures is `body`'s under
    `secret` (compared in constant time)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get(ID_HEADER)
    stamp = lowered.get(TIMESTAMP_HEADER)
    given = lowered.get(SIGNATURE_HEADER)
    if not (message_id and stamp and given):
        raise SignatureInvalid("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = datetime.fromtimestamp(int(stamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureInvalid("webhook-timestamp is not Unix seconds") from None
    if abs(now - timestamp) > tolerance:
        raise SignatureInvalid("webhook-timestamp is too far from now")
    expected = signature(secret, message_id=message_id, timestamp=timestamp, body=body).encode()
    if not any(hmac.compare_digest(expected, part.encode()) for part in given.split(" ")):
        raise SignatureInvalid("no signature matches")
