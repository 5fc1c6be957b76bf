"""The demand side's payments to the supply side under the agreement (第十二条): recorded by
a member of the demand side with the proof, verified by the department. The verified first
instalment is what the first tranche waits for (R-DISB-FIRST-PAYMENT). An emergency
project has none: the department stands for its demand side (R-FUND-EM-FISCAL, a reading)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.attachments import service as attachments_service
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.events import bus as events
from jiebang_api.kit.errors import (
    Conflict,
    InputInvalid,
    Message,
    NotFound,
    PermissionDenied,
    Violation,
)
from jiebang_api.listings.enums import ListingKind
from jiebang_api.models import Payment
from jiebang_api.projects import access
from jiebang_api.projects import events as projects_events
from jiebang_api.projects import repository as projects_repository

NOT_THE_DEMAND_SIDE = Message(
    "只有需求方成员可以登记其向供给方的付款。",
    "Only a member of the demand side records its payments to the supply side.",
)
NONE_FOR_EMERGENCY = Message(
    "应急类项目由科技厅代表需求方，没有需求方付款。",
    "An emergency project has no demand-side payments: the department stands for that side.",
)
NOT_THE_SUPPLY_SIDE = Message(
    "付款对象须为项目的供给方。", "The payee must be the project's supply side."
)
ABOVE_THE_AGREEMENT = Message(
    "单笔付款不能超过协议金额。", "A payment cannot exceed the agreement amount."
)
VERIFIED_ALREADY = Message("该付款已核验。", "The payment has been verified already.")


async def record(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    data: Mapping[str, Any],
    now: datetime,
) -> Payment:
    """A payment of the demand side to the supply side, with its proof (a demand member)."""
    project = await access.project(session, principal, project_id, lock=False)
    if ListingKind(project.kind) is ListingKind.EMERGENCY:
        raise Conflict(
            NONE_FOR_EMERGENCY,
            violations=[Violation(NONE_FOR_EMERGENCY, rule="R-FUND-EM-FISCAL", article="第十条")],
        )
    if project.demand_org_id is None or not principal.member_of(project.demand_org_id):
        raise PermissionDenied(NOT_THE_DEMAND_SIDE)
    wrong = []
    if data["payee_org_id"] != project.supply_org_id:
        wrong.append(Violation(NOT_THE_SUPPLY_SIDE, field="body.payee_org_id"))
    if data["amount"] > project.agreement_amount:
        wrong.append(Violation(ABOVE_THE_AGREEMENT, field="body.amount"))
    if wrong:
        raise InputInvalid(violations=wrong)
    await attachments_service.require_linkable(
        session,
        principal=principal,
        ids=[data["proof_attachment_id"]],
        field="body.proof_attachment_id",
    )
    payment = Payment(
        id=uuid.uuid4(),
        project_id=project.id,
        instalment_seq=data["instalment_seq"],
        amount=data["amount"],
        paid_on=data["paid_on"],
        payee_org_id=data["payee_org_id"],
        proof_attachment_id=data["proof_attachment_id"],
        status="submitted",
        recorded_by=principal.user_id,
    )
    session.add(payment)
    await session.flush()
    await _record(session, principal, payment, "record", projects_events.PaymentRecorded, now)
    return payment


async def _record(
    session: AsyncSession,
    principal: Principal,
    payment: Payment,
    action: str,
    event_class: type[projects_events.PaymentEvent],
    now: datetime,
    *,
    from_state: str | None = None,
    reason: str | None = None,
) -> None:
    await events.record(
        session,
        event_class(
            occurred_at=now,
            payment_id=payment.id,
            project_id=payment.project_id,
            instalment_seq=payment.instalment_seq,
            status=payment.status,
        ),
        actor=principal.actor,
        action=f"payment.{action}",
        to_state=payment.status,
        from_state=from_state,
        reason=reason,
        data={"amount": str(payment.amount), "project_id": str(payment.project_id)},
    )


async def of_project(
    session: AsyncSession, *, principal: Principal, project_id: uuid.UUID
) -> list[Payment]:
    """The project's payments, oldest first (the department and the sides)."""
    project = await access.project(session, principal, project_id, lock=False)
    return await projects_repository.payments(session, project.id)


async def verify(
    session: AsyncSession,
    *,
    principal: Principal,
    payment_id: uuid.UUID,
    accepted: bool,
    comment: str | None,
    now: datetime,
) -> Payment:
    """The department accepts or rejects a recorded payment and its proof, once."""
    policy.require(principal, Permission.MANAGE_FUNDING)
    payment = await projects_repository.payment(session, payment_id)
    if payment is None:
        raise NotFound()
    await access.project(session, principal, payment.project_id, lock=True)
    if payment.status != "submitted":
        raise Conflict(VERIFIED_ALREADY, extensions={"current_state": payment.status})
    payment.status = "accepted" if accepted else "rejected"
    payment.verified_by, payment.verified_at, payment.comment = principal.user_id, now, comment
    await session.flush()
    await _record(
        session,
        principal,
        payment,
        "verify",
        projects_events.PaymentVerified,
        now,
        from_state="submitted",
        reason=comment,
    )
    return payment
