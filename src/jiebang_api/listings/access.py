"""What other domains need to know about a listing, as pure functions (no I/O).

Applications, reviews and attachments ask these instead of importing the listings service:
the status a reader sees now, whether the window is open, who may read a listing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.listings import workflow
from jiebang_api.listings.workflow import ListingStatus


class ListingFacts(Protocol):
    """The listing columns these rules read (the ORM row satisfies it)."""

    @property
    def status(self) -> str: ...
    @property
    def proposer_org_id(self) -> uuid.UUID | None: ...
    @property
    def application_opens_at(self) -> datetime | None: ...
    @property
    def application_closes_at(self) -> datetime | None: ...


def status_of(listing: ListingFacts, now: datetime) -> ListingStatus:
    """The status a reader sees now (a window that has ended reads as closed)."""
    return workflow.effective_status(
        ListingStatus(listing.status), listing.application_closes_at, now
    )


def window_open(listing: ListingFacts, now: datetime) -> bool:
    """Whether applications are accepted now (R-LIST-WINDOW)."""
    opens, closes = listing.application_opens_at, listing.application_closes_at
    return (
        status_of(listing, now) is ListingStatus.PUBLISHED
        and opens is not None
        and closes is not None
        and opens <= now < closes
    )


def is_public(listing: ListingFacts) -> bool:
    """Published, closed, awarded or failed: anyone may read it."""
    return ListingStatus(listing.status) in workflow.PUBLIC


def may_read(principal: Principal, listing: ListingFacts) -> bool:
    """The department and the proposer's members may see a listing before it is public."""
    if principal.has(Role.ADMIN):
        return True
    return listing.proposer_org_id is not None and policy.can(
        principal, Permission.READ_LISTING, listing.proposer_org_id
    )
