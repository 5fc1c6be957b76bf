"""The facts projects publish (pure). Past tense, one class per fact."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from jiebang_api.events.base import DomainEvent
from jiebang_api.listings.enums import ListingKind
from jiebang_api.projects.change_workflow import ChangeKind, ChangeStatus
from jiebang_api.projects.workflow import ProjectStatus


@dataclass(frozen=True, kw_only=True)
class ProjectEvent(DomainEvent):
    """A fact about a project itself (the resource is the project)."""

    resource_type: ClassVar[str] = "project"

    project_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ProjectCreated(ProjectEvent):
    type: ClassVar[str] = "project.created"
    summary = (
        "全部签字已齐，项目立项（第九条（八））。",
        "Every signature is in: the project exists (Art. 9 (8)).",
    )

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
class FundingDecided(ProjectEvent):
    type: ClassVar[str] = "project.funding_decided"
    summary = (
        "科技厅核定了项目的财政补助额（第十二条）。",
        "The department set the project's subsidy (Art. 12).",
    )

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
class TrancheDisbursed(ProjectEvent):
    type: ClassVar[str] = "project.tranche_disbursed"
    summary = (
        "一笔财政补助（首笔或尾款）已拨付给受资助方。",
        "A tranche of the subsidy (first or final) was paid to the recipient.",
    )

    disbursement_id: uuid.UUID
    tranche: str
    amount: str
    disbursed: str


@dataclass(frozen=True, kw_only=True)
class ProjectStatusChanged(ProjectEvent):
    type: ClassVar[str] = "project.status_changed"
    summary = (
        "项目状态变更（申请验收、验收结论、暂停、恢复、终止、完成等）。",
        "The project moved to another state (acceptance, suspension, termination, …).",
    )

    from_status: ProjectStatus
    to_status: ProjectStatus
    action: str


@dataclass(frozen=True, kw_only=True)
class ProjectEntrusted(ProjectEvent):
    type: ClassVar[str] = "project.entrusted"
    summary = (
        "科技厅将项目委托给第三方机构（第十四条）。",
        "The department entrusted the project to a third-party agency (Art. 14).",
    )

    entrustment_id: uuid.UUID
    agency_org_id: uuid.UUID
    scope: list[str]


@dataclass(frozen=True, kw_only=True)
class EntrustmentRevoked(ProjectEvent):
    type: ClassVar[str] = "project.entrustment_revoked"
    summary = ("科技厅撤销了对第三方机构的委托。", "The department revoked an entrustment.")

    entrustment_id: uuid.UUID
    agency_org_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class AcceptanceRequested(ProjectEvent):
    type: ClassVar[str] = "project.acceptance_requested"
    summary = ("需求方申请项目验收。", "The demand side requested the project's acceptance.")

    acceptance_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class AcceptanceDecided(ProjectEvent):
    type: ClassVar[str] = "project.acceptance_decided"
    summary = (
        "验收或综合绩效评价的结论已记录（第十二条、第十四条）。",
        "The result of the acceptance or performance evaluation was recorded (Art. 12, 14).",
    )

    acceptance_id: uuid.UUID
    method: str
    outcome: str


@dataclass(frozen=True, kw_only=True)
class MisconductCaseEvent(DomainEvent):
    resource_type: ClassVar[str] = "misconduct_case"

    misconduct_case_id: uuid.UUID
    project_id: uuid.UUID
    status: str


@dataclass(frozen=True, kw_only=True)
class MisconductCaseOpened(MisconductCaseEvent):
    type: ClassVar[str] = "misconduct_case.opened"
    summary = (
        "科技厅立案调查项目涉嫌的弄虚作假或串通行为，项目暂停（第十七条）。",
        "The department opened a misconduct case: the project is suspended (Art. 17).",
    )


@dataclass(frozen=True, kw_only=True)
class MisconductCaseClosed(MisconductCaseEvent):
    type: ClassVar[str] = "misconduct_case.closed"
    summary = (
        "失信行为案件已办结（澄清或处理）。",
        "A misconduct case was closed (cleared or sanctioned).",
    )


@dataclass(frozen=True, kw_only=True)
class ChangeRequestEvent(DomainEvent):
    resource_type: ClassVar[str] = "change_request"

    change_request_id: uuid.UUID
    project_id: uuid.UUID
    kind: ChangeKind
    status: ChangeStatus


@dataclass(frozen=True, kw_only=True)
class ChangeRequestFiled(ChangeRequestEvent):
    type: ClassVar[str] = "change_request.filed"
    summary = (
        "一方因不可抗力申请项目延期或终止（第十六条）。",
        "A side asked to extend or terminate its project for force majeure (Art. 16).",
    )


@dataclass(frozen=True, kw_only=True)
class ChangeRequestConsented(ChangeRequestEvent):
    type: ClassVar[str] = "change_request.consented"
    summary = (
        "另一方同意了变更申请，待科技厅审核。",
        "The other side consented to the change; the department decides next.",
    )


@dataclass(frozen=True, kw_only=True)
class ChangeRequestApproved(ChangeRequestEvent):
    type: ClassVar[str] = "change_request.approved"
    summary = (
        "科技厅批准了变更：项目延期，或进入终止程序。",
        "The department approved the change: the project is extended, or terminating.",
    )


@dataclass(frozen=True, kw_only=True)
class ChangeRequestRejected(ChangeRequestEvent):
    type: ClassVar[str] = "change_request.rejected"
    summary = ("科技厅未批准变更申请。", "The department rejected the change request.")


@dataclass(frozen=True, kw_only=True)
class SpecialAuditRecorded(ProjectEvent):
    type: ClassVar[str] = "project.special_audit_recorded"
    summary = (
        "终止项目的专项审计已登记，核定应收回的补助（第十六条）。",
        "The special audit of a terminating project set the subsidy to recover (Art. 16).",
    )

    special_audit_id: uuid.UUID
    recovery_due: str


@dataclass(frozen=True, kw_only=True)
class SubsidyRecovered(ProjectEvent):
    type: ClassVar[str] = "project.subsidy_recovered"
    summary = (
        "受资助方退回了一笔补助（第十六条）。",
        "The recipient paid back part of the subsidy (Art. 16).",
    )

    recovery_id: uuid.UUID
    amount: str
    recovered: str
    outstanding: str


@dataclass(frozen=True, kw_only=True)
class RecoveryWrittenOff(ProjectEvent):
    type: ClassVar[str] = "project.write_off_recorded"
    summary = (
        "科技厅以核销决定结清无法收回的补助（第十六条的解读）。",
        "The department wrote off what cannot be recovered (a reading of Art. 16).",
    )

    written_off: str


@dataclass(frozen=True, kw_only=True)
class MilestoneOverdue(ProjectEvent):
    type: ClassVar[str] = "project.milestone_overdue"
    summary = (
        "项目的一个里程碑已过计划日期仍未完成（每个里程碑记录一次）。",
        "A milestone of the project passed its due day unmet (recorded once per milestone).",
    )

    milestone_id: uuid.UUID
    seq: int
    due_on: str


@dataclass(frozen=True, kw_only=True)
class AcceptanceOverdue(ProjectEvent):
    type: ClassVar[str] = "project.acceptance_overdue"
    summary = (
        "项目实施期已满仍未申请验收（第十四条：及时组织验收；记录一次）。",
        "The project ran to its end without asking for acceptance (Art. 14: acceptance is "
        "organised in time; recorded once).",
    )

    end_on: str


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
