"""The authorization matrix: every route × role × own/other organisation, and its status.

`MATRIX` is written from `jiebang_api.auth.policy` (the one permission table) and the
services that ask it. Each case builds its own organisations A and B (managed by `member_a`
and `member_b`; `staff_a` is a plain member of A) and its own caller, so no case sees
another's writes. For `member_a`,
organisation A is "own" and B "other"; for `member_b` the reverse; every other role sees
both as "other" (both are still exercised).

Listing routes are scoped the same way by the listing's proposer: each case builds a fresh
listing proposed by A (or by B), in the state its action needs, so a refusal is about who
asks and never about the state. Attachment routes likewise, on a file A's (B's) manager
uploaded and linked from A's (B's) listing. Listings and attachments are hidden from those
who may not read them: "other" is 404 there, where organisations (visible to everyone signed
in) answer 403.

The cases share one app per backend (building an app per case would dominate the runtime);
its in-memory rate limits allow the few registrations and sign-ins the matrix makes.

`test_every_route_is_in_the_matrix` compares the matrix with the application's OpenAPI
paths, so a new route without an entry (or a stale entry) fails the suite.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from factories import (
    PASSWORD,
    VERIFIED,
    add_member,
    agreement_body,
    application_body,
    bearer,
    create_agreement,
    create_delivery,
    create_entrustment,
    create_listing,
    create_organization,
    create_published_listing,
    create_service_client,
    create_subscription,
    create_user,
    listing_body,
    unique,
    valid_uscc,
)
from jiebang_api.attachments.storage import LocalStorage, new_key
from jiebang_api.auth.tokens import SubjectKind
from jiebang_api.main import create_app
from jiebang_api.models import (
    Acceptance,
    Agreement,
    Application,
    Attachment,
    ChangeRequest,
    FundingDecision,
    Listing,
    ListingAssessment,
    Membership,
    MisconductCase,
    Objection,
    Organization,
    Payment,
    Project,
    ProjectReport,
    ReviewAssignment,
    ReviewRound,
    SpecialAudit,
    User,
    WebhookSubscription,
)
from jiebang_api.sandbox import service as sandbox
from jiebang_api.settings import Environment, Settings

Sessions = async_sessionmaker[AsyncSession]
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

ANONYMOUS = "anonymous"
MEMBER_A = "member_a"
MEMBER_B = "member_b"
STAFF_A = "staff_a"
ROLES = (ANONYMOUS, MEMBER_A, MEMBER_B, STAFF_A, "expert", "agency", "integration", "admin")
# The organisation each member role belongs to; member_a/member_b manage theirs.
MEMBER_ROLES = {MEMBER_A: "A", MEMBER_B: "B", STAFF_A: "A"}
TARGETS = ("A", "B")
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

ORG = "/api/v1/organizations/{organization_id}"
INVITATION = "/api/v1/me/invitations/{organization_id}"
CLAIM = f"{ORG}/subsidiary-claims/{{claimant_id}}"
LISTING = "/api/v1/listings/{listing_id}"
PUBLIC_LISTING = "/api/v1/public/listings/{listing_id}"
ATTACHMENT = "/api/v1/attachments/{attachment_id}"
APPLICATION = "/api/v1/applications/{application_id}"
ROUND = "/api/v1/review-rounds/{review_round_id}"
ASSIGNMENT = "/api/v1/review-assignments/{review_assignment_id}"
AGREEMENT = "/api/v1/agreements/{agreement_id}"
NOTICE = "/api/v1/public/notices/{notice_id}"
PROJECT = "/api/v1/projects/{project_id}"
CHANGE = "/api/v1/change-requests/{change_request_id}"
REPORT = "/api/v1/reports/{report_id}"
SUBSCRIPTIONS = "/api/v1/webhook-subscriptions"
SUBSCRIPTION = f"{SUBSCRIPTIONS}/{{subscription_id}}"
REDELIVER = "/api/v1/webhook-deliveries/{delivery_id}/redeliver"
IMPORT_ORGANIZATION = "/api/v1/integration/organizations/{uscc}"
IMPORT_LISTING = "/api/v1/integration/listings/{external_ref}"
IMPORT_APPLICATION = "/api/v1/integration/applications/{external_ref}"
# The path parameter naming the target of each scope.
SCOPES = {
    "organization": "{organization_id}",
    "listing": "{listing_id}",
    "attachment": "{attachment_id}",
    "application": "{application_id}",
}

# --------------------------------------------------------------------------------------------
# Expectations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnOther:
    """A member's status on its own organisation and on the other one."""

    own: int
    other: int


Status = int | OwnOther


@dataclass(frozen=True)
class Expectation:
    """The status every role gets; scoped routes (on an organisation, or on a listing through
    its proposer) distinguish own and other."""

    scope: str | None
    statuses: Mapping[str, Status]

    @property
    def scoped(self) -> bool:
        return self.scope is not None

    def status(self, role: str, target: str | None) -> int:
        expected = self.statuses[role]
        if isinstance(expected, int):
            return expected
        return expected.own if MEMBER_ROLES.get(role) == target else expected.other


def _row(scope: str | None, statuses: tuple[Status, ...]) -> Expectation:
    assert len(statuses) == len(ROLES), f"one status per role {ROLES}, got {statuses}"
    for role, status in zip(ROLES, statuses, strict=True):
        if isinstance(status, OwnOther):
            assert scope, f"own/other only on organisation or listing routes: {statuses}"
            assert role in MEMBER_ROLES, f"own/other only for members, not {role}"
    return Expectation(scope, dict(zip(ROLES, statuses, strict=True)))


def route(*statuses: Status) -> Expectation:
    """A route on no organisation; one status per role, in the order of `ROLES`."""
    return _row(None, statuses)


def on_org(*statuses: Status) -> Expectation:
    """A route on organisation `{organization_id}` (requested for A and for B)."""
    return _row("organization", statuses)


def on_listing(*statuses: Status) -> Expectation:
    """A route on listing `{listing_id}` (requested for a listing proposed by A, and by B)."""
    return _row("listing", statuses)


def on_file(*statuses: Status) -> Expectation:
    """A route on attachment `{attachment_id}`: for A (or B), one its manager uploaded and
    linked from a listing A (or B) proposed."""
    return _row("attachment", statuses)


def on_application(*statuses: Status) -> Expectation:
    """A route on application `{application_id}`: one led by A (or B), to a listing of a
    third organisation."""
    return _row("application", statuses)


def own(own: int, other: int = 403) -> OwnOther:
    return OwnOther(own, other)


def mine(own: int) -> OwnOther:
    """`own` on a listing (or attachment) of the member's organisation; 404 on the other's:
    what a caller may not read is hidden."""
    return OwnOther(own, 404)


# fmt: off
# One column per role, in the order of ROLES. `own(x)`: x on the member's own organisation,
# 403 on the other one. `mine(x)`: x on a listing (attachment) of the member's own
# organisation, 404 on the other's. `staff_a` is a plain (non-manager) member of A.
MATRIX: dict[tuple[str, str], Expectation] = {
    #                                        anonym member_a  member_b  staff_a   expert agency integr admin
    ("GET", "/healthz"):                 route(200,  200,      200,      200,      200,   200,   200,   200),
    ("GET", "/readyz"):                  route(200,  200,      200,      200,      200,   200,   200,   200),
    ("GET", "/metrics"):                 route(200,  200,      200,      200,      200,   200,   200,   200),
    ("GET", "/api/v1/meta/enums"):       route(200,  200,      200,      200,      200,   200,   200,   200),
    ("GET", "/api/v1/meta/rules"):       route(200,  200,      200,      200,      200,   200,   200,   200),
    ("GET", "/api/v1/policy-versions"):  route(200,  200,      200,      200,      200,   200,   200,   200),
    ("POST", "/api/v1/policy-versions"): route(401,  403,      403,      403,      403,   403,   403,   201),
    ("GET", "/api/v1/sandbox/clock"):    route(200,  200,      200,      200,      200,   200,   200,   200),
    ("POST", "/api/v1/sandbox/clock"):   route(401,  403,      403,      403,      403,   403,   403,   200),
    ("POST", "/api/v1/auth/register"):   route(201,  201,      201,      201,      201,   201,   201,   201),
    ("POST", "/api/v1/auth/token"):      route(200,  200,      200,      200,      200,   200,   200,   200),
    ("POST", "/api/v1/users"):           route(401,  403,      403,      403,      403,   403,   403,   201),
    ("POST", "/api/v1/service-clients"): route(401,  403,      403,      403,      403,   403,   403,   201),
    # The change feed: the plan system's service clients and the department.
    ("GET", "/api/v1/events"):           route(401,  403,      403,      403,      403,   403,   200,   200),
    ("GET", "/api/v1/me"):               route(401,  200,      200,      200,      200,   200,   200,   200),
    # Invitations: the invited user answers (each case invites the caller to the target unless
    # it belongs there already: then 409); a service client is no user (403).
    ("GET", "/api/v1/me/invitations"):   route(401,  200,      200,      200,      200,   200,   200,   200),
    ("POST", f"{INVITATION}/accept"):   on_org(401,  OwnOther(409, 200), OwnOther(409, 200), OwnOther(409, 200), 200, 200, 403, 200),
    ("POST", f"{INVITATION}/decline"):  on_org(401,  OwnOther(409, 204), OwnOther(409, 204), OwnOther(409, 204), 204, 204, 403, 204),
    ("POST", "/api/v1/organizations"):   route(401,  201,      201,      201,      201,   201,   403,   201),
    ("GET", "/api/v1/organizations"):    route(401,  200,      200,      200,      200,   200,   200,   200),
    ("GET", ORG):                       on_org(401,  200,      200,      200,      200,   200,   200,   200),
    ("PATCH", ORG):                     on_org(401,  own(200), own(200), 403,      403,   403,   403,   200),
    ("POST", f"{ORG}/verify"):          on_org(401,  403,      403,      403,      403,   403,   403,   200),
    ("GET", f"{ORG}/members"):          on_org(401,  own(200), own(200), own(200), 403,   403,   403,   200),
    ("POST", f"{ORG}/members"):         on_org(401,  own(201), own(201), 403,      403,   403,   403,   201),
    ("DELETE", f"{ORG}/members/{{user_id}}"):
                                        on_org(401,  own(204), own(204), 403,      403,   403,   403,   204),
    ("POST", f"{ORG}/credit-records"):  on_org(401,  403,      403,      403,      403,   403,   403,   201),
    ("GET", f"{ORG}/credit-records"):   on_org(401,  403,      403,      403,      403,   403,   403,   200),
    ("GET", f"{ORG}/history"):          on_org(401,  own(200), own(200), own(200), 403,   403,   403,   200),
    # Consortium invitations: the invited organisation's managers (and the department) list them.
    ("GET", f"{ORG}/consortium-invitations"):
                                        on_org(401,  own(200), own(200), 403,      403,   403,   403,   200),
    # Parent claims: a fresh organisation claims the target as its parent; the target's members
    # know of it, its managers (and the department) answer it, anyone else gets 404. The
    # target withdraws its own claim on a fresh organisation.
    ("GET", f"{ORG}/subsidiary-claims"):
                                        on_org(401,  own(200), own(200), own(200), 403,   403,   403,   200),
    ("POST", f"{CLAIM}/accept"):        on_org(401,  mine(200), mine(200), mine(403), 404,  404,   404,   200),
    ("POST", f"{CLAIM}/decline"):       on_org(401,  mine(200), mine(200), mine(403), 404,  404,   404,   200),
    ("POST", f"{ORG}/parent-claim/withdraw"):
                                        on_org(401,  own(200), own(200), 403,      403,   403,   403,   200),
    # Listings. Members create for their own organisation (admins only emergency listings);
    # the proposer's members (any member) edit, submit, confirm and withdraw; the department
    # (admin) reviews and edits, but does not act for the proposer. A caller who may not read
    # a listing gets 404.
    ("POST", "/api/v1/listings"):        route(401,  201,      201,      201,      403,   403,   403,   403),
    ("GET", "/api/v1/listings"):         route(401,  200,      200,      200,      200,   200,   200,   200),
    #                                            anonym  member_a   member_b   staff_a    expert agency integr admin
    ("GET", LISTING):                   on_listing(401,  mine(200), mine(200), mine(200), 404,   404,   404,   200),
    ("PATCH", LISTING):                 on_listing(401,  mine(200), mine(200), mine(200), 404,   404,   404,   200),
    ("GET", f"{LISTING}/assessments"):  on_listing(401,  mine(200), mine(200), mine(200), 404,   404,   404,   200),
    ("POST", f"{LISTING}/assessments"): on_listing(401,  mine(403), mine(403), mine(403), 404,   404,   404,   201),
    ("GET", f"{LISTING}/history"):      on_listing(401,  mine(200), mine(200), mine(200), 404,   404,   404,   200),
    ("POST", f"{LISTING}/submit"):      on_listing(401,  mine(200), mine(200), mine(200), 404,   404,   404,   403),
    ("POST", f"{LISTING}/screen"):      on_listing(401,  mine(403), mine(403), mine(403), 404,   404,   404,   200),
    ("POST", f"{LISTING}/approve"):     on_listing(401,  mine(403), mine(403), mine(403), 404,   404,   404,   200),
    ("POST", f"{LISTING}/reject"):      on_listing(401,  mine(403), mine(403), mine(403), 404,   404,   404,   200),
    ("POST", f"{LISTING}/return"):      on_listing(401,  mine(403), mine(403), mine(403), 404,   404,   404,   200),
    ("POST", f"{LISTING}/confirm"):     on_listing(401,  mine(200), mine(200), mine(200), 404,   404,   404,   403),
    ("POST", f"{LISTING}/publish"):     on_listing(401,  mine(403), mine(403), mine(403), 404,   404,   404,   200),
    ("POST", f"{LISTING}/close"):       on_listing(401,  mine(403), mine(403), mine(403), 404,   404,   404,   200),
    ("POST", f"{LISTING}/withdraw"):    on_listing(401,  mine(200), mine(200), mine(200), 404,   404,   404,   403),
    ("POST", f"{LISTING}/cancel"):      on_listing(401,  mine(403), mine(403), mine(403), 404,   404,   404,   200),
    # The public catalogue: a published listing, whoever asks (signed in or not).
    ("GET", "/api/v1/public/listings"):  route(200,  200,      200,      200,      200,   200,   200,   200),
    ("GET", PUBLIC_LISTING):            on_listing(200,  200,       200,       200,       200,   200,   200,   200),
    # Attachments: users upload; the uploader, the department and the readers of a listing
    # linking the file read it (staff_a through A's listing); anyone else gets 404.
    ("POST", "/api/v1/attachments"):     route(401,  201,      201,      201,      201,   201,   403,   201),
    ("GET", ATTACHMENT):                   on_file(401,  mine(200), mine(200), mine(200), 404,   404,   404,   200),
    ("GET", f"{ATTACHMENT}/content"):      on_file(401,  mine(200), mine(200), mine(200), 404,   404,   404,   200),
    # Applications: the lead organisation's members draft, edit, submit and withdraw (the
    # department reads but does not act for applicants); anyone else gets 404. Applying to a
    # published listing is open to any member, for its own organisation.
    ("POST", "/api/v1/eligibility/check"): route(401, 200,      200,      200,      200,   200,   200,   200),
    ("GET", "/api/v1/applications"):     route(401,  200,      200,      200,      200,   200,   200,   200),
    ("POST", f"{LISTING}/applications"): on_listing(401, 201,       201,       201,       403,   403,   403,   403),
    ("GET", APPLICATION):                on_application(401, mine(200), mine(200), mine(200), 404, 404, 404, 200),
    ("PATCH", APPLICATION):              on_application(401, mine(200), mine(200), mine(200), 404, 404, 404, 403),
    ("POST", f"{APPLICATION}/submit"):   on_application(401, mine(200), mine(200), mine(200), 404, 404, 404, 403),
    ("POST", f"{APPLICATION}/withdraw"): on_application(401, mine(200), mine(200), mine(200), 404, 404, 404, 403),
    # Review rounds (on a listing and a panel outside the matrix: nobody here is on them).
    ("POST", f"{LISTING}/review-rounds"): on_listing(401, 403,     403,      403,      403,   403,   403,   201),
    # An emergency listing (the department's own) recommended without a review.
    ("POST", f"{LISTING}/recommendation"): on_listing(401, 403,    403,      403,      403,   403,   403,   200),
    ("GET", ROUND):                      route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{ROUND}/close"):          route(401,  403,      403,      403,      403,   403,   403,   200),
    ("GET", f"{ROUND}/results"):         route(401,  404,      404,      404,      404,   404,   404,   200),
    # The department proposes; a proposer's reviewer named on the round confirms (the round
    # names none of the matrix's callers, so the admin, who reads it, gets 403 by
    # R-WF-RECOMMEND-JOINT, and the rest 404).
    ("POST", f"{ROUND}/recommendation"): route(401, 403,      403,      403,      403,   403,   403,   200),
    ("POST", f"{ROUND}/recommendation/confirm"):
                                         route(401,  404,      404,      404,      404,   404,   404,   403),
    # An expert's assignment is theirs alone (the department reads the round's results).
    ("GET", "/api/v1/review-assignments"): route(401, 200,      200,      200,      200,   200,   200,   200),
    ("GET", ASSIGNMENT):                 route(401,  404,      404,      404,      404,   404,   404,   404),
    ("POST", f"{ASSIGNMENT}/scores"):    route(401,  404,      404,      404,      404,   404,   404,   404),
    ("POST", f"{ASSIGNMENT}/decline"):   route(401,  404,      404,      404,      404,   404,   404,   404),
    # The working-day calendar is the department's.
    ("GET", "/api/v1/calendar/{year}"):  route(401,  403,      403,      403,      403,   403,   403,   200),
    ("PUT", "/api/v1/calendar/{year}"):  route(401,  403,      403,      403,      403,   403,   403,   200),
    # Negotiation: the department and the two sides of a recommended application (led by A, or
    # B, to a third party's listing) record and read it; anyone else gets 404.
    ("POST", f"{APPLICATION}/negotiations"):
                                         on_application(401, mine(201), mine(201), mine(201), 404, 404, 404, 201),
    ("GET", f"{APPLICATION}/negotiations"):
                                         on_application(401, mine(200), mine(200), mine(200), 404, 404, 404, 200),
    # Agreements (of two sides outside the matrix): the department reads, edits and waives,
    # but confirms and submits for no side (403); anyone else gets 404.
    ("POST", "/api/v1/agreements"):      route(401,  404,      404,      404,      404,   404,   404,   201),
    ("GET", AGREEMENT):                  route(401,  404,      404,      404,      404,   404,   404,   200),
    ("GET", f"{AGREEMENT}/history"):     route(401,  404,      404,      404,      404,   404,   404,   200),
    ("PATCH", AGREEMENT):                route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{AGREEMENT}/confirm"):    route(401,  404,      404,      404,      404,   404,   404,   403),
    ("POST", f"{AGREEMENT}/submit"):     route(401,  404,      404,      404,      404,   404,   404,   403),
    ("POST", f"{AGREEMENT}/waivers"):    route(401,  404,      404,      404,      404,   404,   404,   201),
    ("POST", f"{AGREEMENT}/return"):     route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{AGREEMENT}/approve"):    route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{AGREEMENT}/abandon"):    route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{AGREEMENT}/case-by-case"):
                                         route(401,  404,      404,      404,      404,   404,   404,   201),
    # The department signs the task book for itself; the sides' signatures are theirs.
    ("POST", f"{AGREEMENT}/signatures"): route(401,  404,      404,      404,      404,   404,   404,   201),
    ("GET", f"{AGREEMENT}/signatures"):  route(401,  404,      404,      404,      404,   404,   404,   200),
    # The public notice is anyone's to read and to object to; the objections are the
    # department's to read (with the filers' contacts) and to decide.
    ("GET", "/api/v1/public/notices"):   route(200,  200,      200,      200,      200,   200,   200,   200),
    ("GET", NOTICE):                     route(200,  200,      200,      200,      200,   200,   200,   200),
    ("POST", f"{NOTICE}/objections"):    route(201,  201,      201,      201,      201,   201,   201,   201),
    ("GET", "/api/v1/objections"):       route(401,  403,      403,      403,      403,   403,   403,   200),
    ("POST", "/api/v1/objections/{objection_id}/resolve"):
                                         route(401,  403,      403,      403,      403,   403,   403,   200),
    # Projects (of two sides outside the matrix): the department reads them all, anyone
    # signed in lists the projects of its own organisations; the announcements are public.
    ("GET", "/api/v1/projects"):         route(401,  200,      200,      200,      200,   200,   200,   200),
    ("GET", PROJECT):                    route(401,  404,      404,      404,      404,   404,   404,   200),
    ("GET", f"{PROJECT}/history"):       route(401,  404,      404,      404,      404,   404,   404,   200),
    ("GET", "/api/v1/public/projects"):  route(200,  200,      200,      200,      200,   200,   200,   200),
    ("GET", "/api/v1/public/projects/{project_id}"):
                                         route(200,  200,      200,      200,      200,   200,   200,   200),
    ("GET", "/api/v1/public/announcements"):
                                         route(200,  200,      200,      200,      200,   200,   200,   200),
    # The project's money: the department decides, verifies and disburses; the demand side
    # records its payments (the department is no demand side here: 403); anyone else 404.
    ("POST", f"{PROJECT}/funding-decision"):
                                         route(401,  404,      404,      404,      404,   404,   404,   201),
    ("GET", f"{PROJECT}/funding"):       route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{PROJECT}/payments"):     route(401,  404,      404,      404,      404,   404,   404,   403),
    ("GET", f"{PROJECT}/payments"):      route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", "/api/v1/payments/{payment_id}/verify"):
                                         route(401,  403,      403,      403,      403,   403,   403,   200),
    ("POST", f"{PROJECT}/disbursements"):
                                         route(401,  404,      404,      404,      404,   404,   404,   201),
    ("GET", f"{PROJECT}/disbursements"): route(401,  404,      404,      404,      404,   404,   404,   200),
    # The department's management: it entrusts agencies and opens and closes misconduct
    # cases (the allegations are its own to read: 403 for a reader of the project, and for
    # anyone on a case); the demand side requests acceptance (the department is no demand
    # side here: 403); the department, or an agency entrusted with it, records the result
    # (the matrix's agency holds no entrustment: 404, as anyone who may not read the project).
    ("POST", f"{PROJECT}/entrustments"): route(401,  404,      404,      404,      404,   404,   404,   201),
    ("GET", f"{PROJECT}/entrustments"):  route(401,  404,      404,      404,      404,   404,   404,   200),
    ("DELETE", f"{PROJECT}/entrustments/{{entrustment_id}}"):
                                         route(401,  404,      404,      404,      404,   404,   404,   204),
    ("POST", f"{PROJECT}/acceptance"):   route(401,  404,      404,      404,      404,   404,   404,   403),
    ("GET", f"{PROJECT}/acceptance"):    route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{PROJECT}/acceptance/result"):
                                         route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{PROJECT}/misconduct-cases"):
                                         route(401,  404,      404,      404,      404,   404,   404,   201),
    ("GET", f"{PROJECT}/misconduct-cases"):
                                         route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", "/api/v1/misconduct-cases/{case_id}/close"):
                                         route(401,  403,      403,      403,      403,   403,   403,   200),
    # Change requests (第十六条) on a project of two sides outside the matrix: a side files and
    # the other consents (the department is neither here: 403); the department decides.
    ("POST", f"{PROJECT}/change-requests"):
                                         route(401,  404,      404,      404,      404,   404,   404,   403),
    ("GET", f"{PROJECT}/change-requests"):
                                         route(401,  404,      404,      404,      404,   404,   404,   200),
    ("GET", CHANGE):                     route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{CHANGE}/consent"):       route(401,  404,      404,      404,      404,   404,   404,   403),
    ("POST", f"{CHANGE}/approve"):       route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{CHANGE}/reject"):        route(401,  404,      404,      404,      404,   404,   404,   200),
    # The special audit (the department, or an agency entrusted with the audit: this one is
    # not), the recoveries and the write-off (the department) of a terminating project.
    ("POST", f"{PROJECT}/special-audits"):
                                         route(401,  404,      404,      404,      404,   404,   404,   201),
    ("POST", f"{PROJECT}/recoveries"):   route(401,  404,      404,      404,      404,   404,   404,   201),
    ("POST", f"{PROJECT}/recovery-write-off"):
                                         route(401,  404,      404,      404,      404,   404,   404,   200),
    ("GET", f"{PROJECT}/recovery"):      route(401,  404,      404,      404,      404,   404,   404,   200),
    # Milestones and reports: whoever reads the project reads them; the sides report (the
    # department, no side, gets 403); the department (or an agency entrusted with reports)
    # reviews. The matrix's agency is entrusted with nothing: 404.
    ("GET", f"{PROJECT}/milestones"):    route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{PROJECT}/reports"):      route(401,  404,      404,      404,      404,   404,   404,   403),
    ("GET", f"{PROJECT}/reports"):       route(401,  404,      404,      404,      404,   404,   404,   200),
    ("GET", REPORT):                     route(401,  404,      404,      404,      404,   404,   404,   200),
    ("POST", f"{REPORT}/review"):        route(401,  404,      404,      404,      404,   404,   404,   200),
    # The funding calculator stores nothing: anyone signed in may ask.
    ("POST", "/api/v1/funding/calculate"):
                                         route(401,  200,      200,      200,      200,   200,   200,   200),
    # A consortium invitation (an application of a third party's inviting A, or B) is answered
    # by a manager of the invited organisation only; its plain members and anyone who may not
    # read the application get 404; the department, which reads it, 403.
    ("POST", f"{APPLICATION}/members/{{org_id}}/accept"):
                                         on_application(401, mine(200), mine(200), 404, 404, 404, 404, 403),
    ("POST", f"{APPLICATION}/members/{{org_id}}/decline"):
                                         on_application(401, mine(200), mine(200), 404, 404, 404, 404, 403),
    # Webhook subscriptions: the department and service clients; each case's subscription is
    # the caller's own (a client's of another is 404: tests/integration/test_webhook_subscriptions).
    ("POST", SUBSCRIPTIONS):             route(401,  403,      403,      403,      403,   403,   201,   201),
    ("GET", SUBSCRIPTIONS):              route(401,  403,      403,      403,      403,   403,   200,   200),
    ("GET", SUBSCRIPTION):               route(401,  403,      403,      403,      403,   403,   200,   200),
    ("PATCH", SUBSCRIPTION):             route(401,  403,      403,      403,      403,   403,   200,   200),
    ("DELETE", SUBSCRIPTION):            route(401,  403,      403,      403,      403,   403,   204,   204),
    ("POST", f"{SUBSCRIPTION}/rotate-secret"):
                                         route(401,  403,      403,      403,      403,   403,   200,   200),
    # Deliveries: those of the caller's own subscription (another client's are 404:
    # tests/integration/test_webhook_delivery).
    ("GET", f"{SUBSCRIPTION}/deliveries"):
                                         route(401,  403,      403,      403,      403,   403,   200,   200),
    ("POST", REDELIVER):                 route(401,  403,      403,      403,      403,   403,   200,   200),
    # Imports: the plan system's service clients only, each import a new record (201).
    ("PUT", IMPORT_ORGANIZATION):        route(401,  403,      403,      403,      403,   403,   201,   403),
    ("PUT", IMPORT_LISTING):             route(401,  403,      403,      403,      403,   403,   201,   403),
    ("PUT", IMPORT_APPLICATION):         route(401,  403,      403,      403,      403,   403,   201,   403),
}
# fmt: on

# --------------------------------------------------------------------------------------------
# The world of one case, and the request each route makes in it
# --------------------------------------------------------------------------------------------


@dataclass
class World:
    app: FastAPI
    sessions: Sessions
    orgs: dict[str, Organization]
    managers: dict[str, User]
    target: Organization | None
    headers: dict[str, str] = field(default_factory=dict)
    role: str = ""

    @property
    def org_id(self) -> uuid.UUID:
        assert self.target is not None, "an organisation route needs a target"
        return self.target.id


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    headers: dict[str, str] | None = None


Builder = Callable[[World], Awaitable[Call]]


def fixed(path: str, json: Any = None) -> Builder:
    async def build(world: World) -> Call:
        return Call(path.format(organization_id=world.org_id) if world.target else path, json)

    return build


async def _register(world: World) -> Call:
    body = {
        "username": unique("reg."),
        "password": "a-long-enough-password",
        "display_name": "注册用户",
    }
    return Call("/api/v1/auth/register", body)


async def _token(world: World) -> Call:
    user = await create_user(world.sessions)
    form = {"grant_type": "password", "username": user.username, "password": PASSWORD}
    return Call("/api/v1/auth/token", data=form)


async def _create_user(world: World) -> Call:
    body = {
        "username": unique("made."),
        "password": "an-initial-secret-42",
        "display_name": "专家",
        "roles": ["expert"],
    }
    return Call("/api/v1/users", body)


async def _create_organization(world: World) -> Call:
    body = {"name": unique("新单位"), "uscc": valid_uscc(), "type": "enterprise"}
    return Call("/api/v1/organizations", body)


async def _add_member(world: World) -> Call:
    newcomer = await create_user(world.sessions)
    return Call(f"/api/v1/organizations/{world.org_id}/members", {"username": newcomer.username})


async def _remove_member(world: World) -> Call:
    assert world.target is not None
    plain = await create_user(world.sessions)
    await add_member(world.sessions, world.target, plain)
    return Call(f"/api/v1/organizations/{world.org_id}/members/{plain.id}")


def caller_of(world: World) -> uuid.UUID | None:
    """The user the case's caller signs in as (None: anonymous, or a service client)."""
    token = world.headers.get("Authorization", "").removeprefix("Bearer ")
    if not token:
        return None
    claims = world.app.state.token_codec.read(token)
    return claims.subject if claims.kind is SubjectKind.USER else None


def invitation_to_target(action: str) -> Builder:
    """The caller's invitation to the target, made unless the caller belongs there."""

    async def build(world: World) -> Call:
        assert world.target is not None
        caller = caller_of(world)
        belongs = world.orgs.get(MEMBER_ROLES.get(world.role, "")) is world.target
        if caller is not None and not belongs:
            async with world.sessions() as session:
                session.add(
                    Membership(
                        id=uuid.uuid4(),
                        user_id=caller,
                        organization_id=world.org_id,
                        role="member",
                        status="invited",
                    )
                )
                await session.commit()
        return Call(f"{INVITATION.format(organization_id=world.org_id)}/{action}")

    return build


def claim_on_target(action: str) -> Builder:
    """A fresh organisation's pending claim to be a subsidiary of the target."""

    async def build(world: World) -> Call:
        claimant = await create_organization(
            world.sessions, pending_parent_org_id=world.org_id, parent_claimed_at=datetime.now(UTC)
        )
        path = CLAIM.format(organization_id=world.org_id, claimant_id=claimant.id)
        return Call(f"{path}/{action}")

    return build


async def _withdraw_claim(world: World) -> Call:
    """The target's pending claim on a fresh organisation, withdrawn."""
    assert world.target is not None
    parent = await create_organization(world.sessions)
    async with world.sessions() as session:
        target = await session.get(Organization, world.org_id)
        assert target is not None
        target.pending_parent_org_id, target.parent_claimed_at = parent.id, datetime.now(UTC)
        await session.commit()
    return Call(f"/api/v1/organizations/{world.org_id}/parent-claim/withdraw")


async def _create_policy_version(world: World) -> Call:
    """One version per effective date: a far-future date no other case or test picks."""
    effective_on = date(2100, 1, 1) + timedelta(days=uuid.uuid4().int % 300_000)
    body = {
        "name": "揭榜挂帅实施办法（修订）",
        "effective_on": effective_on.isoformat(),
        "agreement_min_ratio": "0.3",
        "subsidy_max_ratio": "0.3",
        "subsidy_cap": "10000000.00",
        "tech_breakthrough_max_months": 36,
        "achievement_transfer_max_months": 24,
        "publicity_working_days": 5,
    }
    return Call("/api/v1/policy-versions", body)


CREDIT_RECORD = {"kind": "serious_dishonesty", "starts_on": "2026-01-01", "source": "test"}

# Every field R-LIST-FIELDS asks of a technology-breakthrough listing.
LISTING_TEXT: dict[str, Any] = {
    "title": "稀土永磁材料关键技术",
    "industry": "新材料",
    "background": "现有产品矫顽力不足。",
    "key_technologies": [{"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}],
    "time_requirement_months": 24,
    "demand_requirements": "提供中试线。",
    "supply_requirements": "具备研发团队。",
    "ip_ownership": "双方共有。",
    "benefit_sharing": "按投入比例分享。",
}
REASON = {"reason": "测试"}
ASSESSMENT = {"assessor": "张", "conclusion": "support"}


async def sandbox_now(app: FastAPI, session: AsyncSession) -> datetime:
    """The instant the app's rules see (the sandbox clock may have been moved)."""
    now: datetime = app.state.clock.now()
    return now + await sandbox.current_offset(session)


def publish_window(now: datetime) -> dict[str, str]:
    """A valid application window (R-LIST-WINDOW): opens tomorrow, closes in a month."""
    opens, closes = now + timedelta(days=1), now + timedelta(days=31)
    return {"application_opens_at": opens.isoformat(), "application_closes_at": closes.isoformat()}


async def make_listing(
    world: World, status: str, *, eligible: bool = False, **fields: Any
) -> tuple[Listing, datetime]:
    """A technology-breakthrough listing proposed by the target, complete, in `status`.

    It carries what `status` implies and the next action needs: an assessment opinion when
    under assessment (so `approve` may go on), the confirmation once confirmed, an open
    window when published. `eligible` makes the proposer pass the proposer rules (so `submit`
    may go on). Returns it with the instant it was made at (as the app's clock reads).
    """
    async with world.sessions() as session:
        now = await sandbox_now(world.app, session)
        listing = _listing(world.org_id, status, now, **fields)
        if eligible:  # R-ELIG-TB-PROPOSER: an in-region enterprise, independent legal person
            proposer = await session.get(Organization, world.org_id)
            assert proposer is not None
            proposer.independent_legal_person = True
        session.add(listing)
        await session.flush()
        if status == "under_assessment":
            session.add(ListingAssessment(id=uuid.uuid4(), listing_id=listing.id, **ASSESSMENT))
        await session.commit()
    return listing, now


def _listing(proposer_id: uuid.UUID, status: str, now: datetime, **fields: Any) -> Listing:
    listing = Listing(
        id=uuid.uuid4(),
        code=unique("JB-T-"),
        kind="tech_breakthrough",
        proposer_org_id=proposer_id,
        status=status,
        total_rd_investment=Decimal("1500000.00"),
        **{**LISTING_TEXT, **fields},
    )
    if status == "confirmed":
        listing.confirmed_at = now
    if status == "published":
        listing.application_opens_at = listing.published_at = now - timedelta(days=1)
        listing.application_closes_at = now + timedelta(days=30)
    return listing


def listing_in(
    status: str, action: str = "", json: Any = None, *, public: bool = False, eligible: bool = False
) -> Builder:
    """A request on a fresh listing of the target in `status`, at `LISTING` + `action` (or
    at `PUBLIC_LISTING`)."""
    template = PUBLIC_LISTING if public else LISTING

    async def build(world: World) -> Call:
        listing, _ = await make_listing(world, status, eligible=eligible)
        return Call(template.format(listing_id=listing.id) + action, json)

    return build


async def _publish(world: World) -> Call:
    listing, now = await make_listing(world, "confirmed")
    return Call(f"/api/v1/listings/{listing.id}/publish", publish_window(now))


def new_listing(proposer_id: uuid.UUID) -> Call:
    body = {
        "kind": "tech_breakthrough",
        "proposer_org_id": str(proposer_id),
        **LISTING_TEXT,
        "total_rd_investment": "1500000.00",
    }
    return Call("/api/v1/listings", body)


PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


async def _upload(world: World) -> Call:
    return Call("/api/v1/attachments", files={"file": ("需求说明书.pdf", PDF, "application/pdf")})


def attachment_of_target(suffix: str = "") -> Builder:
    """A file the target's manager uploaded, linked from a (draft) listing the target proposed."""

    async def build(world: World) -> Call:
        uploader = next(world.managers[n] for n, org in world.orgs.items() if org is world.target)
        key = new_key()
        await LocalStorage(world.app.state.settings.storage_dir).put(key, PDF)
        attachment = Attachment(
            id=uuid.uuid4(),
            filename="需求说明书.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
            storage_key=key,
            uploaded_by=uploader.id,
        )
        async with world.sessions() as session:
            session.add(attachment)
            await session.commit()
        await make_listing(world, "draft", attachment_ids=[str(attachment.id)])
        return Call(ATTACHMENT.format(attachment_id=attachment.id) + suffix)

    return build


async def _create_listing(world: World) -> Call:
    """Members propose for their own organisation (A, or B for `member_b`); every other role
    for a fresh organisation it does not belong to. Proposing for another organisation is
    `test_a_member_proposes_only_for_its_own_organisation`."""
    proposer = next(iter(world.orgs.values()), None)
    if proposer is None:
        proposer = await create_organization(
            world.sessions, manager=await create_user(world.sessions)
        )
    return new_listing(proposer.id)


PLAN = {
    "approach": "技术路线",
    "milestones": [{"title": "中试", "due_month": 12, "deliverable": "报告"}],
    "budget_total": "1000000.00",  # R-APP-PLAN: a plan has its budget
    "team": [{"name": "王工", "title": "教授", "role": "负责人"}],
}


async def third_party_listing(world: World) -> Listing:
    """A published listing of an organisation outside the matrix (so nobody is its proposer)."""
    proposer = await create_organization(world.sessions, manager=await create_user(world.sessions))
    async with world.sessions() as session:
        now = await sandbox_now(world.app, session)
        listing = _listing(proposer.id, "published", now)
        session.add(listing)
        await session.commit()
    return listing


async def _check_eligibility(world: World) -> Call:
    listing = await third_party_listing(world)
    lead = next(iter(world.orgs.values()), None) or await create_organization(world.sessions)
    return Call(
        "/api/v1/eligibility/check", {"listing_id": str(listing.id), "lead_org_id": str(lead.id)}
    )


async def _apply(world: World) -> Call:
    """Members apply to the target's published listing for their own organisation; everyone
    else for A, to which they do not belong."""
    listing, _ = await make_listing(world, "published")
    lead = world.orgs["B"] if world.role == MEMBER_B else world.orgs["A"]
    body = {"lead_org_id": str(lead.id), "lead_budget_share": "100", "plan": PLAN}
    return Call(f"/api/v1/listings/{listing.id}/applications", body)


def application_of_target(suffix: str = "", json: Any = None) -> Builder:
    """A draft application led by the target, to a third party's published listing."""

    async def build(world: World) -> Call:
        listing = await third_party_listing(world)
        application = Application(
            id=uuid.uuid4(),
            listing_id=listing.id,
            lead_org_id=world.org_id,
            status="draft",
            lead_budget_share=Decimal("100"),
            members=[],
            plan=PLAN,
            declarations={},
            attachment_ids=[],
        )
        async with world.sessions() as session:
            session.add(application)
            await session.commit()
        return Call(APPLICATION.format(application_id=application.id) + suffix, json)

    return build


def invitation_of_target(answer: str, json: Any) -> Builder:
    """A draft application led by a third organisation, to a third party's published listing,
    inviting the target as a consortium member; the request answers for the target."""

    async def build(world: World) -> Call:
        listing = await third_party_listing(world)
        lead = await create_organization(world.sessions)
        share = {"org_id": str(world.org_id), "role": "合作方", "budget_share": "30.00"}
        application = Application(
            id=uuid.uuid4(),
            listing_id=listing.id,
            lead_org_id=lead.id,
            status="draft",
            lead_budget_share=Decimal("70"),
            members=[{**share, "consent": "invited", "decided_by": None, "decided_at": None}],
            plan=PLAN,
            declarations={},
            attachment_ids=[],
        )
        async with world.sessions() as session:
            session.add(application)
            await session.commit()
        path = f"/api/v1/applications/{application.id}/members/{world.org_id}/{answer}"
        return Call(path, json)

    return build


async def _closed_listing_with_panel(
    world: World, proposer: Organization | None = None
) -> tuple[Listing, User, User]:
    """A closed listing with one application under review, an expert and a reviewer of the
    proposer: the target's listing and manager, or else an organisation outside the matrix."""
    if proposer is None:
        reviewer = await create_user(world.sessions)
        proposer = await create_organization(world.sessions, manager=reviewer)
    else:
        reviewer = next(world.managers[n] for n, org in world.orgs.items() if org is proposer)
    expert = await create_user(world.sessions, roles=("expert",))
    lead = await create_organization(world.sessions)
    async with world.sessions() as session:
        now = await sandbox_now(world.app, session)
        listing = _listing(proposer.id, "closed", now)
        session.add(listing)
        await session.flush()
        session.add(
            Application(
                id=uuid.uuid4(),
                listing_id=listing.id,
                lead_org_id=lead.id,
                status="under_review",
                lead_budget_share=Decimal("100"),
                members=[],
                plan=PLAN,
                declarations={},
                attachment_ids=[],
            )
        )
        await session.commit()
    return listing, expert, reviewer


def _panel(expert: User, reviewer: User) -> dict[str, Any]:
    return {"expert_user_ids": [str(expert.id)], "proposer_reviewer_user_ids": [str(reviewer.id)]}


async def _open_round(world: World) -> Call:
    listing, expert, reviewer = await _closed_listing_with_panel(world, world.target)
    return Call(f"/api/v1/listings/{listing.id}/review-rounds", _panel(expert, reviewer))


async def _emergency_under_review(world: World) -> Call:
    """A closed emergency listing with one application under review."""
    listing = await create_listing(world.sessions, None, kind="emergency", status="closed")
    lead = await create_organization(world.sessions)
    application = Application(
        id=uuid.uuid4(),
        listing_id=listing.id,
        lead_org_id=lead.id,
        status="under_review",
        lead_budget_share=Decimal("100"),
        members=[],
        plan=PLAN,
        declarations={},
        attachment_ids=[],
    )
    async with world.sessions() as session:
        session.add(application)
        await session.commit()
    body = {"application_ids": [str(application.id)], "reason": "应急简化程序"}
    return Call(f"/api/v1/listings/{listing.id}/recommendation", body)


async def _round_with_assignment(
    world: World, status: str = "open"
) -> tuple[ReviewRound, ReviewAssignment]:
    listing, expert, reviewer = await _closed_listing_with_panel(world)
    round_ = ReviewRound(
        id=uuid.uuid4(),
        listing_id=listing.id,
        status=status,
        results=None if status == "open" else [],
        criteria=[{"key": "plan", "name_zh": "方案", "name_en": "Plan", "max_score": "100.0"}],
        **{k: [str(v) for v in vs] for k, vs in _panel(expert, reviewer).items()},
    )
    async with world.sessions() as session:
        session.add(round_)
        await session.flush()
        application = await session.scalar(
            select(Application.id).where(Application.listing_id == listing.id)
        )
        assert application is not None
        assignment = ReviewAssignment(
            id=uuid.uuid4(),
            round_id=round_.id,
            expert_user_id=expert.id,
            application_id=application,
        )
        session.add(assignment)
        await session.commit()
    return round_, assignment


def review_round(status: str = "open", suffix: str = "", json: Any = None) -> Builder:
    """A round of a listing and panel outside the matrix, in `status`."""

    async def build(world: World) -> Call:
        round_, _ = await _round_with_assignment(world, status)
        return Call(ROUND.format(review_round_id=round_.id) + suffix, json)

    return build


def assignment_of_another(suffix: str = "", json: Any = None) -> Builder:
    """An assignment of an expert outside the matrix, in an open round."""

    async def build(world: World) -> Call:
        _, assignment = await _round_with_assignment(world)
        return Call(ASSIGNMENT.format(review_assignment_id=assignment.id) + suffix, json)

    return build


def recommended_of_target(suffix: str, json: Any = None) -> Builder:
    """A recommended application (rank 1) led by the target, to a third party's closed
    listing."""

    async def build(world: World) -> Call:
        listing = await third_party_listing(world)
        app = await _recommended(world, listing.id, world.org_id)
        return Call(APPLICATION.format(application_id=app) + suffix, json)

    return build


async def _recommended(world: World, listing_id: uuid.UUID, lead: uuid.UUID) -> uuid.UUID:
    async with world.sessions() as session:
        listing = await session.get(Listing, listing_id)
        assert listing is not None
        listing.status = "closed"
        application = Application(
            id=uuid.uuid4(),
            listing_id=listing_id,
            lead_org_id=lead,
            status="recommended",
            recommendation_rank=1,
            lead_budget_share=Decimal("100"),
            members=[],
            plan=PLAN,
            declarations={},
            attachment_ids=[],
        )
        session.add(application)
        await session.commit()
    return application.id


async def _outside_application(world: World) -> uuid.UUID:
    listing = await third_party_listing(world)
    return await _recommended(world, listing.id, (await create_organization(world.sessions)).id)


async def _draft_agreement(world: World) -> Call:
    return Call("/api/v1/agreements", agreement_body(await _outside_application(world)))


async def _agreement_of_others(world: World, **overrides: Any) -> Agreement:
    application_id = await _outside_application(world)
    async with world.sessions() as session:
        application = await session.get(Application, application_id)
        assert application is not None
        listing = await session.get(Listing, application.listing_id)
        assert listing is not None
    return await create_agreement(world.sessions, application, listing, **overrides)


def agreement_of_others(suffix: str = "", json: Any = None, status: str = "draft") -> Builder:
    """An agreement of two sides outside the matrix, in `status`."""

    async def build(world: World) -> Call:
        agreement = await _agreement_of_others(world, status=status)
        return Call(AGREEMENT.format(agreement_id=agreement.id) + suffix, json)

    return build


async def _on_notice(world: World, open_objections: int = 0) -> Agreement:
    """An agreement of others on public notice, its period open now."""
    now = datetime.now(UTC)
    return await _agreement_of_others(
        world,
        status="in_publicity",
        open_objections=open_objections,
        publicity_starts_on=(now - timedelta(days=2)).date(),
        publicity_ends_on=(now + timedelta(days=3)).date(),
        objections_close_at=now + timedelta(days=4),
    )


def notice_of_others(suffix: str = "", json: Any = None) -> Builder:
    async def build(world: World) -> Call:
        agreement = await _on_notice(world)
        return Call(NOTICE.format(notice_id=agreement.id) + suffix, json)

    return build


async def _objection_of_others(world: World) -> Call:
    agreement = await _on_notice(world, open_objections=1)
    objection = Objection(agreement_id=agreement.id, attachment_ids=[], **OBJECTION)
    async with world.sessions() as session:
        session.add(objection)
        await session.commit()
    return Call(
        f"/api/v1/objections/{objection.id}/resolve", {"outcome": "dismissed", "reason": "不成立"}
    )


async def _department_signature(world: World) -> Call:
    agreement = await _agreement_of_others(world, status="publicity_passed")
    scan = Attachment(
        filename="任务书签字页.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        storage_key=new_key(),
        uploaded_by=(await create_user(world.sessions)).id,
    )
    async with world.sessions() as session:
        session.add(scan)
        await session.commit()
    body = {"document": "task_book", "party": "department", "attachment_id": str(scan.id)}
    return Call(AGREEMENT.format(agreement_id=agreement.id) + "/signatures", body)


async def _other_project(world: World, kind: str = "tech_breakthrough") -> Project:
    """A signed project of two sides outside the matrix (an emergency one: the department
    stands for the demand side)."""
    agreement = await _agreement_of_others(world, status="signed")
    emergency = kind == "emergency"
    project = Project(
        code=unique("XM-T-")[:32],
        agreement_id=agreement.id,
        application_id=agreement.application_id,
        listing_id=agreement.listing_id,
        kind=kind,
        title="项目",
        demand_org_id=None if emergency else agreement.demand_org_id,
        supply_org_id=agreement.supply_org_id,
        lead_org_id=agreement.supply_org_id,
        agreement_amount=agreement.agreement_amount,
        total_rd_investment=agreement.total_rd_investment,
        requested_subsidy=agreement.requested_subsidy,
        start_on=agreement.start_on,
        end_on=agreement.start_on + timedelta(days=700),
        status="in_progress",
        signed_at=datetime.now(UTC),
    )
    async with world.sessions() as session:
        session.add(project)
        await session.commit()
    return project


def project_of_others(suffix: str = "", json: Any = None) -> Builder:
    async def build(world: World) -> Call:
        project = await _other_project(world)
        return Call(PROJECT.format(project_id=project.id) + suffix, json)

    return build


async def public_project_of_others(world: World) -> Call:
    project = await _other_project(world)
    return Call(f"/api/v1/public/projects/{project.id}")


async def _scan(world: World) -> uuid.UUID:
    """A file row uploaded by someone outside the matrix."""
    scan = Attachment(
        filename="回单.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        storage_key=new_key(),
        uploaded_by=(await create_user(world.sessions)).id,
    )
    async with world.sessions() as session:
        session.add(scan)
        await session.commit()
    return scan.id


async def _payment_of_others(world: World) -> Call:
    project = await _other_project(world)
    payment = Payment(
        project_id=project.id,
        instalment_seq=1,
        amount=Decimal("1000000.00"),
        paid_on=date(2027, 4, 15),
        payee_org_id=project.supply_org_id,
        proof_attachment_id=await _scan(world),
        status="submitted",
    )
    async with world.sessions() as session:
        session.add(payment)
        await session.commit()
    return Call(f"/api/v1/payments/{payment.id}/verify", {"accepted": True})


async def _first_tranche_due(world: World) -> Call:
    """An emergency project of others whose decision set its first tranche."""
    project = await _other_project(world, kind="emergency")
    async with world.sessions() as session:
        row = await session.get(Project, project.id)
        assert row is not None
        row.subsidy = Decimal("1000000.00")
        session.add(
            FundingDecision(
                project_id=project.id,
                subsidy=Decimal("1000000.00"),
                first_tranche=Decimal("400000.00"),
            )
        )
        await session.commit()
    return Call(
        PROJECT.format(project_id=project.id) + "/disbursements",
        {"tranche": "first"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


async def _payment_by_others(world: World) -> Call:
    project = await _other_project(world)
    body = {
        "instalment_seq": 1,
        "amount": "1000000.00",
        "paid_on": "2027-04-15",
        "payee_org_id": str(project.supply_org_id),
        "proof_attachment_id": str(await _scan(world)),
    }
    return Call(PROJECT.format(project_id=project.id) + "/payments", body)


async def _entrustment_of_others(world: World) -> Call:
    project = await _other_project(world)
    agency = await create_organization(world.sessions, type="agency")
    entrustment = await create_entrustment(world.sessions, project, agency, ["reports"])
    return Call(PROJECT.format(project_id=project.id) + f"/entrustments/{entrustment.id}")


async def _entrust_to_an_agency(world: World) -> Call:
    project = await _other_project(world)
    agency = await create_organization(world.sessions, type="agency")
    body = {"agency_org_id": str(agency.id), "scope": ["reports"]}
    return Call(PROJECT.format(project_id=project.id) + "/entrustments", body)


async def _acceptance_of_others(world: World, status: str) -> Project:
    """A project of others whose acceptance is requested (and its project `status`)."""
    project = await _other_project(world)
    async with world.sessions() as session:
        row = await session.get(Project, project.id)
        assert row is not None
        row.status = status
        session.add(
            Acceptance(project_id=project.id, summary="申请验收", requested_at=datetime.now(UTC))
        )
        await session.commit()
    return project


def acceptance_of_others(suffix: str, json: Any = None) -> Builder:
    async def build(world: World) -> Call:
        project = await _acceptance_of_others(world, "acceptance_requested")
        return Call(PROJECT.format(project_id=project.id) + suffix, json)

    return build


TERMINATION = {
    "kind": "termination",
    "reason_category": "force_majeure",
    "description": "不可抗力",
    "attachment_ids": [],
}


def change_of_others(
    suffix: str = "", json: Any = None, status: str = "awaiting_consent"
) -> Builder:
    async def build(world: World) -> Call:
        project = await _other_project(world)
        request = ChangeRequest(
            project_id=project.id,
            kind="termination",
            reason_category="force_majeure",
            description="不可抗力",
            end_on_at_filing=project.end_on,
            attachment_ids=[],
            status=status,
            filed_by_side="supply",
        )
        async with world.sessions() as session:
            session.add(request)
            await session.commit()
        return Call(CHANGE.format(change_request_id=request.id) + suffix, json)

    return build


REPORT_BODY = {
    "kind": "progress",
    "period_start": "2027-04-01",
    "period_end": "2027-09-30",
    "summary": "第一阶段完成。",
}


def report_of_others(suffix: str = "", json: Any = None) -> Builder:
    """A report on a project of two sides outside the matrix."""

    async def build(world: World) -> Call:
        project = await _other_project(world)
        report = ProjectReport(
            project_id=project.id,
            kind="progress",
            period_start=date(2027, 4, 1),
            period_end=date(2027, 9, 30),
            summary="第一阶段完成。",
            milestone_updates=[],
            expenditures=[],
            attachment_ids=[],
            submitted_on=date(2027, 10, 8),
        )
        async with world.sessions() as session:
            session.add(report)
            await session.commit()
        return Call(REPORT.format(report_id=report.id) + suffix, json)

    return build


async def _open_case_of_others(world: World) -> Call:
    project = await _other_project(world)
    case = MisconductCase(project_id=project.id, allegation="举报", source="来信", status="open")
    async with world.sessions() as session:
        row = await session.get(Project, project.id)
        assert row is not None
        row.status, row.suspended_from = "suspended", "in_progress"
        session.add(case)
        await session.commit()
    return Call(f"/api/v1/misconduct-cases/{case.id}/close", {"outcome": "cleared", "reason": "无"})


ACCEPTANCE_RESULT = {"method": "acceptance", "outcome": "passed", "comments": "通过"}


async def _terminating_of_others(world: World, *, audited: bool) -> Project:
    """A terminating project of others with 300,000.00 paid, audited or not (180,000.00 due)."""
    project = await _other_project(world)
    report = await _scan(world) if audited else None
    async with world.sessions() as session:
        row = await session.get(Project, project.id)
        assert row is not None
        row.status, row.subsidy, row.disbursed = "terminating", Decimal(1000000), Decimal(300000)
        if report is not None:
            session.add(
                SpecialAudit(
                    project_id=project.id,
                    disbursed=Decimal(300000),
                    audited_eligible_spending=Decimal(120000),
                    recovery_due=Decimal(180000),
                    recovered=Decimal(0),
                    auditor="事务所",
                    report_attachment_id=report,
                )
            )
        await session.commit()
    return project


async def _special_audit(world: World) -> Call:
    project = await _terminating_of_others(world, audited=False)
    body = {
        "audited_eligible_spending": "120000.00",
        "auditor": "事务所",
        "report_attachment_id": str(await _scan(world)),
    }
    return Call(PROJECT.format(project_id=project.id) + "/special-audits", body)


async def _recovery(world: World) -> Call:
    project = await _terminating_of_others(world, audited=True)
    body = {
        "amount": "100000.00",
        "paid_on": "2028-09-15",
        "proof_attachment_id": str(await _scan(world)),
    }
    return Call(
        PROJECT.format(project_id=project.id) + "/recoveries",
        body,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


async def _write_off(world: World) -> Call:
    project = await _terminating_of_others(world, audited=True)
    body = {"reason": "破产", "document_ref": "内科发〔2028〕12号"}
    return Call(PROJECT.format(project_id=project.id) + "/recovery-write-off", body)


FUNDING_DECISION = {
    "subsidy": "1000000.00",
    "total_rd_investment_verified": True,
    "agreement_verified": True,
}


OBJECTION = {
    "filer_name": "李四",
    "filer_kind": "individual",
    "contact": "13900000000",
    "grounds": "协议金额明显偏低。",
}
DECISION = {"reason": "重大项目一事一议", "document_ref": "内科发〔2027〕31号"}


WAIVER = {"rule": "R-TIME-TB-36M", "reason": "重大专项", "document_ref": "内科发〔2027〕2号"}


async def _callers_subscription(world: World) -> WebhookSubscription:
    """A webhook subscription the caller created (any owner for an anonymous caller)."""
    owner_type, owner_id = "service", str(uuid.uuid4())
    token = world.headers.get("Authorization", "").removeprefix("Bearer ")
    if token:
        claims = world.app.state.token_codec.read(token)
        owner_type, owner_id = claims.kind.value, str(claims.subject)
    return await create_subscription(world.sessions, owner_type=owner_type, owner_id=owner_id)


def callers_subscription(suffix: str = "", json: Any = None) -> Builder:
    async def build(world: World) -> Call:
        subscription = await _callers_subscription(world)
        return Call(SUBSCRIPTION.format(subscription_id=subscription.id) + suffix, json)

    return build


async def _callers_delivery(world: World) -> uuid.UUID:
    """A delivered delivery of a subscription the caller created (the event is made here)."""
    subscription = await _callers_subscription(world)
    return (await create_delivery(world.sessions, subscription)).id


async def _redeliver(world: World) -> Call:
    return Call(REDELIVER.format(delivery_id=await _callers_delivery(world)))


SUBSCRIBE = {"url": "http://127.0.0.1:9/hook", "event_types": ["project.created"]}


async def _import_organization(world: World) -> Call:
    body = {"name": unique("导入单位"), "type": "enterprise"}
    return Call(IMPORT_ORGANIZATION.format(uscc=valid_uscc()), body)


async def _import_listing(world: World) -> Call:
    proposer = await create_organization(world.sessions, **VERIFIED)
    ref = unique("PLAN-")
    return Call(IMPORT_LISTING.format(external_ref=ref), listing_body(proposer))


async def _import_application(world: World) -> Call:
    proposer = await create_organization(world.sessions, **VERIFIED)
    listing = await create_published_listing(world.sessions, proposer)
    lead = await create_organization(world.sessions, type="university", **VERIFIED)
    body = {**application_body(lead), "listing_id": str(listing.id)}
    return Call(IMPORT_APPLICATION.format(external_ref=unique("PLAN-")), body)


REQUESTS: dict[tuple[str, str], Builder] = {
    ("POST", SUBSCRIPTIONS): fixed(SUBSCRIPTIONS, SUBSCRIBE),
    ("GET", SUBSCRIPTIONS): fixed(SUBSCRIPTIONS),
    ("GET", SUBSCRIPTION): callers_subscription(),
    ("PATCH", SUBSCRIPTION): callers_subscription("", {"active": False}),
    ("DELETE", SUBSCRIPTION): callers_subscription(),
    ("POST", f"{SUBSCRIPTION}/rotate-secret"): callers_subscription("/rotate-secret"),
    ("GET", f"{SUBSCRIPTION}/deliveries"): callers_subscription("/deliveries"),
    ("POST", REDELIVER): _redeliver,
    ("PUT", IMPORT_ORGANIZATION): _import_organization,
    ("PUT", IMPORT_LISTING): _import_listing,
    ("PUT", IMPORT_APPLICATION): _import_application,
    ("GET", "/api/v1/calendar/{year}"): fixed("/api/v1/calendar/2043"),
    ("PUT", "/api/v1/calendar/{year}"): fixed(
        "/api/v1/calendar/2043", {"holidays": ["2043-01-01"], "workdays": [], "document_ref": "x"}
    ),
    ("POST", f"{APPLICATION}/negotiations"): recommended_of_target(
        "/negotiations", {"held_on": "2027-03-02", "participants": ["双方"], "minutes": "议定"}
    ),
    ("GET", f"{APPLICATION}/negotiations"): recommended_of_target("/negotiations"),
    ("POST", "/api/v1/agreements"): _draft_agreement,
    ("GET", AGREEMENT): agreement_of_others(),
    ("GET", f"{AGREEMENT}/history"): agreement_of_others("/history"),
    ("PATCH", AGREEMENT): agreement_of_others("", {"ip_ownership": "双方共有"}),
    ("POST", f"{AGREEMENT}/confirm"): agreement_of_others("/confirm", {}),
    ("POST", f"{AGREEMENT}/submit"): agreement_of_others("/submit", {}),
    ("POST", f"{AGREEMENT}/waivers"): agreement_of_others("/waivers", WAIVER),
    ("POST", f"{AGREEMENT}/return"): agreement_of_others("/return", REASON, "submitted"),
    ("POST", f"{AGREEMENT}/approve"): agreement_of_others("/approve", {}, "submitted"),
    ("POST", f"{AGREEMENT}/abandon"): agreement_of_others("/abandon", REASON),
    ("POST", f"{AGREEMENT}/case-by-case"): agreement_of_others("/case-by-case", DECISION),
    ("POST", f"{AGREEMENT}/signatures"): _department_signature,
    ("GET", f"{AGREEMENT}/signatures"): agreement_of_others("/signatures"),
    ("GET", "/api/v1/public/notices"): fixed("/api/v1/public/notices"),
    ("GET", NOTICE): notice_of_others(),
    ("POST", f"{NOTICE}/objections"): notice_of_others("/objections", OBJECTION),
    ("GET", "/api/v1/objections"): fixed("/api/v1/objections"),
    ("POST", "/api/v1/objections/{objection_id}/resolve"): _objection_of_others,
    ("GET", "/api/v1/projects"): fixed("/api/v1/projects"),
    ("GET", PROJECT): project_of_others(),
    ("GET", f"{PROJECT}/history"): project_of_others("/history"),
    ("GET", "/api/v1/public/projects"): fixed("/api/v1/public/projects"),
    ("GET", "/api/v1/public/projects/{project_id}"): public_project_of_others,
    ("POST", f"{PROJECT}/funding-decision"): project_of_others(
        "/funding-decision", FUNDING_DECISION
    ),
    ("GET", f"{PROJECT}/funding"): project_of_others("/funding"),
    ("POST", f"{PROJECT}/payments"): _payment_by_others,
    ("GET", f"{PROJECT}/payments"): project_of_others("/payments"),
    ("POST", "/api/v1/payments/{payment_id}/verify"): _payment_of_others,
    ("POST", f"{PROJECT}/disbursements"): _first_tranche_due,
    ("GET", f"{PROJECT}/disbursements"): project_of_others("/disbursements"),
    ("POST", f"{PROJECT}/entrustments"): _entrust_to_an_agency,
    ("GET", f"{PROJECT}/entrustments"): project_of_others("/entrustments"),
    ("DELETE", f"{PROJECT}/entrustments/{{entrustment_id}}"): _entrustment_of_others,
    ("POST", f"{PROJECT}/acceptance"): project_of_others("/acceptance", {"summary": "申请验收"}),
    ("GET", f"{PROJECT}/acceptance"): acceptance_of_others("/acceptance"),
    ("POST", f"{PROJECT}/acceptance/result"): acceptance_of_others(
        "/acceptance/result", ACCEPTANCE_RESULT
    ),
    ("POST", f"{PROJECT}/misconduct-cases"): project_of_others(
        "/misconduct-cases", {"allegation": "涉嫌虚报", "source": "举报"}
    ),
    ("GET", f"{PROJECT}/misconduct-cases"): project_of_others("/misconduct-cases"),
    ("POST", "/api/v1/misconduct-cases/{case_id}/close"): _open_case_of_others,
    ("POST", f"{PROJECT}/change-requests"): project_of_others("/change-requests", TERMINATION),
    ("GET", f"{PROJECT}/change-requests"): project_of_others("/change-requests"),
    ("GET", CHANGE): change_of_others(),
    ("POST", f"{CHANGE}/consent"): change_of_others("/consent"),
    ("POST", f"{CHANGE}/approve"): change_of_others("/approve", {}, "awaiting_approval"),
    ("POST", f"{CHANGE}/reject"): change_of_others("/reject", {"reason": "不属于不可抗力"}),
    ("POST", f"{PROJECT}/special-audits"): _special_audit,
    ("POST", f"{PROJECT}/recoveries"): _recovery,
    ("POST", f"{PROJECT}/recovery-write-off"): _write_off,
    ("GET", f"{PROJECT}/recovery"): project_of_others("/recovery"),
    ("GET", f"{PROJECT}/milestones"): project_of_others("/milestones"),
    ("POST", f"{PROJECT}/reports"): project_of_others("/reports", REPORT_BODY),
    ("GET", f"{PROJECT}/reports"): project_of_others("/reports"),
    ("GET", REPORT): report_of_others(),
    ("POST", f"{REPORT}/review"): report_of_others("/review", {"outcome": "accepted"}),
    ("GET", "/api/v1/public/announcements"): fixed("/api/v1/public/announcements"),
    ("POST", "/api/v1/funding/calculate"): fixed(
        "/api/v1/funding/calculate",
        {"kind": "emergency", "total_rd_investment": "1000.00", "agreement_amount": "0"},
    ),
    ("POST", f"{LISTING}/review-rounds"): _open_round,
    ("POST", f"{LISTING}/recommendation"): _emergency_under_review,
    ("GET", ROUND): review_round(),
    ("POST", f"{ROUND}/close"): review_round("open", "/close", {}),
    ("GET", f"{ROUND}/results"): review_round("closed", "/results"),
    ("POST", f"{ROUND}/recommendation"): review_round(
        "closed", "/recommendation", {"application_ids": []}
    ),
    ("POST", f"{ROUND}/recommendation/confirm"): review_round(
        "recommendation_proposed", "/recommendation/confirm", {}
    ),
    ("GET", "/api/v1/review-assignments"): fixed("/api/v1/review-assignments"),
    ("GET", ASSIGNMENT): assignment_of_another(),
    ("POST", f"{ASSIGNMENT}/scores"): assignment_of_another("/scores", {"scores": {"plan": "50"}}),
    ("POST", f"{ASSIGNMENT}/decline"): assignment_of_another("/decline", {"reason": "回避"}),
    ("POST", "/api/v1/eligibility/check"): _check_eligibility,
    ("GET", "/api/v1/applications"): fixed("/api/v1/applications"),
    ("POST", f"{LISTING}/applications"): _apply,
    ("GET", APPLICATION): application_of_target(),
    ("PATCH", APPLICATION): application_of_target("", {"plan": PLAN}),
    ("POST", f"{APPLICATION}/submit"): application_of_target("/submit", {}),
    ("POST", f"{APPLICATION}/withdraw"): application_of_target("/withdraw", {}),
    ("POST", f"{APPLICATION}/members/{{org_id}}/accept"): invitation_of_target(
        "accept", {"budget_share": "30.00"}
    ),
    ("POST", f"{APPLICATION}/members/{{org_id}}/decline"): invitation_of_target("decline", {}),
    ("GET", "/healthz"): fixed("/healthz"),
    ("GET", "/readyz"): fixed("/readyz"),
    ("GET", "/metrics"): fixed("/metrics"),
    ("GET", "/api/v1/meta/enums"): fixed("/api/v1/meta/enums"),
    ("GET", "/api/v1/meta/rules"): fixed("/api/v1/meta/rules"),
    ("GET", "/api/v1/policy-versions"): fixed("/api/v1/policy-versions"),
    ("POST", "/api/v1/policy-versions"): _create_policy_version,
    ("GET", "/api/v1/sandbox/clock"): fixed("/api/v1/sandbox/clock"),
    ("POST", "/api/v1/sandbox/clock"): fixed("/api/v1/sandbox/clock", {"reset": True}),
    ("POST", "/api/v1/auth/register"): _register,
    ("POST", "/api/v1/auth/token"): _token,
    ("POST", "/api/v1/users"): _create_user,
    ("POST", "/api/v1/service-clients"): fixed("/api/v1/service-clients", {"name": "计划系统"}),
    ("GET", "/api/v1/events"): fixed("/api/v1/events?limit=1"),
    ("GET", "/api/v1/me"): fixed("/api/v1/me"),
    ("GET", "/api/v1/me/invitations"): fixed("/api/v1/me/invitations"),
    ("POST", f"{INVITATION}/accept"): invitation_to_target("accept"),
    ("POST", f"{INVITATION}/decline"): invitation_to_target("decline"),
    ("GET", f"{ORG}/subsidiary-claims"): fixed(f"{ORG}/subsidiary-claims"),
    ("POST", f"{CLAIM}/accept"): claim_on_target("accept"),
    ("POST", f"{CLAIM}/decline"): claim_on_target("decline"),
    ("POST", f"{ORG}/parent-claim/withdraw"): _withdraw_claim,
    ("POST", "/api/v1/organizations"): _create_organization,
    ("GET", "/api/v1/organizations"): fixed("/api/v1/organizations"),
    ("GET", ORG): fixed(ORG),
    ("PATCH", ORG): fixed(ORG, {"high_tech": True}),
    ("POST", f"{ORG}/verify"): fixed(f"{ORG}/verify", {}),
    ("GET", f"{ORG}/members"): fixed(f"{ORG}/members"),
    ("POST", f"{ORG}/members"): _add_member,
    ("DELETE", f"{ORG}/members/{{user_id}}"): _remove_member,
    ("POST", f"{ORG}/credit-records"): fixed(f"{ORG}/credit-records", CREDIT_RECORD),
    ("GET", f"{ORG}/credit-records"): fixed(f"{ORG}/credit-records"),
    ("GET", f"{ORG}/history"): fixed(f"{ORG}/history"),
    ("GET", f"{ORG}/consortium-invitations"): fixed(f"{ORG}/consortium-invitations"),
    ("POST", "/api/v1/listings"): _create_listing,
    ("GET", "/api/v1/listings"): fixed("/api/v1/listings"),
    ("GET", LISTING): listing_in("draft"),
    ("PATCH", LISTING): listing_in("draft", json={"title": "新标题"}),
    ("GET", f"{LISTING}/assessments"): listing_in("under_assessment", "/assessments"),
    ("POST", f"{LISTING}/assessments"): listing_in("under_assessment", "/assessments", ASSESSMENT),
    ("GET", f"{LISTING}/history"): listing_in("draft", "/history"),
    ("POST", f"{LISTING}/submit"): listing_in("draft", "/submit", {}, eligible=True),
    ("POST", f"{LISTING}/screen"): listing_in("submitted", "/screen", {"passed": True}),
    ("POST", f"{LISTING}/approve"): listing_in("under_assessment", "/approve", {}),
    ("POST", f"{LISTING}/reject"): listing_in("under_assessment", "/reject", REASON),
    ("POST", f"{LISTING}/return"): listing_in("submitted", "/return", REASON),
    ("POST", f"{LISTING}/confirm"): listing_in("approved", "/confirm", {}),
    ("POST", f"{LISTING}/publish"): _publish,
    ("POST", f"{LISTING}/close"): listing_in("published", "/close", {}),
    ("POST", f"{LISTING}/withdraw"): listing_in("draft", "/withdraw", {}),
    ("POST", f"{LISTING}/cancel"): listing_in("draft", "/cancel", REASON),
    ("GET", "/api/v1/public/listings"): fixed("/api/v1/public/listings"),
    ("GET", PUBLIC_LISTING): listing_in("published", public=True),
    ("POST", "/api/v1/attachments"): _upload,
    ("GET", ATTACHMENT): attachment_of_target(),
    ("GET", f"{ATTACHMENT}/content"): attachment_of_target("/content"),
}


class _FlushOnCommit:
    """A session whose `commit` only flushes, and which its `async with` leaves open."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def commit(self) -> None:
        await self._session.flush()

    async def __aenter__(self) -> _FlushOnCommit:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


@asynccontextmanager
async def one_transaction(sessions: Sessions) -> AsyncIterator[Sessions]:
    """A stand-in sessionmaker for the factories: what they write (each in its own transaction
    otherwise) goes into one, committed at the end. A world is up to eight rows, and the
    matrix builds about a thousand worlds."""
    async with sessions() as session:
        deferred = _FlushOnCommit(session)
        yield cast(Sessions, lambda: deferred)
        await session.commit()


async def build_world(
    app: FastAPI,
    sessions: Sessions,
    accounts: Mapping[str, dict[str, str]],
    role: str,
    target: str | None,
) -> World:
    """Fresh organisations with their managers, and the caller playing `role`.

    Organisation routes get both A and B; other routes only the caller's own organisation
    (if the caller is a member), which is all they can see of it.
    """
    names = TARGETS if target else tuple(n for r, n in MEMBER_ROLES.items() if r == role)
    async with one_transaction(sessions) as batch:
        managers = {name: await create_user(batch) for name in names}
        orgs = {name: await create_organization(batch, manager=managers[name]) for name in names}
        staff = await create_user(batch) if role == STAFF_A else None
        if staff is not None:
            await add_member(batch, orgs["A"], staff)
    world = World(app, sessions, orgs, managers, orgs[target] if target else None, role=role)
    if staff is not None:
        world.headers = bearer(app, staff)
    elif role in MEMBER_ROLES:
        world.headers = bearer(app, managers[MEMBER_ROLES[role]])
    else:
        world.headers = dict(accounts[role])
    return world


async def perform(
    client: httpx.AsyncClient, method: str, call: Call, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(
        method,
        call.path,
        json=call.json,
        data=call.data,
        files=call.files,
        headers={**headers, **(call.headers or {})},
    )


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def matrix_app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    """One app per backend for the whole matrix (building an app per case is the slow part)."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env=Environment.TEST,
        database_url=database_url,
        migrations_dir=MIGRATIONS,
        storage_dir=tmp_path_factory.mktemp("matrix-files"),
        objection_limit="100000/minute",
        webhook_allowed_addresses=["127.0.0.1"],  # a subscription's receiver (never called)
    )
    application = create_app(settings)
    yield application
    await application.state.engine.dispose()


@pytest.fixture(scope="module")
def matrix_sessions(matrix_app: FastAPI) -> Sessions:
    maker: Sessions = matrix_app.state.sessionmaker
    return maker


@pytest.fixture(scope="module")
async def matrix_client(matrix_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=matrix_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="module")
async def accounts(matrix_app: FastAPI, matrix_sessions: Sessions) -> dict[str, dict[str, str]]:
    """Headers of the callers that belong to no organisation (no case changes them)."""
    return {
        ANONYMOUS: {},
        "expert": bearer(matrix_app, await create_user(matrix_sessions, roles=("expert",))),
        "agency": bearer(matrix_app, await create_user(matrix_sessions, roles=("agency",))),
        "admin": bearer(matrix_app, await create_user(matrix_sessions, roles=("admin",))),
        "integration": bearer(matrix_app, await create_service_client(matrix_sessions)),
    }


def _cases() -> list[Any]:
    cases = []
    for (method, path), expectation in MATRIX.items():
        for role in ROLES:
            for target in TARGETS if expectation.scoped else (None,):
                if target is None:
                    relation = ""
                else:
                    relation = "own" if MEMBER_ROLES.get(role) == target else "other"
                    relation = f"-{target}({relation})"
                cases.append(
                    pytest.param(method, path, role, target, id=f"{method} {path}-{role}{relation}")
                )
    return cases


@pytest.mark.parametrize(("method", "path", "role", "target"), _cases())
async def test_the_route_answers_the_role_as_the_matrix_says(
    matrix_app: FastAPI,
    matrix_sessions: Sessions,
    matrix_client: httpx.AsyncClient,
    accounts: dict[str, dict[str, str]],
    method: str,
    path: str,
    role: str,
    target: str | None,
) -> None:
    world = await build_world(matrix_app, matrix_sessions, accounts, role, target)
    call = await REQUESTS[(method, path)](world)
    response = await perform(matrix_client, method, call, world.headers)

    expected = MATRIX[(method, path)].status(role, target)
    assert response.status_code == expected, (
        f"{method} {path} as {role} on {target or '-'} ({call.path}): expected {expected}, "
        f"got {response.status_code}: {response.text}"
    )


def test_every_route_is_in_the_matrix(matrix_app: FastAPI) -> None:
    operations = {
        (method.upper(), path)
        for path, item in matrix_app.openapi()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    missing = sorted(operations - MATRIX.keys())
    stale = sorted(MATRIX.keys() - operations)
    assert not missing, f"routes without an entry in MATRIX: {missing}"
    assert not stale, f"MATRIX entries for routes that do not exist: {stale}"
    assert REQUESTS.keys() == MATRIX.keys(), "every matrix entry needs a request builder"
    for (method, path), expectation in MATRIX.items():
        for scope, parameter in SCOPES.items():
            assert (parameter in path) == (expectation.scope == scope), (method, path)


# Bodies that pass validation, so an unknown organisation, listing or attachment is what the
# answer is about (`publish` also gets a valid window, built at run time).
UNKNOWN_TARGET_BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", ORG): {"high_tech": True},
    ("POST", f"{ORG}/verify"): {},
    ("POST", f"{ORG}/members"): {"username": "nobody.at.all"},
    ("POST", f"{ORG}/credit-records"): CREDIT_RECORD,
    ("PATCH", LISTING): {"title": "新标题"},
    ("POST", f"{LISTING}/assessments"): ASSESSMENT,
    ("POST", f"{LISTING}/submit"): {},
    ("POST", f"{LISTING}/screen"): {"passed": True},
    ("POST", f"{LISTING}/approve"): {},
    ("POST", f"{LISTING}/reject"): REASON,
    ("POST", f"{LISTING}/return"): REASON,
    ("POST", f"{LISTING}/confirm"): {},
    ("POST", f"{LISTING}/close"): {},
    ("POST", f"{LISTING}/withdraw"): {},
    ("POST", f"{LISTING}/cancel"): REASON,
    ("POST", f"{LISTING}/applications"): {
        "lead_org_id": str(uuid.uuid4()),
        "lead_budget_share": "100",
    },
    ("POST", f"{LISTING}/review-rounds"): {"expert_user_ids": [str(uuid.uuid4())]},
    ("POST", f"{LISTING}/recommendation"): {"application_ids": [], "reason": "应急"},
    ("PATCH", APPLICATION): {},
    ("POST", f"{APPLICATION}/submit"): {},
    ("POST", f"{APPLICATION}/withdraw"): {},
    ("POST", f"{APPLICATION}/members/{{org_id}}/accept"): {"budget_share": "30.00"},
    ("POST", f"{APPLICATION}/members/{{org_id}}/decline"): {},
    ("POST", f"{APPLICATION}/negotiations"): {
        "held_on": "2027-03-02",
        "participants": ["双方"],
        "minutes": "议定",
    },
}


async def test_an_unknown_target_is_404_when_signed_in_and_401_anonymously(
    matrix_app: FastAPI,
    matrix_sessions: Sessions,
    matrix_client: httpx.AsyncClient,
    accounts: dict[str, dict[str, str]],
) -> None:
    """Every scoped route; the public catalogue needs no sign-in, so it says 404 to all."""
    world = await build_world(matrix_app, matrix_sessions, accounts, ANONYMOUS, "A")
    signed_in = {
        role: bearer(matrix_app, world.managers[MEMBER_ROLES[role]])
        if role in MEMBER_ROLES
        else accounts[role]
        for role in ROLES
        if role != ANONYMOUS
    }
    async with matrix_sessions() as session:
        now = await sandbox_now(matrix_app, session)
    bodies = {
        **UNKNOWN_TARGET_BODIES,
        ("POST", f"{LISTING}/publish"): publish_window(now),
    }
    scoped = [key for key, expectation in MATRIX.items() if expectation.scoped]
    assert {expectation.scope for expectation in MATRIX.values()} >= set(SCOPES)
    for method, template in scoped:
        names = (*SCOPES.values(), "{user_id}", "{claimant_id}", "{org_id}")
        ids = {name.strip("{}"): uuid.uuid4() for name in names}
        call = Call(template.format(**ids), bodies.get((method, template)))
        needs_sign_in = MATRIX[(method, template)].status(ANONYMOUS, "A") == 401
        anonymous = await perform(matrix_client, method, call, {})
        expected = 401 if needs_sign_in else 404
        assert anonymous.status_code == expected, (method, template, anonymous.text)
        for role, headers in signed_in.items():
            response = await perform(matrix_client, method, call, headers)
            assert response.status_code == 404, (method, template, role, response.text)


async def test_a_member_proposes_only_for_its_own_organisation(
    matrix_app: FastAPI,
    matrix_sessions: Sessions,
    matrix_client: httpx.AsyncClient,
    accounts: dict[str, dict[str, str]],
) -> None:
    world = await build_world(matrix_app, matrix_sessions, accounts, MEMBER_B, "A")
    for proposer, expected in (("A", 403), ("B", 201)):
        call = new_listing(world.orgs[proposer].id)
        response = await perform(matrix_client, "POST", call, world.headers)
        assert response.status_code == expected, (proposer, response.text)


async def test_the_listing_list_shows_a_listing_to_those_who_may_read_it(
    matrix_app: FastAPI,
    matrix_sessions: Sessions,
    matrix_client: httpx.AsyncClient,
    accounts: dict[str, dict[str, str]],
) -> None:
    """Everyone signed in may list; the list holds what GET of the listing would answer."""
    world = await build_world(matrix_app, matrix_sessions, accounts, STAFF_A, "A")
    listing, _ = await make_listing(world, "draft")
    headers = {
        **accounts,
        MEMBER_A: bearer(matrix_app, world.managers["A"]),
        MEMBER_B: bearer(matrix_app, world.managers["B"]),
        STAFF_A: world.headers,
    }
    for role in ROLES:
        if role == ANONYMOUS:
            continue
        call = Call(f"/api/v1/listings?q={listing.code}")
        response = await perform(matrix_client, "GET", call, headers[role])
        assert response.status_code == 200, (role, response.text)
        listed = [item["id"] for item in response.json()["items"]]
        readable = MATRIX[("GET", LISTING)].status(role, "A") == 200
        assert listed == ([str(listing.id)] if readable else []), (role, listed)
