"""Standard Webhooks signatures (pure): the spec's own test vector, signing with every valid
secret, the rotation overlap, and what a receiver's verification refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from jiebang_api.integration import signing
from jiebang_api.integration.signing import SignatureInvalid

# The test vector of the Standard Webhooks reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = datetime.fromtimestamp(1614265330, UTC)
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
BODY = b'{"type":"project.created","data":{"project_id":"5a6b"}}'


@dataclass
class Subscription:
    secret: str
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None


def test_the_specification_vector_signs_as_published() -> None:
    made = signing.signature(
        SPEC_SECRET, message_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY
    )
    assert made == SPEC_SIGNATURE


def test_the_signature_is_hmac_sha256_over_id_timestamp_and_body_with_the_decoded_key() -> None:
    key = base64.b64decode(SPEC_SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, f"{SPEC_ID}.1614265330.".encode() + SPEC_BODY, hashlib.sha256)
    assert "v1," + base64.b64encode(digest.digest()).decode() == SPEC_SIGNATURE


def test_a_new_secret_is_whsec_and_32_random_bytes_in_base64() -> None:
    made = {signing.new_secret() for _ in range(20)}
    assert len(made) == 20
    for secret in made:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


def test_the_headers_carry_the_id_the_timestamp_and_one_signature_per_secret() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    headers = signing.headers([first, second], message_id="evt_1", timestamp=NOW, body=BODY)
    assert headers["webhook-id"] == "evt_1"
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    parts = headers["webhook-signature"].split(" ")
    assert parts == [
        signing.signature(s, message_id="evt_1", timestamp=NOW, body=BODY) for s in (first, second)
    ]
    assert all(part.startswith("v1,") for part in parts)
    with pytest.raises(ValueError, match="at least one secret"):
        signing.headers([], message_id="evt_1", timestamp=NOW, body=BODY)


def test_only_the_current_secret_signs_without_a_rotation() -> None:
    assert signing.signing_secrets(Subscription("whsec_a"), NOW) == ["whsec_a"]


def test_after_a_rotation_both_secrets_sign_for_24_hours_then_only_the_new_one() -> None:
    subscription = Subscription(signing.new_secret())
    old = subscription.secret
    new, previous, expires_at = signing.rotated(subscription, NOW)
    assert previous == old
    assert new != old
    assert expires_at == NOW + timedelta(hours=24)
    subscription.secret, subscription.previous_secret = new, previous
    subscription.previous_secret_expires_at = expires_at
    assert signing.signing_secrets(subscription, NOW) == [new, old]
    assert signing.signing_secrets(subscription, NOW + timedelta(hours=23, minutes=59)) == [
        new,
        old,
    ]
    assert signing.signing_secrets(subscription, NOW + timedelta(hours=24)) == [new]


def test_a_receiver_holding_either_secret_verifies_a_delivery_during_the_overlap() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    headers = signing.headers([new, old], message_id="evt_2", timestamp=NOW, body=BODY)
    for secret in (old, new):
        signing.verify(secret, body=BODY, headers=headers, now=NOW + timedelta(seconds=3))
    with pytest.raises(SignatureInvalid, match="no signature matches"):
        signing.verify(signing.new_secret(), body=BODY, headers=headers, now=NOW)


def test_verification_accepts_the_specification_vector() -> None:
    headers = {"Webhook-Id": SPEC_ID, "Webhook-Timestamp": "1614265330"}
    headers["Webhook-Signature"] = f"v1,bm9wZQ== {SPEC_SIGNATURE}"
    signing.verify(SPEC_SECRET, body=SPEC_BODY, headers=headers, now=SPEC_TIMESTAMP)


def test_a_tampered_body_or_id_fails_verification() -> None:
    secret = signing.new_secret()
    headers = signing.headers([secret], message_id="evt_3", timestamp=NOW, body=BODY)
    with pytest.raises(SignatureInvalid):
        signing.verify(secret, body=BODY.replace(b"5a6b", b"5a6c"), headers=headers, now=NOW)
    with pytest.raises(SignatureInvalid):
        signing.verify(secret, body=BODY, headers={**headers, "webhook-id": "evt_4"}, now=NOW)


@pytest.mark.parametrize("skew", [timedelta(minutes=5, seconds=1), -timedelta(minutes=6)])
def test_a_timestamp_too_far_from_now_fails_verification(skew: timedelta) -> None:
    secret = signing.new_secret()
    headers = signing.headers([secret], message_id="evt_5", timestamp=NOW, body=BODY)
    with pytest.raises(SignatureInvalid, match="too far"):
        signing.verify(secret, body=BODY, headers=headers, now=NOW + skew)
    signing.verify(secret, body=BODY, headers=headers, now=NOW + timedelta(minutes=5))


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_fails_verification(missing: str) -> None:
    secret = signing.new_secret()
    headers = signing.headers([secret], message_id="evt_6", timestamp=NOW, body=BODY)
    del headers[missing]
    with pytest.raises(SignatureInvalid, match="missing"):
        signing.verify(secret, body=BODY, headers=headers, now=NOW)


def test_a_timestamp_that_is_no_number_fails_verification() -> None:
    secret = signing.new_secret()
    headers = signing.headers([secret], message_id="evt_7", timestamp=NOW, body=BODY)
    with pytest.raises(SignatureInvalid, match="Unix seconds"):
        signing.verify(secret, body=BODY, headers={**headers, "webhook-timestamp": "soon"}, now=NOW)
