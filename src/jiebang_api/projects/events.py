"""The facts projects publish (pure). Past tense, one class per fact."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from jiebang_api.events.base import DomainEvent
from jiebang_api.listings.enums import ListingKind
from jiebang_api.projects.workflow import ProjectStatus


@dataclass(frozen=True, kw_only=True)
class ProjectCreated(DomainEvent):
    type: ClassVar[str] = "project.created"
    resource_type: ClassVar[str] = "project"
    summary = (
        "全部签字已齐，项目立项（第九条（八））。",
        "Every signature is in: the project exists (Art. 9 (8)).",
    )

    project_id: uuid.UUID
    code: str
    kind: ListingKind
    agreement_id: uuid.UUID
    application_id: uuid.UUID
    listing_id: uuid.UUID
    status: ProjectStatus


@dataclass(frozen=True, kw_only=True)
class AnnouncementPublished(DomainEvent):
    type: ClassVar[str] = "announcement.published"
    resource_type: ClassVar[str] = "announcement"
    summary = ("揭榜结果已公告。", "The result of the listing was announced.")

    announcement_id: uuid.UUID
    project_id: uuid.UUID
    listing_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class FundingDecided(DomainEvent):
    type: ClassVar[str] = "project.funding_decided"
    resource_type: ClassVar[str] = "project"
    summary = (
        "科技厅核定了项目的财政补助额（第十二条）。",
        "The department set the project's subsidy (Art. 12).",
    )

    project_id: uuid.UUID
    subsidy: str
    case_by_case: bool


@dataclass(frozen=True, kw_only=True)
class PaymentEvent(DomainEvent):
    resource_type: ClassVar[str] = "payment"

    payment_id: uuid.UUID
    project_id: uuid.UUID
    instalment_seq: int
    status: str


@dataclass(frozen=True, kw_only=True)
class PaymentRecorded(PaymentEvent):
    type: ClassVar[str] = "payment.recorded"
    summary = (
        "需求方登记了向供给方的一笔协议付款及凭证。",
        "The demand side recorded a payment to the supply side with its proof.",
    )


@dataclass(frozen=True, kw_only=True)
class PaymentVerified(PaymentEvent):
    type: ClassVar[str] = "payment.verified"
    summary = (
        "科技厅核验了一笔协议付款（通过或不通过）。",
        "The department verified a payment (accepted or rejected).",
    )


@dataclass(frozen=True, kw_only=True)
class TrancheDisbursed(DomainEvent):
    type: ClassVar[str] = "project.tranche_disbursed"
    resource_type: ClassVar[str] = "project"
    summary = (
        "一笔财政补助（首笔或尾款）已拨付给受资助方。",
        "A tranche of the subsidy (first or final) was paid to the recipient.",
    )

    project_id: uuid.UUID
    disbursement_id: uuid.UUID
    tranche: str
    amount: str
    disbursed: str


@dataclass(frozen=True, kw_only=True)
class ProjectStatusChanged(DomainEvent):
    type: ClassVar[str] = "project.status_changed"
    resource_type: ClassVar[str] = "project"
    summary = (
        "项目状态变更（申请验收、验收结论、暂停、恢复、终止、完成等）。",
        "The project moved to another state (acceptance, suspension, termination, …).",
    )

    project_id: uuid.UUID
    from_status: ProjectStatus
    to_status: ProjectStatus
    action: str


@dataclass(frozen=True, kw_only=True)
class MilestoneOverdue(DomainEvent):
    type: ClassVar[str] = "project.milestone_overdue"
    resource_type: ClassVar[str] = "project"
    summary = (
        "项目的一个里程碑已过计划日期仍未完成（每个里程碑记录一次）。",
        "A milestone of the project passed its due day unmet (recorded once per milestone).",
    )

    project_id: uuid.UUID
    milestone_id: uuid.UUID
    seq: int
    due_on: str


@dataclass(frozen=True, kw_only=True)
class ReportEvent(DomainEvent):
    resource_type: ClassVar[str] = "report"

    report_id: uuid.UUID
    project_id: uuid.UUID
    kind: str


@dataclass(frozen=True, kw_only=True)
class ReportSubmitted(ReportEvent):
    type: ClassVar[str] = "report.submitted"
    summary = (
        "项目一方提交了进展报告或经费支出报告（第十三条）。",
        "A side of the project submitted a progress or expenditure report (Art. 13).",
    )


@dataclass(frozen=True, kw_only=True)
class ReportReviewed(ReportEvent):
    type: ClassVar[str] = "report.reviewed"
    summary = (
        "科技厅或受托机构审查了一份报告：通过或退回修改（第十四条）。",
        "The department or an entrusted agency reviewed a report: accepted or returned for "
        "revision (Art. 14).",
    )

    outcome: str
