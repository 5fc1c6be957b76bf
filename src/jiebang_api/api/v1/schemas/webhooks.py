"""Bodies of webhook subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StrictBool, WithJsonSchema
from pydantic.config import JsonDict

from jiebang_api import wiring
from jiebang_api.api.v1.schemas.base import (
    NEXT_CURSOR,
    RequestBody,
    ResponseBody,
    example_cursor,
    optional,
)
from jiebang_api.integration.delivery import DeliveryStatus

# What the contract offers: every event type the service publishes, with what it means.
EVENT_TYPES = {event_class.type: event_class.summary for event_class in wiring.event_types()}
_TYPE_LINES = "\n".join(f"- `{name}`: {zh} / {en}" for name, (zh, en) in EVENT_TYPES.items())
EventType = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(EVENT_TYPES),
            "description": f"事件类型 / An event type:\n\n{_TYPE_LINES}",
        }
    ),
]
# A URL the service will call: http(s), a host (a name, an IPv4 address or a bracketed IPv6
# one) with an optional port, then an optional path with a query; ASCII only (a name in
# another script goes in its punycode form). Where the host resolves to is checked on receipt.
URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9._~%:\[\]-]+(/[\x21-\x7e]*)?$"
URL_DESCRIPTION = (
    "Where deliveries are POSTed. `https` in production (`http` too in dev and test), no "
    "user name or password. Its host must resolve, and to no loopback, private, link-local, "
    "carrier-grade NAT, multicast, reserved or cloud-metadata address (unless the service's "
    "allow-list names it): else 422 at `body.url`."
)
EVENT_TYPES_DESCRIPTION = "The event types to receive: at least one, each once."

EXAMPLE_SUBSCRIPTION: JsonDict = {
    "id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
    "url": "https://plan.example.gov.cn/hooks/jiebang",
    "event_types": ["listing.published", "project.created"],
    "description": "科技计划管理系统",
    "active": True,
    "previous_secret_expires_at": None,
    "created_at": "2026-12-07T08:00:00Z",
    "updated_at": "2026-12-07T08:00:00Z",
}
EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwC9OqRxQ2Ae8="  # noqa: S105 - an example


def _unique_without_default(schema: JsonDict) -> None:
    schema.pop("default", None)
    schema["uniqueItems"] = True


def _optional_unique(**kwargs: Any) -> Any:
    """`optional` for a list whose items are unique."""
    return Field(default=None, json_schema_extra=_unique_without_default, **kwargs)


def _examples(*examples: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class WebhookSubscriptionIn(RequestBody):
    model_config = _examples(
        {
            "url": "https://plan.example.gov.cn/hooks/jiebang",
            "event_types": ["listing.published", "project.created"],
            "description": "科技计划管理系统",
            "active": True,
        }
    )

    url: str = Field(max_length=2048, pattern=URL_PATTERN, description=URL_DESCRIPTION)
    event_types: list[EventType] = Field(
        min_length=1,
        max_length=len(EVENT_TYPES),
        description=EVENT_TYPES_DESCRIPTION,
        json_schema_extra={"uniqueItems": True},
    )
    description: str | None = Field(None, max_length=500, description="What it is for.")
    active: StrictBool = Field(True, description="false: kept, but nothing is delivered.")


class WebhookSubscriptionPatch(RequestBody):
    """Only the fields given change, validated as at creation."""

    model_config = _examples({"active": False}, {"event_types": ["project.created"]})

    url: str = optional(max_length=2048, pattern=URL_PATTERN, description=URL_DESCRIPTION)
    event_types: list[EventType] = _optional_unique(
        min_length=1,
        max_length=len(EVENT_TYPES),
        description=EVENT_TYPES_DESCRIPTION,
    )
    description: str | None = Field(None, max_length=500, description="null clears it.")
    active: StrictBool = optional(description="false: kept, but nothing is delivered.")

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class WebhookSubscriptionOut(ResponseBody):
    """A subscription as its owner reads it: never its secret."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_SUBSCRIPTION]}
    )

    id: uuid.UUID
    url: str
    event_types: list[EventType]
    description: str | None
    active: bool
    previous_secret_expires_at: datetime | None = Field(
        description="After a rotation: until when the previous secret still signs."
    )
    created_at: datetime
    updated_at: datetime


class WebhookSubscriptionCreated(WebhookSubscriptionOut):
    """The creation's (or a rotation's) answer: the secret, shown this once."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{**EXAMPLE_SUBSCRIPTION, "secret": EXAMPLE_SECRET}]},
    )

    secret: str = Field(
        pattern=r"^whsec_[A-Za-z0-9+/]{43}=$",
        description="`whsec_` + base64 of 32 random bytes: the HMAC key is the base64-decoded "
        "part after `whsec_` (Standard Webhooks). Shown only in this response: store it.",
    )


class WebhookSubscriptionPage(ResponseBody):
    model_config = _examples(
        {"items": [EXAMPLE_SUBSCRIPTION], "next_cursor": example_cursor(EXAMPLE_SUBSCRIPTION)}
    )

    items: list[WebhookSubscriptionOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


EXAMPLE_ATTEMPT: JsonDict = {
    "attempted_at": "2026-12-07T08:00:01Z",
    "status_code": 500,
    "error": None,
    "latency_ms": 182,
    "next_attempt_at": "2026-12-07T08:00:06Z",
}
EXAMPLE_DELIVERY: JsonDict = {
    "id": "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
    "event_id": "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b",
    "event_type": "project.created",
    "subscription_id": EXAMPLE_SUBSCRIPTION["id"],
    "status": "pending",
    "next_attempt_at": "2026-12-07T08:00:06Z",
    "attempts": [EXAMPLE_ATTEMPT],
    "created_at": "2026-12-07T08:00:00Z",
    "updated_at": "2026-12-07T08:00:01Z",
}


class WebhookAttemptOut(ResponseBody):
    """One POST of a delivery and how it went."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_ATTEMPT]}
    )

    attempted_at: datetime = Field(description="When it was sent (the service clock).")
    status_code: int | None = Field(
        description="The receiver's HTTP status; null when no answer came (see `error`)."
    )
    error: str | None = Field(
        description="Why no answer came: `timeout`, `connect_error`, `address_refused` (the "
        "host now resolves to an address the service never calls), `does_not_resolve`, or "
        "another error class."
    )
    latency_ms: int = Field(description="How long the attempt took, in milliseconds.")
    next_attempt_at: datetime | None = Field(
        description="When the next attempt was scheduled by this one; null: none was."
    )


class WebhookDeliveryOut(ResponseBody):
    """One event on its way to one subscription, with every attempt so far (oldest first)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_DELIVERY]})

    id: uuid.UUID
    event_id: uuid.UUID = Field(
        description="The event's id: also the `webhook-id` header of every attempt, so a "
        "receiver drops duplicates by it."
    )
    event_type: EventType
    subscription_id: uuid.UUID
    status: DeliveryStatus = Field(
        description="`pending` until its next attempt, `in_flight` while a worker sends it, "
        "`delivered` after a 2xx, `failed` after the last attempt, a 410 Gone, or when the "
        "subscription was switched off."
    )
    next_attempt_at: datetime | None = Field(description="When it is next tried; null: never.")
    attempts: list[WebhookAttemptOut]
    created_at: datetime
    updated_at: datetime


class WebhookDeliveryPage(ResponseBody):
    model_config = _examples(
        {"items": [EXAMPLE_DELIVERY], "next_cursor": example_cursor(EXAMPLE_DELIVERY)}
    )

    items: list[WebhookDeliveryOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)
