"""A listing's time-driven steps (pure): a published listing closes when its window ends
(R-LIST-WINDOW)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from jiebang_api.kit.deadlines import Deadline
from jiebang_api.listings.workflow import ListingAction, ListingStatus


class Scheduled(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def application_closes_at(self) -> datetime | None: ...


def next_deadline(listing: Scheduled) -> Deadline[ListingAction] | None:
    """The next step time will take on its own, or None."""
    closes = listing.application_closes_at
    if ListingStatus(listing.status) is ListingStatus.PUBLISHED and closes is not None:
        return Deadline(closes, ListingAction.CLOSE)
    return None
