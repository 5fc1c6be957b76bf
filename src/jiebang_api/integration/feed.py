"""The change feed: every event of the outbox, exactly once, to a reader that follows
`next_after` (`GET /api/v1/events`).

**Why not simply "sequence greater than `after`".** Sequences are handed out when a
transaction writes its event, not when it commits. On PostgreSQL a transaction that drew
sequence 10 may still be running when another that drew 11 commits; a reader that then
returned 11 and moved its cursor to 11 would never see 10. (SQLite takes its write lock at
`BEGIN IMMEDIATE` and holds it to the commit, so its sequences are drawn in commit order and
the plain sequence order is safe there.)

**Why not "sequence order, only events of finished transactions" either.** Each outbox row
records the id of the transaction that wrote it (`event.txid`, `pg_current_xact_id()`), and
`pg_snapshot_xmin(pg_current_snapshot())` is the oldest transaction still in flight: every
transaction below it has committed or rolled back. Filtering on `txid < xmin` but ordering by
sequence is still unsafe: a transaction takes its id at its first write, not at its event. A
(xid 100) updates a project, B (xid 101) writes event 10 and keeps running, A writes event 11
and commits; xmin is 101, so A's event 11 passes the filter and the reader's cursor moves past
B's 10 for good. (Checked on PostgreSQL 15 with two sessions.)

**What the feed does.** Its order is (writer's transaction id, sequence), and it returns only
events written by transactions below the horizon. That set never grows below the horizon again
(those transactions are over), and the horizon only moves forward; so a reader whose position
is the last event it got never misses one: whatever commits later was written by a
transaction at or above the horizon, which sorts after the reader's position. An in-flight
transaction holds back every event at or above its id until it ends — a page may come back
empty while a long transaction runs, never short of an event. The horizon and the rows come
from one statement, so from one snapshot: an event below the horizon is visible to it.

`after` stays a plain sequence: the feed looks up that event's transaction id to find the
position (0 is the start). A sequence that names no event has no position: 422. Within one
transaction events keep their sequence order; across transactions the feed follows the order
in which they took their ids (at their first write), which for two changes of one project is
the order of the changes as long as each locks the project before it writes anything.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.events.base import known
from jiebang_api.integration import feed_repository
from jiebang_api.kit.errors import InputInvalid, Message, Violation
from jiebang_api.models import Event

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# The greatest sequence a BIGINT holds.
MAX_SEQUENCE = 2**63 - 1

NO_SUCH_EVENT = Message(
    "after 须为 0 或变更推送已返回的某个事件的 sequence。",
    "No event has this sequence: pass 0, or a sequence the feed returned (`next_after`).",
)


@dataclass(frozen=True)
class FeedPage:
    items: list[Event]
    next_after: int


def known_types() -> list[str]:
    """Every event type the service publishes (the event modules imported so far)."""
    return [event_class.type for event_class in known()]


def parse_types(text: str | None, known_types: Collection[str]) -> tuple[str, ...]:
    """The event types a comma-separated `types` names (empty: every type); an unknown or
    empty name is refused at `query.types`, naming each."""
    if text is None:
        return ()
    names = text.split(",")
    unknown = [name for name in names if name not in known_types]
    if unknown:
        listed = ", ".join(f"`{name}`" for name in dict.fromkeys(unknown))
        raise InputInvalid(
            violations=[
                Violation(
                    Message(f"未知的事件类型：{listed}。", f"Unknown event types: {listed}."),
                    field="query.types",
                )
            ]
        )
    return tuple(dict.fromkeys(names))


async def read(
    session: AsyncSession,
    *,
    principal: Principal,
    after: int,
    types: str | None,
    limit: int,
) -> FeedPage:
    """The settled events past `after`, of `types` (a comma-separated list; all when None),
    oldest first; `next_after` is the last one's sequence, or `after` when none came."""
    policy.require(principal, Permission.READ_EVENTS)
    wanted = parse_types(types, known_types())
    position = await feed_repository.position_of(session, after)
    if position is None:
        raise InputInvalid(violations=[Violation(NO_SUCH_EVENT, field="query.after")])
    items = await feed_repository.after(session, position, wanted, limit)
    return FeedPage(items, items[-1].sequence if items else after)
