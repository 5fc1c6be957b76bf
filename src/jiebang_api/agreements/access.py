"""Who the caller is to an agreement, and loading what a use case acts on: the department
and the two sides see an agreement and its application's negotiation; anyone else gets 404.

Negotiation follows the recommendation's rank: the best recommended application first, the
next only once every application ranked above it has left the running.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import repository as agreements_repository
from jiebang_api.agreements.workflow import DEPARTMENT_NAME, Side, Sides, sides
from jiebang_api.applications import repository as applications_repository
from jiebang_api.applications.workflow import ApplicationStatus
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.kit.errors import Conflict, Message, NotFound
from jiebang_api.listings import repository as listings_repository
from jiebang_api.listings.enums import ListingKind
from jiebang_api.models import Agreement, Application, Listing
from jiebang_api.organizations import repository as organizations_repository

NOT_RECOMMENDED = Message(
    "只有推荐的揭榜申请才能协商和签订协议。",
    "Only a recommended application negotiates an agreement.",
)
NOT_ITS_TURN = Message(
    "协商按推荐名次进行：排名在前的申请尚未退出。",
    "Negotiation follows the rank: an application ranked above this one is still in the running.",
)


def sides_of(app: Application, listing: Listing) -> Sides:
    return sides(ListingKind(listing.kind), listing.proposer_org_id, app.lead_org_id)


def side_of(principal: Principal, parties: Sides) -> Side | None:
    """The side the caller acts for: a member of its organisation, or the department for the
    demand side of an emergency listing (a member of both sides acts for the demand side)."""
    if parties.demand is None:
        if principal.has(Role.ADMIN):
            return Side.DEMAND
    elif principal.member_of(parties.demand):
        return Side.DEMAND
    return Side.SUPPLY if principal.member_of(parties.supply) else None


def party_or_admin(principal: Principal, parties: Sides) -> bool:
    return principal.has(Role.ADMIN) or side_of(principal, parties) is not None


async def application(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, *, lock: bool = False
) -> tuple[Application, Listing, Sides]:
    """The application with its listing and sides, for the department and the two sides
    (404 for anyone else)."""
    policy.require(principal, Permission.USE_API)
    load = applications_repository.get_for_update if lock else applications_repository.get
    app = await load(session, application_id)
    listing = await listings_repository.get(session, app.listing_id) if app else None
    if app is None or listing is None:
        raise NotFound()
    parties = sides_of(app, listing)
    if not party_or_admin(principal, parties):
        raise NotFound()
    return app, listing, parties


async def side_names(
    session: AsyncSession, sides: Iterable[Sides]
) -> Callable[[Sides], tuple[str, str]]:
    """The public names of the demand and supply side of each of `sides`, in one query: the
    department's name where it stands for the demand side."""
    ids = {o for s in sides for o in (s.demand, s.supply) if o is not None}
    names = await organizations_repository.names(session, ids)

    def named(s: Sides) -> tuple[str, str]:
        demand = names.get(s.demand, "") if s.demand is not None else DEPARTMENT_NAME
        return demand, names.get(s.supply, "")

    return named


async def require_turn(session: AsyncSession, app: Application) -> None:
    """A recommended application, none ranked above it still recommended (409 otherwise)."""
    if app.status != ApplicationStatus.RECOMMENDED or app.recommendation_rank is None:
        raise Conflict(NOT_RECOMMENDED, extensions={"current_state": app.status})
    ahead = await applications_repository.recommended_above(
        session, app.listing_id, app.recommendation_rank
    )
    if ahead:
        raise Conflict(NOT_ITS_TURN, extensions={"current_state": app.status})


async def agreement(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, *, lock: bool
) -> tuple[Agreement, Listing, Sides]:
    """The agreement with its listing and sides, for the department and the two sides (404
    for anyone else); `lock` takes its row lock for a change."""
    policy.require(principal, Permission.USE_API)
    load = agreements_repository.get_for_update if lock else agreements_repository.get
    found = await load(session, agreement_id)
    listing = await listings_repository.get(session, found.listing_id) if found else None
    if found is None or listing is None:
        raise NotFound()
    parties = Sides(found.demand_org_id, found.supply_org_id)
    if not party_or_admin(principal, parties):
        raise NotFound()
    return found, listing, parties
