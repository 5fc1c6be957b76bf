"""How applications follow their listing: reactions to listing events, in the same
transaction as the listing's change (registered by `jiebang_api.wiring`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.applications import service as applications_service
from jiebang_api.applications.workflow import ApplicationAction
from jiebang_api.listings.events import ListingCancelled, ListingClosed


async def on_listing_closed(session: AsyncSession, event: ListingClosed) -> None:
    """The window closed: every submitted application goes to review."""
    await applications_service.follow_listing(
        session,
        listing_id=event.listing_id,
        action=ApplicationAction.START_REVIEW,
        reason="榜单已截止 / the listing closed",
        now=event.occurred_at,
    )


async def on_listing_cancelled(session: AsyncSession, event: ListingCancelled) -> None:
    """The listing was cancelled: its draft and submitted applications are cancelled."""
    await applications_service.follow_listing(
        session,
        listing_id=event.listing_id,
        action=ApplicationAction.CANCEL,
        reason="榜单已取消 / the listing was cancelled",
        now=event.occurred_at,
    )
