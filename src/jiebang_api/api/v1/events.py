"""The change feed: the outbox's events in a commit-safe order (`integration/feed.py`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from jiebang_api import wiring
from jiebang_api.api.deps import PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.schemas.events import ChangeFeedItem, ChangeFeedPage
from jiebang_api.integration import feed
from jiebang_api.models import Event

router = StrictRouter(tags=["integration"])

_TYPES = "\n".join(
    f"- `{event.type}`: {event.summary[0]} / {event.summary[1]}" for event in wiring.event_types()
)
# `types` is a comma-separated list (`style: form`, `explode: false`), which FastAPI does not
# read: the operation takes the text and `feed.parse_types` reads it; the contract states it.
TYPES_PARAMETER: dict[str, Any] = {
    "name": "types",
    "in": "query",
    "required": False,
    "style": "form",
    "explode": False,
    "description": "Only events of these types, comma-separated "
    "(`types=listing.closed,project.created`); leave out for every type. An unknown type is "
    "422 at `query.types`, naming it.",
    "schema": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "string",
            "enum": [event.type for event in wiring.event_types()],
            "description": "事件类型 / Event types:\n\n" + _TYPES,
        },
    },
}

After = Annotated[
    int,
    Query(
        ge=0,
        le=feed.MAX_SEQUENCE,
        description="The `next_after` of the previous page (the sequence of the last event "
        "you processed); 0, the default, reads from the start. Any other value must be the "
        "sequence of an event (422 at `query.after` otherwise).",
    ),
]
FeedLimit = Annotated[
    int, Query(ge=1, le=feed.MAX_LIMIT, description=f"Events per page, 1 to {feed.MAX_LIMIT}.")
]
Types = Annotated[str | None, Query(include_in_schema=False)]


@router.get(
    "/events",
    response_model=ChangeFeedPage,
    summary="The change feed (integration, admin)",
    description="Every domain event, exactly once, oldest first, to a reader that passes each "
    "page's `next_after` as the next `after`. Only events of committed transactions that can "
    "no longer be overtaken come (on PostgreSQL, an event waits while an older transaction is "
    "still running), so a page may be empty for a moment; poll again with the same `after`. "
    "`data` is the payload whose schema the `webhooks` entry of its `type` gives. The plan "
    "system's service clients (`integration`) and the department (`admin`); 403 for anyone "
    "else signed in.",
    responses=problems(401, 403, 422),
    openapi_extra={"parameters": [TYPES_PARAMETER]},
)
async def read_change_feed(
    session: SessionDep,
    principal: PrincipalDep,
    after: After = 0,
    types: Types = None,
    limit: FeedLimit = feed.DEFAULT_LIMIT,
) -> ChangeFeedPage:
    page = await feed.read(session, principal=principal, after=after, types=types, limit=limit)
    return ChangeFeedPage(
        items=[ChangeFeedItem.model_validate(_item(event)) for event in page.items],
        next_after=page.next_after,
    )


def _item(event: Event) -> dict[str, Any]:
    fields = {name: getattr(event, name) for name in ChangeFeedItem.model_fields if name != "data"}
    return {**fields, "data": event.payload}
