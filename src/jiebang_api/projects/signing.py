"""Signing (第九条（七）（八）, R-WF-SIGN-ALL): once the notice has passed, both sides sign
the agreement, and both sides and the department sign the task book. The last of the five
signatures, in one transaction, signs the agreement, creates the project (XM-{year}-{seq})
and its public announcement, awards the listing, selects the application and makes the
others unsuccessful. The agreement's row lock lets exactly one signature be the last."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import access, core, publicity
from jiebang_api.agreements import events as agreements_events
from jiebang_api.agreements import repository as agreements_repository
from jiebang_api.agreements.workflow import (
    MACHINE,
    SIGNATURES_NEEDED,
    AgreementAction,
    AgreementStatus,
    Document,
    Party,
    Sides,
)
from jiebang_api.applications import repository as applications_repository
from jiebang_api.applications import service as applications_service
from jiebang_api.attachments import service as attachments_service
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.events import bus as events
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.kit.errors import (
    Conflict,
    InputInvalid,
    Message,
    NotFound,
    PermissionDenied,
    RuleViolation,
    Violation,
)
from jiebang_api.listings import repository as listings_repository
from jiebang_api.listings import service as listings_service
from jiebang_api.listings.enums import ListingKind
from jiebang_api.models import Agreement, AgreementSignature, Announcement, Listing, Project
from jiebang_api.organizations import service as organizations_service
from jiebang_api.projects import events as projects_events
from jiebang_api.projects import reports
from jiebang_api.projects import repository as projects_repository
from jiebang_api.projects.workflow import ProjectStatus

NOT_YOUR_PARTY = Message(
    "只能为本方签字：需求方、供给方由其单位成员签字，科技厅由管理员签字。",
    "Sign only for your own party: a member of the side's organisation, the department by "
    "an administrator.",
)
NOT_ON_THIS_DOCUMENT = Message(
    "科技厅只签署任务书，协议由供需双方签署。",
    "The department signs the task book; the agreement is signed by the two sides.",
)
SIGNED_ALREADY = Message("该方已签署该文件。", "This party has signed this document already.")
DISHONEST = Message(
    "签字方存在生效的严重失信记录，不能签约。",
    "The signing party has an active serious-dishonesty record and cannot sign.",
)
WHY_SELECTED = "揭榜协议和任务书已全部签署 / every signature is in"


@dataclass(frozen=True)
class Signing:
    """Where an agreement's signing stands: who signed what, what is missing, the project."""

    agreement: Agreement
    signatures: list[AgreementSignature]
    project: Project | None

    @property
    def missing(self) -> list[tuple[Document, Party]]:
        done = {(Document(s.document), Party(s.party)) for s in self.signatures}
        return sorted(SIGNATURES_NEEDED - done)


def _may_sign(principal: Principal, party: Party, parties: Sides) -> bool:
    if party is Party.DEPARTMENT or (party is Party.DEMAND and parties.demand is None):
        return principal.has(Role.ADMIN)
    org = parties.demand if party is Party.DEMAND else parties.supply
    return org is not None and principal.member_of(org)


def _org_of(party: Party, parties: Sides) -> uuid.UUID | None:
    return {Party.DEMAND: parties.demand, Party.SUPPLY: parties.supply}.get(party)


async def _require_honest(
    session: AsyncSession, org_id: uuid.UUID | None, now: datetime, party: Party
) -> None:
    """R-ELIG-NO-DISHONESTY again at signing (第十五条): the signing side's organisation."""
    if org_id is None:
        return
    today = now.astimezone(SHANGHAI).date()
    if await organizations_service.has_active_dishonesty(session, org_id, today):
        raise RuleViolation(
            DISHONEST,
            violations=[
                Violation(
                    DISHONEST,
                    rule="R-ELIG-NO-DISHONESTY",
                    article="第十五条",
                    field="body.party",
                )
            ],
        )


async def may_read_attachment(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, now: datetime
) -> bool:
    """The department and the two sides read the signed scans of their agreement."""
    signed = await agreements_repository.agreements_signed_with(session, attachment_id)
    return any(
        access.party_or_admin(principal, Sides(a.demand_org_id, a.supply_org_id)) for a in signed
    )


async def status(
    session: AsyncSession, *, principal: Principal, agreement_id: uuid.UUID
) -> Signing:
    """The signatures so far (the department and the two sides; 404 for anyone else)."""
    agreement, _, _ = await access.agreement(session, principal, agreement_id, lock=False)
    return await _signing(session, agreement)


async def _signing(session: AsyncSession, agreement: Agreement) -> Signing:
    signatures = await agreements_repository.signatures(session, agreement.id)
    project = await projects_repository.of_agreement(session, agreement.id)
    return Signing(agreement, signatures, project)


async def sign(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    document: Document,
    party: Party,
    attachment_id: uuid.UUID,
    now: datetime,
) -> Signing:
    """One party signs one document (R-WF-SIGN-ALL), with the signed scan; the last
    signature creates the project."""
    if (document, party) not in SIGNATURES_NEEDED:
        raise InputInvalid(
            violations=[
                Violation(
                    NOT_ON_THIS_DOCUMENT,
                    rule="R-WF-SIGN-ALL",
                    article="第九条（七）",
                    field="body.party",
                )
            ]
        )
    agreement, listing, parties = await publicity.for_change(session, principal, agreement_id, now)
    if not _may_sign(principal, party, parties):
        raise PermissionDenied(NOT_YOUR_PARTY)
    signatures = await agreements_repository.signatures(session, agreement.id)
    done = {(s.document, s.party) for s in signatures}
    last = SIGNATURES_NEEDED - {(Document(d), Party(p)) for d, p in done} == {(document, party)}
    before = AgreementStatus(agreement.status)
    after = MACHINE.next_state(before, AgreementAction.SIGN_LAST if last else AgreementAction.SIGN)
    if (document.value, party.value) in done:
        raise Conflict(SIGNED_ALREADY, extensions={"current_state": before.value})
    await _require_honest(session, _org_of(party, parties), now, party)
    await attachments_service.require_linkable(
        session, principal=principal, ids=[attachment_id], field="body.attachment_id"
    )
    signature = AgreementSignature(
        id=uuid.uuid4(),
        agreement_id=agreement.id,
        document=document.value,
        party=party.value,
        attachment_id=attachment_id,
        signed_by=principal.user_id,
    )
    session.add(signature)
    await session.flush()
    await core.record(
        session,
        principal,
        agreement,
        "sign",
        agreements_events.SignatureAdded,
        now,
        from_state=before.value,
        data={"document": document.value, "party": party.value},
        document=document.value,
        party=party.value,
    )
    project = None
    if last:
        agreement.status, agreement.signed_at = after.value, now
        project = await _create_project(session, principal, agreement, listing, now)
        await core.record(
            session,
            principal,
            agreement,
            "complete_signing",
            agreements_events.AgreementSigned,
            now,
            from_state=before.value,
            data={"rule": "R-WF-SIGN-ALL", "project_id": str(project.id), "code": project.code},
            project_id=project.id,
        )
    return Signing(agreement, [*signatures, signature], project)


async def _create_project(
    session: AsyncSession,
    principal: Principal,
    agreement: Agreement,
    listing: Listing,
    now: datetime,
) -> Project:
    """The project of a signed agreement, its announcement, and what follows for the
    listing and the applications."""
    year = now.astimezone(SHANGHAI).year
    number = await listings_repository.next_number(session, "XM", year)
    application = await applications_repository.get(session, agreement.application_id)
    if application is None:  # an agreement's application is never deleted (RESTRICT)
        raise NotFound()
    project = Project(
        id=uuid.uuid4(),
        code=f"XM-{year}-{number:04d}",
        agreement_id=agreement.id,
        application_id=agreement.application_id,
        listing_id=listing.id,
        kind=listing.kind,
        title=listing.title,
        demand_org_id=agreement.demand_org_id,
        supply_org_id=agreement.supply_org_id,
        lead_org_id=application.lead_org_id,
        policy_version_id=agreement.policy_version_id,
        agreement_amount=agreement.agreement_amount,
        total_rd_investment=agreement.total_rd_investment,
        requested_subsidy=agreement.requested_subsidy,
        start_on=agreement.start_on,
        end_on=agreement.start_on + relativedelta(months=agreement.duration_months, days=-1),
        status=ProjectStatus.IN_PROGRESS.value,
        signed_at=now,
    )
    session.add(project)
    await session.flush()
    await reports.plan(session, project, agreement.milestones or [])
    await events.record(
        session,
        projects_events.ProjectCreated(
            occurred_at=now,
            project_id=project.id,
            code=project.code,
            kind=ListingKind(listing.kind),
            agreement_id=agreement.id,
            application_id=agreement.application_id,
            listing_id=listing.id,
            status=ProjectStatus.IN_PROGRESS,
        ),
        actor=principal.actor,
        action="project.create",
        to_state=project.status,
        data={"code": project.code, "agreement_id": str(agreement.id)},
    )
    await _announce(session, principal, project, listing, now)
    await listings_service.award(
        session, principal, listing.id, data={"project_id": str(project.id)}, now=now
    )
    await applications_service.selected(
        session,
        principal=principal,
        application_id=agreement.application_id,
        reason=WHY_SELECTED,
        now=now,
    )
    return project


async def _announce(
    session: AsyncSession, principal: Principal, project: Project, listing: Listing, now: datetime
) -> Announcement:
    parties = Sides(project.demand_org_id, project.supply_org_id)
    demand_side, supply_side = (await access.side_names(session, [parties]))(parties)
    body: dict[str, Any] = {
        "project_code": project.code,
        "listing_code": listing.code,
        "listing_title": listing.title,
        "kind": listing.kind,
        "demand_side": demand_side,
        "supply_side": supply_side,
        "agreement_amount": str(project.agreement_amount),
        "requested_subsidy": str(project.requested_subsidy),
        "start_on": project.start_on.isoformat(),
        "end_on": project.end_on.isoformat(),
    }
    announcement = Announcement(
        id=uuid.uuid4(),
        project_id=project.id,
        title=f"{listing.title} 揭榜结果公告",
        body=body,
        published_at=now,
    )
    session.add(announcement)
    await session.flush()
    await events.record(
        session,
        projects_events.AnnouncementPublished(
            occurred_at=now,
            announcement_id=announcement.id,
            project_id=project.id,
            listing_id=listing.id,
        ),
        actor=principal.actor,
        action="announcement.publish",
        to_state=None,
        data={"project_code": project.code},
    )
    return announcement
