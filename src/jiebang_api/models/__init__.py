"""ORM tables, one module per aggregate. Importing this package registers all of them."""

from jiebang_api.models.agreement import (
    Agreement,
    AgreementSignature,
    AgreementWaiver,
    Negotiation,
    Objection,
)
from jiebang_api.models.application import Application
from jiebang_api.models.attachment import Attachment
from jiebang_api.models.audit import AuditEntry
from jiebang_api.models.base import Base, Entity
from jiebang_api.models.calendar import CalendarYear
from jiebang_api.models.change import ChangeRequest, Recovery, SpecialAudit
from jiebang_api.models.event import Event
from jiebang_api.models.idempotency import IdempotencyRecord
from jiebang_api.models.identity import ServiceClient, User
from jiebang_api.models.listing import CodeCounter, Listing, ListingAssessment
from jiebang_api.models.management import Acceptance, Entrustment, MisconductCase
from jiebang_api.models.organization import CreditRecord, Membership, Organization
from jiebang_api.models.plan_sync import PlanSync
from jiebang_api.models.policy_version import PolicyVersion
from jiebang_api.models.project import (
    Announcement,
    Disbursement,
    FundingDecision,
    Payment,
    Project,
)
from jiebang_api.models.report import ProjectMilestone, ProjectReport
from jiebang_api.models.review import ReviewAssignment, ReviewExclusion, ReviewRound
from jiebang_api.models.sandbox import SandboxClock
from jiebang_api.models.webhook import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookFanout,
    WebhookSubscription,
)

__all__ = [
    "Acceptance",
    "Agreement",
    "AgreementSignature",
    "AgreementWaiver",
    "Announcement",
    "Application",
    "Attachment",
    "AuditEntry",
    "Base",
    "CalendarYear",
    "ChangeRequest",
    "CodeCounter",
    "CreditRecord",
    "Disbursement",
    "Entity",
    "Entrustment",
    "Event",
    "FundingDecision",
    "IdempotencyRecord",
    "Listing",
    "ListingAssessment",
    "Membership",
    "MisconductCase",
    "Negotiation",
    "Objection",
    "Organization",
    "Payment",
    "PlanSync",
    "PolicyVersion",
    "Project",
    "ProjectMilestone",
    "ProjectReport",
    "Recovery",
    "ReviewAssignment",
    "ReviewExclusion",
    "ReviewRound",
    "SandboxClock",
    "ServiceClient",
    "SpecialAudit",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookFanout",
    "WebhookSubscription",
]
