"""The facts agreements publish (pure). Past tense, one class per fact."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from jiebang_api.agreements.workflow import AgreementStatus
from jiebang_api.events.base import DomainEvent


@dataclass(frozen=True, kw_only=True)
class NegotiationRecorded(DomainEvent):
    type: ClassVar[str] = "negotiation.recorded"
    resource_type: ClassVar[str] = "negotiation"
    summary = ("一次协商已记录。", "A negotiation between the two sides was recorded.")

    negotiation_id: uuid.UUID
    application_id: uuid.UUID
    listing_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class AgreementEvent(DomainEvent):
    """What every agreement event carries: the agreement, its application and listing, and
    the state it left and entered."""

    resource_type: ClassVar[str] = "agreement"

    agreement_id: uuid.UUID
    application_id: uuid.UUID
    listing_id: uuid.UUID
    status: AgreementStatus
    from_status: AgreementStatus | None


@dataclass(frozen=True, kw_only=True)
class AgreementCreated(AgreementEvent):
    type: ClassVar[str] = "agreement.created"
    summary = ("揭榜协议草稿已创建。", "A draft agreement was created.")


@dataclass(frozen=True, kw_only=True)
class AgreementUpdated(AgreementEvent):
    type: ClassVar[str] = "agreement.updated"
    summary = (
        "揭榜协议已修改，双方确认随之清除。",
        "The agreement was edited; both sides' confirmations were cleared.",
    )

    fields: list[str]


@dataclass(frozen=True, kw_only=True)
class AgreementConfirmed(AgreementEvent):
    type: ClassVar[str] = "agreement.confirmed"
    summary = (
        "一方确认了协议条款（双方均确认后协议为已确认）。",
        "One side confirmed the terms (once both have, the agreement is confirmed).",
    )

    side: str


@dataclass(frozen=True, kw_only=True)
class AgreementSubmitted(AgreementEvent):
    type: ClassVar[str] = "agreement.submitted"
    summary = ("协议已提交科技厅审查。", "The agreement was submitted to the department.")


@dataclass(frozen=True, kw_only=True)
class AgreementRuleWaived(AgreementEvent):
    type: ClassVar[str] = "agreement.rule_waived"
    summary = (
        "科技厅对该协议豁免了一条“原则上”规定。",
        "The department waived an in-principle rule for the agreement.",
    )

    rule: str


@dataclass(frozen=True, kw_only=True)
class AgreementCaseByCaseDecided(AgreementEvent):
    type: ClassVar[str] = "agreement.case_by_case_decided"
    summary = (
        "科技厅对该协议的补助作出“一事一议”决定，补助上限不再约束。",
        "The department decided the agreement's subsidy case by case; the caps no longer bind.",
    )


@dataclass(frozen=True, kw_only=True)
class AgreementReturned(AgreementEvent):
    type: ClassVar[str] = "agreement.returned"
    summary = (
        "科技厅将协议退回双方修改。",
        "The department returned the agreement to the sides for revision.",
    )


@dataclass(frozen=True, kw_only=True)
class AgreementApproved(AgreementEvent):
    type: ClassVar[str] = "agreement.approved"
    summary = (
        "科技厅审查通过协议并予以公示（应急类项目可省略公示）。",
        "The department approved the agreement and put it on public notice (an emergency "
        "listing's may skip the notice).",
    )


@dataclass(frozen=True, kw_only=True)
class AgreementNoticePassed(AgreementEvent):
    type: ClassVar[str] = "agreement.notice_passed"
    summary = ("公示期满无异议。", "The public notice ended with no objection standing.")


@dataclass(frozen=True, kw_only=True)
class AgreementAnnulled(AgreementEvent):
    type: ClassVar[str] = "agreement.annulled"
    summary = (
        "协议已作废：其申请不再揭榜，排名其后的推荐申请可以协商；再无推荐申请则流榜。",
        "The agreement was annulled: its application is out of the running, the next "
        "recommended application may negotiate, and with none left the listing failed.",
    )


@dataclass(frozen=True, kw_only=True)
class ObjectionEvent(DomainEvent):
    """An objection to an agreement on public notice; nothing of who filed it."""

    resource_type: ClassVar[str] = "objection"

    objection_id: uuid.UUID
    agreement_id: uuid.UUID
    listing_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ObjectionFiled(ObjectionEvent):
    type: ClassVar[str] = "objection.filed"
    summary = (
        "公示期内有人对协议提出异议，公示待科技厅处理后方可结束。",
        "An objection to an agreement on notice was filed; the notice waits for the "
        "department's decision.",
    )


@dataclass(frozen=True, kw_only=True)
class ObjectionResolved(ObjectionEvent):
    type: ClassVar[str] = "objection.resolved"
    summary = (
        "科技厅处理了异议：异议成立则协议作废，不成立则视为无异议。",
        "The department decided an objection: upheld annuls the agreement, dismissed counts "
        "as no objection.",
    )

    outcome: str


@dataclass(frozen=True, kw_only=True)
class AgreementSigned(AgreementEvent):
    type: ClassVar[str] = "agreement.signed"
    summary = (
        "协议和任务书的全部签字已齐，项目已立项。",
        "Every signature on the agreement and the task book is in; the project exists.",
    )

    project_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class SignatureAdded(AgreementEvent):
    type: ClassVar[str] = "agreement.signature_added"
    summary = (
        "一方在协议或任务书上签字。",
        "A party signed the agreement or the task book.",
    )

    document: str
    party: str
