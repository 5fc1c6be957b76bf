"""Typed domain events (pure): names, payloads, the event each listing step publishes, and
the listing's deadline."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from jiebang_api import wiring
from jiebang_api.events.base import DomainEvent
from jiebang_api.kit.deadlines import Deadline, due_at
from jiebang_api.listings import deadlines as listings_deadlines
from jiebang_api.listings import events as listings_events
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.workflow import ListingAction, ListingStatus

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def test_event_types_are_unique_dotted_names_with_both_languages() -> None:
    types = [e.type for e in wiring.event_types()]
    assert len(types) == len(set(types))
    for event_class in wiring.event_types():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", event_class.type), event_class.type
        assert event_class.type.split(".")[0] == event_class.resource_type
        zh, en = event_class.summary
        assert zh
        assert en
        assert zh != en


def test_event_types_are_past_tense_and_audit_actions_are_not() -> None:
    # Past tense in this codebase: a participle ending in -ed, or an irregular one (a
    # milestone that became overdue: `project.milestone_overdue`).
    for event_class in wiring.event_types():
        verb = event_class.type.split(".")[1].split("_")[-1]
        assert verb.endswith("ed") or verb in {"withdrawn", "overdue"}, event_class.type


def test_declaring_a_type_twice_is_refused() -> None:
    with pytest.raises(TypeError, match=r"listing\.closed"):

        @dataclasses.dataclass(frozen=True, kw_only=True)
        class AnotherClosed(DomainEvent):
            type: ClassVar[str] = "listing.closed"
            resource_type: ClassVar[str] = "listing"


def test_payload_is_plain_json_and_names_the_resource() -> None:
    listing_id = uuid.uuid4()
    event = listings_events.ListingPublished(
        occurred_at=NOW,
        listing_id=listing_id,
        code="JB-2026-TB-0001",
        kind=ListingKind.TECH_BREAKTHROUGH,
        status=ListingStatus.PUBLISHED,
        from_status=ListingStatus.CONFIRMED,
        opens_at=NOW,
        closes_at=NOW + timedelta(days=30),
    )
    assert event.resource_id == listing_id
    assert event.payload() == {
        "occurred_at": "2026-11-29T09:00:00+00:00",
        "listing_id": str(listing_id),
        "code": "JB-2026-TB-0001",
        "kind": "tech_breakthrough",
        "status": "published",
        "from_status": "confirmed",
        "opens_at": "2026-11-29T09:00:00+00:00",
        "closes_at": "2026-12-29T09:00:00+00:00",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.code = "changed"  # type: ignore[misc]


def test_every_step_that_only_moves_the_state_has_its_event() -> None:
    moved_only = set(ListingAction) - {ListingAction.ASSESS, ListingAction.PUBLISH}
    assert set(listings_events.BY_ACTION) == moved_only
    assert listings_events.BY_ACTION[ListingAction.CLOSE] is listings_events.ListingClosed


@dataclasses.dataclass
class Row:
    status: str
    application_closes_at: datetime | None


@pytest.mark.parametrize("status", [s for s in ListingStatus if s is not ListingStatus.PUBLISHED])
def test_only_a_published_listing_has_a_deadline(status: ListingStatus) -> None:
    assert listings_deadlines.next_deadline(Row(status.value, NOW)) is None


def test_a_published_listing_closes_when_its_window_ends() -> None:
    deadline = listings_deadlines.next_deadline(Row("published", NOW))
    assert deadline == Deadline(NOW, ListingAction.CLOSE)
    assert due_at(deadline) == NOW
    assert listings_deadlines.next_deadline(Row("published", None)) is None
    assert due_at(None) is None
