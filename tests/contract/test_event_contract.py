"""Domain events in the contract: one `webhooks` entry per event type, and every payload the
service writes to the outbox validates against the schema that entry names."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import ANY

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from jiebang_api import wiring
from jiebang_api.events.base import DomainEvent

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"
DOCUMENT: dict[str, Any] = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
EVENTS = wiring.event_types()
SIGNATURE_HEADERS = {"webhook-id", "webhook-timestamp", "webhook-signature"}


def payload_schema(event_type: str) -> dict[str, Any]:
    """The payload schema of the event's webhook (the body's `data`), resolvable inside the
    document."""
    operation = DOCUMENT["webhooks"][event_type]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    reference = body["properties"]["data"]
    return {**reference, "components": DOCUMENT["components"]}


def test_every_event_type_has_one_webhook_entry() -> None:
    assert sorted(DOCUMENT["webhooks"]) == sorted(e.type for e in EVENTS)
    assert {"listing.closed", "listing.cancelled", "application.review_started"} <= set(
        DOCUMENT["webhooks"]
    )


def test_consortium_answers_are_published_with_the_member() -> None:
    """R-APP-MEMBER-CONSENT: an invitation, an acceptance and a decline are facts of their
    own, each naming the member organisation besides the application."""
    for event_type in (
        "application.member_invited",
        "application.member_accepted",
        "application.member_declined",
    ):
        schema = payload_schema(event_type)
        validator = Draft202012Validator(schema)
        payload = {
            "occurred_at": "2027-01-07T03:00:00+00:00",
            "application_id": "4d5e6f70-8192-4a3b-9c4d-5e6f708192a3",
            "listing_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
            "lead_org_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
            "status": "draft",
            "from_status": "draft",
            "member_org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
        }
        assert validator.is_valid(payload), event_type
        assert not validator.is_valid({k: v for k, v in payload.items() if k != "member_org_id"})


def test_webhook_entries_are_complete_for_client_generators() -> None:
    ids = []
    for event_class in EVENTS:
        operation = DOCUMENT["webhooks"][event_class.type]["post"]
        assert operation["summary"]
        assert operation["description"]
        assert operation["tags"]
        ids.append(operation["operationId"])
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["properties"]["type"] == {"const": event_class.type, "description": ANY}
        assert {p["name"] for p in operation["parameters"]} == SIGNATURE_HEADERS
        name = body["properties"]["data"]["$ref"]
        assert name.rsplit("/", 1)[-1] in DOCUMENT["components"]["schemas"]
    assert len(ids) == len(set(ids))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(EVENTS).flatmap(st.builds))
def test_payloads_validate_against_their_schemas(event: DomainEvent) -> None:
    validator = Draft202012Validator(payload_schema(event.type))
    errors = [error.message for error in validator.iter_errors(event.payload())]
    assert errors == []


def test_a_payload_missing_a_field_is_refused_by_the_schema() -> None:
    validator = Draft202012Validator(payload_schema("listing.closed"))
    assert not validator.is_valid({"occurred_at": "2026-11-29T00:00:00+00:00"})
    assert not validator.is_valid(
        {
            "occurred_at": "2026-11-29T00:00:00+00:00",
            "listing_id": "0b6c2b9e-8f0e-4a57-9e6f-3d1f2a7b9c10",
            "code": "JB-2026-TB-0001",
            "kind": "tech_breakthrough",
            "status": "no-such-status",
            "from_status": "published",
        }
    )
