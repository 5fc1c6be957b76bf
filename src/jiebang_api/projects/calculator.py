"""The funding calculator (第十条 to 第十二条): what the subsidy of a project with these
figures may be and how it would be paid, under the policy version in force today. Anyone
signed in may ask; nothing is stored."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import core as agreements_core
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.kit.errors import InputInvalid, Message, Violation
from jiebang_api.listings.enums import ListingKind
from jiebang_api.policies import service as policies_service
from jiebang_api.projects import funding

FIRST_PAYMENT_ABOVE_A = Message(
    "首笔付款须大于0且不超过协议金额。",
    "The first payment must be above 0 and at most the agreement amount.",
)


async def calculate(
    session: AsyncSession, *, principal: Principal, data: Mapping[str, Any], now: datetime
) -> funding.Calculation:
    """The ceiling, the subsidy and its tranches for the figures in `data`."""
    policy.require(principal, Permission.USE_API)
    a, p1 = data["agreement_amount"], data.get("first_payment")
    if p1 is not None and not 0 < p1 <= a:
        raise InputInvalid(
            violations=[Violation(FIRST_PAYMENT_ABOVE_A, field="body.first_payment")]
        )
    version = await policies_service.in_force(session, now.astimezone(SHANGHAI).date())
    return funding.calculate(
        ListingKind(data["kind"]),
        total_rd_investment=data["total_rd_investment"],
        agreement_amount=a,
        caps=agreements_core.limits(version).caps,
        requested_subsidy=data.get("requested_subsidy"),
        first_payment=p1,
        case_by_case=bool(data.get("case_by_case")),
    )
