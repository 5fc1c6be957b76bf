"""The one module that sees every domain: it connects them without their knowing.

It registers the reactions to domain events, the attachment readers and the deadline
sources. `wire()` is idempotent; the app, the worker and the CLI call it at start-up.
"""

from __future__ import annotations

from jiebang_api.agreements import events as agreements_events
from jiebang_api.agreements import negotiations as agreements_negotiations
from jiebang_api.agreements import publicity as agreements_publicity
from jiebang_api.applications import events as applications_events
from jiebang_api.applications import reactions as applications_reactions
from jiebang_api.applications import service as applications_service
from jiebang_api.attachments import readers as attachments_readers
from jiebang_api.events import bus as events
from jiebang_api.events.base import DomainEvent
from jiebang_api.events.base import known as known_events
from jiebang_api.kit import sweep
from jiebang_api.listings import events as listings_events
from jiebang_api.listings import service as listings_service
from jiebang_api.models import Agreement, Listing, Project
from jiebang_api.projects import audits as projects_audits
from jiebang_api.projects import changes as projects_changes
from jiebang_api.projects import events as projects_events
from jiebang_api.projects import reports as projects_reports
from jiebang_api.projects import signing
from jiebang_api.reviews import events as reviews_events
from jiebang_api.reviews import service as reviews_service

# Every module that declares events, so that `event_types()` knows them all.
EVENT_MODULES = (
    listings_events,
    applications_events,
    reviews_events,
    agreements_events,
    projects_events,
)


def wire() -> None:
    """Register every cross-domain connection (safe to call more than once)."""
    events.subscribe(listings_events.ListingClosed, applications_reactions.on_listing_closed)
    events.subscribe(listings_events.ListingCancelled, applications_reactions.on_listing_cancelled)
    attachments_readers.register("listing", listings_service.may_read_attachment)
    attachments_readers.register("application", applications_service.may_read_attachment)
    attachments_readers.register("review_assignment", reviews_service.may_read_attachment)
    attachments_readers.register("negotiation", agreements_negotiations.may_read_attachment)
    attachments_readers.register("agreement_signature", signing.may_read_attachment)
    attachments_readers.register("change_request", projects_changes.may_read_attachment)
    attachments_readers.register("special_audit", projects_audits.may_read_attachment)
    attachments_readers.register("project_report", projects_reports.may_read_attachment)
    sweep.register(sweep.DeadlineSource("listing", Listing, listings_service.run_deadlines))
    sweep.register(sweep.DeadlineSource("agreement", Agreement, agreements_publicity.run_deadlines))
    sweep.register(sweep.DeadlineSource("project", Project, projects_reports.run_deadlines))


def event_types() -> list[type[DomainEvent]]:
    """Every domain event of the service, sorted by type (for the contract's webhooks)."""
    return known_events()
