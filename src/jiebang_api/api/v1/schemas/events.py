"""Bodies of the change feed (`GET /api/v1/events`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from jiebang_api.api.v1.schemas.base import ResponseBody

EXAMPLE_FEED_ITEM: JsonDict = {
    "id": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
    "sequence": 1042,
    "type": "listing.closed",
    "resource_type": "listing",
    "resource_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
    "occurred_at": "2027-01-31T16:00:00Z",
    "data": {
        "occurred_at": "2027-01-31T16:00:00+00:00",
        "listing_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
        "code": "JB-2027-TB-0001",
        "kind": "tech_breakthrough",
        "status": "closed",
        "from_status": "published",
    },
}


class ChangeFeedItem(ResponseBody):
    """One event of the outbox, as the change feed returns it."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_FEED_ITEM]})

    id: uuid.UUID = Field(
        description="The event's id: stable, the same in a webhook delivery of it (dedupe on it)."
    )
    sequence: int = Field(
        description="The event's sequence, unique and increasing in the order events were "
        "written; pass the last one you processed as `after`."
    )
    type: str = Field(
        description="The event type, e.g. `listing.closed`: one of the entries of the "
        "contract's `webhooks` section.",
        examples=["listing.closed"],
    )
    resource_type: str = Field(
        description="What the event is about, e.g. `listing`, `application`, `project`.",
        examples=["listing"],
    )
    resource_id: str = Field(description="The id of that resource.")
    occurred_at: datetime = Field(description="When it happened (UTC).")
    data: dict[str, Any] = Field(
        description="The event's payload. Its schema is the request body of the contract's "
        "`webhooks` entry named by `type` (component `<Name>Event`, e.g. "
        "`ListingClosedEvent` for `listing.closed`): generate a type per event from there."
    )


class ChangeFeedPage(ResponseBody):
    """A page of the change feed."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_FEED_ITEM], "next_after": 1042}]}
    )

    items: list[ChangeFeedItem] = Field(
        description="Oldest first; empty when nothing new has settled yet."
    )
    next_after: int = Field(
        description="Pass as `after` for the next page: the sequence of the last item, or the "
        "`after` you sent when no item came. Keep following it: no event is ever skipped."
    )
