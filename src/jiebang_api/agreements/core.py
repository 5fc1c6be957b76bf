"""What every agreement use case shares: the view the API returns (the terms with what the
rules find in them now) and recording a step (its audit entry, then its event)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import events as agreements_events
from jiebang_api.agreements import notice, terms
from jiebang_api.agreements import repository as agreements_repository
from jiebang_api.agreements.workflow import AgreementStatus
from jiebang_api.auth.principal import Principal
from jiebang_api.events import bus as events
from jiebang_api.listings.enums import ListingKind
from jiebang_api.models import Agreement, AgreementWaiver, Listing, PolicyVersion
from jiebang_api.policies import service as policies_service

RESOURCE = "agreement"
# The department's decision that lifts the subsidy caps (第十一条), kept beside the waivers.
CASE_BY_CASE = "R-FUND-CASE-BY-CASE"


@dataclass(frozen=True)
class AgreementView:
    """An agreement with its waivers and what the rules find in its terms now."""

    agreement: Agreement
    now: datetime
    waivers: list[AgreementWaiver]
    findings: terms.Findings

    @property
    def status(self) -> AgreementStatus:
        """As of `now`: a notice whose period has ended with no objection open reads as
        passed."""
        return notice.effective_status(self.agreement, self.now)

    @property
    def case_by_case(self) -> AgreementWaiver | None:
        return next((w for w in self.waivers if w.rule == CASE_BY_CASE), None)


async def policy_version(session: AsyncSession, agreement: Agreement) -> PolicyVersion | None:
    if agreement.policy_version_id is None:
        return None
    return await policies_service.get(session, agreement.policy_version_id)


def limits(version: PolicyVersion | None) -> terms.Limits:
    """The figures of the agreement's policy version (the measures' own without one)."""
    if version is None:
        return terms.THE_MEASURES
    return terms.Limits(
        agreement_min_ratio=version.agreement_min_ratio,
        subsidy_max_ratio=version.subsidy_max_ratio,
        subsidy_cap=version.subsidy_cap,
        tech_breakthrough_max_months=version.tech_breakthrough_max_months,
        achievement_transfer_max_months=version.achievement_transfer_max_months,
    )


def terms_of(agreement: Agreement, kind: ListingKind) -> terms.Terms:
    return terms.Terms(
        kind=kind,
        agreement_amount=agreement.agreement_amount,
        total_rd_investment=agreement.total_rd_investment,
        requested_subsidy=agreement.requested_subsidy,
        duration_months=agreement.duration_months,
        payments=[Decimal(p["amount"]) for p in agreement.payment_schedule],
        budget_lines=[(b["category"], Decimal(b["amount"])) for b in agreement.budget_lines],
        ip_ownership=agreement.ip_ownership,
        benefit_sharing=agreement.benefit_sharing,
    )


async def view(
    session: AsyncSession, agreement: Agreement, listing: Listing, now: datetime
) -> AgreementView:
    """The agreement as the API shows it: its waivers and the rules' findings now."""
    waivers = await agreements_repository.waivers(session, agreement.id)
    findings = terms.check(
        terms_of(agreement, ListingKind(listing.kind)),
        limits(await policy_version(session, agreement)),
        waivers={w.rule for w in waivers},
        case_by_case=any(w.rule == CASE_BY_CASE for w in waivers),
    )
    return AgreementView(agreement, now, waivers, findings)


async def record(
    session: AsyncSession,
    principal: Principal,
    agreement: Agreement,
    action: str,
    event_class: type[agreements_events.AgreementEvent],
    now: datetime,
    *,
    from_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    """The audit entry of a step (`agreement.<action>`), then its event."""
    event = event_class(
        occurred_at=now,
        agreement_id=agreement.id,
        application_id=agreement.application_id,
        listing_id=agreement.listing_id,
        status=AgreementStatus(agreement.status),
        from_status=AgreementStatus(from_state) if from_state else None,
        **fields,
    )
    await events.record(
        session,
        event,
        actor=principal.actor,
        action=f"agreement.{action}",
        to_state=agreement.status,
        from_state=from_state,
        reason=reason,
        data=data,
    )
