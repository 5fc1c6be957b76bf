"""Signing and projects (第九条（七）（八）): the five signatures on the agreement and the
task book; the project the last one creates; its public announcement."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, status

from jiebang_api.agreements.workflow import Document, Party
from jiebang_api.api import idempotency
from jiebang_api.api.deps import LOCATION, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import AgreementId, Cursor, Limit, ProjectId
from jiebang_api.api.v1.schemas.organizations import AuditEntryOut, HistoryOut
from jiebang_api.api.v1.schemas.projects import (
    AnnouncementOut,
    AnnouncementPage,
    ProjectOut,
    ProjectPage,
    PublicProjectOut,
    PublicProjectPage,
    SignatureIn,
    SigningOut,
)
from jiebang_api.kit.errors import ErrorCode
from jiebang_api.kit.pagination import DEFAULT_LIMIT
from jiebang_api.listings.enums import ListingKind
from jiebang_api.projects import service as projects_service
from jiebang_api.projects import signing
from jiebang_api.projects.workflow import ProjectStatus

router = StrictRouter(tags=["projects"])


def signing_out(found: signing.Signing) -> SigningOut:
    return SigningOut.model_validate(
        {
            "agreement_id": found.agreement.id,
            "status": found.agreement.status,
            "signatures": [
                {
                    "document": s.document,
                    "party": s.party,
                    "attachment_id": s.attachment_id,
                    "signed_by": s.signed_by,
                    "signed_at": s.created_at,
                }
                for s in found.signatures
            ],
            "missing": [{"document": d, "party": p} for d, p in found.missing],
            "project_id": found.project.id if found.project else None,
        }
    )


@router.post(
    "/agreements/{agreement_id}/signatures",
    response_model=SigningOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Sign the agreement or the task book for one party",
    description="Once the notice has passed (409 `INVALID_TRANSITION` before): both sides "
    "sign the agreement; both sides and the department sign the task book (R-WF-SIGN-ALL). "
    "Each side signs by a member of its organisation (the department for an emergency "
    "listing's demand side), the department by an administrator (403 for another party; 404 "
    "for anyone who may not read the agreement). The signing side must have no active "
    "serious-dishonesty record (422 `RULE_VIOLATION` citing R-ELIG-NO-DISHONESTY, 第十五条). "
    "409 when that party signed that document already. The last of the five signatures, in "
    "one transaction: the agreement is `signed`, the project exists (`project_id`, code "
    "XM-{year}-{number}), the result is announced, the listing is `awarded`, the application "
    "`selected` and the listing's other applications `unsuccessful`.",
    responses={
        201: {"headers": LOCATION},
        **problems(401, 403, 404, 409, 422, ErrorCode.INVALID_TRANSITION, ErrorCode.RULE_VIOLATION),
    },
)
async def sign_agreement(
    agreement_id: AgreementId,
    body: SignatureIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> SigningOut:
    found = await signing.sign(
        session,
        principal=principal,
        agreement_id=agreement_id,
        document=Document(body.document),
        party=Party(body.party),
        attachment_id=body.attachment_id,
        now=now,
    )
    response.headers["Location"] = f"/api/v1/agreements/{agreement_id}/signatures"
    return signing_out(found)


@router.get(
    "/agreements/{agreement_id}/signatures",
    response_model=SigningOut,
    summary="The signatures of an agreement",
    description="Who signed which document, what is still missing, and the project once it "
    "exists. The department and the members of either side (404 for anyone else).",
    responses=problems(401, 404, 422),
)
async def agreement_signatures(
    agreement_id: AgreementId, session: SessionDep, principal: PrincipalDep
) -> SigningOut:
    found = await signing.status(session, principal=principal, agreement_id=agreement_id)
    return signing_out(found)


@router.get(
    "/projects",
    response_model=ProjectPage,
    summary="Projects",
    description="Oldest first: the department reads every project, a member of either side "
    "its own projects, a member of an entrusted agency the projects entrusted to it. Continue "
    "with `next_cursor`. `overdue` narrows to the projects with (or without) a milestone past "
    "due and not met, or past their end still in progress (their acceptance overdue, 第十四条), "
    "at the service's clock (the sandbox clock where there is one).",
    responses=problems(401, 422),
)
async def list_projects(
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    project_status: Annotated[
        ProjectStatus | None, Query(alias="status", description="Only projects in this status.")
    ] = None,
    kind: Annotated[ListingKind | None, Query(description="Only projects of this kind.")] = None,
    org_id: Annotated[
        uuid.UUID | None,
        Query(description="Only projects where this organisation is the demand or supply side."),
    ] = None,
    overdue: Annotated[
        bool | None,
        Query(
            description="Only projects with (true) or without (false) a milestone not met "
            "after the end of its due day (Asia/Shanghai), at the service's clock."
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ProjectPage:
    page = await projects_service.page(
        session,
        principal=principal,
        status=project_status,
        kind=kind,
        org_id=org_id,
        overdue=overdue,
        now=now,
        cursor=cursor,
        limit=limit,
    )
    return ProjectPage(
        items=[ProjectOut.model_validate(p) for p in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/projects/{project_id}",
    response_model=ProjectOut,
    summary="Read a project",
    description="The department and the members of either side (404 for anyone else).",
    responses=problems(401, 404, 422),
)
async def get_project(
    project_id: ProjectId, session: SessionDep, principal: PrincipalDep
) -> ProjectOut:
    project = await projects_service.get(session, principal=principal, project_id=project_id)
    return ProjectOut.model_validate(project)


@router.get(
    "/public/announcements",
    response_model=AnnouncementPage,
    tags=["public"],
    summary="Announcements of the listings' results",
    description="Anonymous. One announcement per project, published by its last signature, "
    "oldest first: the project's and the listing's codes, the two sides' names, the figures "
    "and the dates. Nothing personal.",
    responses=problems(422),
)
async def public_announcements(
    session: SessionDep, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> AnnouncementPage:
    page = await projects_service.announcements(session, cursor=cursor, limit=limit)
    return AnnouncementPage(
        items=[AnnouncementOut.model_validate(a) for a in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/projects/{project_id}/history",
    response_model=HistoryOut,
    summary="Audit history of a project",
    description="Every step with actor, time and data, oldest first: its creation by the "
    "last signature, the funding decision, each disbursement. The department and the members "
    "of either side (404 for anyone else).",
    responses=problems(401, 404, 422),
)
async def project_history(
    project_id: ProjectId, session: SessionDep, principal: PrincipalDep
) -> HistoryOut:
    entries = await projects_service.history(session, principal=principal, project_id=project_id)
    return HistoryOut(items=[AuditEntryOut.model_validate(e) for e in entries])


def public_project_out(row: projects_service.PublicProject) -> PublicProjectOut:
    p = row.project
    return PublicProjectOut(
        id=p.id,
        code=p.code,
        title=p.title,
        kind=ListingKind(p.kind),
        demand_side=row.demand_name,
        supply_side=row.supply_name,
        subsidy=p.subsidy,
        disbursed=p.disbursed,
        start_on=p.start_on,
        end_on=p.end_on,
        status=ProjectStatus(p.status),
    )


@router.get(
    "/public/projects",
    response_model=PublicProjectPage,
    tags=["public"],
    summary="Public list of projects",
    description="Anonymous, oldest first: code, title, kind, the two sides' names, the "
    "subsidy and what is paid of it, the dates and the status; nothing else.",
    responses=problems(422),
)
async def public_projects(
    session: SessionDep, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> PublicProjectPage:
    page = await projects_service.public_page(session, cursor=cursor, limit=limit)
    return PublicProjectPage(
        items=[public_project_out(p) for p in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/public/projects/{project_id}",
    response_model=PublicProjectOut,
    tags=["public"],
    summary="One project, publicly",
    description="Anonymous: what `GET /api/v1/public/projects` shows of one project.",
    responses=problems(404, 422),
)
async def public_project(project_id: ProjectId, session: SessionDep) -> PublicProjectOut:
    return public_project_out(await projects_service.public_project(session, project_id=project_id))
