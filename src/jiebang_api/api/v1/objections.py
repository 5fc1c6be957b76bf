"""The public notice of an agreement and its objections (公示, 第九条（七）): anyone reads the
notices and may object during one; the department decides each objection."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response, status

from jiebang_api.agreements import objections as objections_service
from jiebang_api.agreements.workflow import ObjectionStatus
from jiebang_api.api import idempotency
from jiebang_api.api.deps import (
    LOCATION,
    NowDep,
    OptionalPrincipalDep,
    PrincipalDep,
    SessionDep,
    count_objection,
)
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import Cursor, Limit, NoticeId, ObjectionId
from jiebang_api.api.v1.schemas.objections import (
    NoticeOut,
    NoticePage,
    ObjectionIn,
    ObjectionOut,
    ObjectionPage,
    ObjectionReceipt,
    ResolveIn,
)
from jiebang_api.kit.errors import ErrorCode
from jiebang_api.kit.pagination import DEFAULT_LIMIT

router = StrictRouter(tags=["agreements"])


def notice_out(row: objections_service.PublicNotice) -> NoticeOut:
    a, listing = row.agreement, row.listing
    return NoticeOut.model_validate(
        {
            "id": a.id,
            "listing": {
                "id": listing.id,
                "code": listing.code,
                "title": listing.title,
                "kind": listing.kind,
            },
            "demand_side": row.demand_name,
            "supply_side": row.supply_name,
            "agreement_amount": a.agreement_amount,
            "requested_subsidy": a.requested_subsidy,
            "publicity_starts_on": a.publicity_starts_on,
            "publicity_ends_on": a.publicity_ends_on,
            "objections_close_at": a.objections_close_at,
            "state": row.state,
        }
    )


@router.get(
    "/public/notices",
    response_model=NoticePage,
    tags=["public"],
    summary="Public notices of agreements",
    description="Anonymous. Every agreement the department put on public notice (公示), "
    "oldest first: the listing, the two sides' names, the agreement amount, the subsidy asked "
    "for, the period, and where the notice stands (`state`). Nothing personal.",
    responses=problems(422),
)
async def public_notices(
    session: SessionDep, now: NowDep, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> NoticePage:
    page = await objections_service.notices(session, cursor=cursor, limit=limit, now=now)
    return NoticePage(items=[notice_out(n) for n in page.items], next_cursor=page.next_cursor)


@router.get(
    "/public/notices/{notice_id}",
    response_model=NoticeOut,
    tags=["public"],
    summary="One public notice",
    description="Anonymous. 404 for an agreement that never went on notice.",
    responses=problems(404, 422),
)
async def public_notice(notice_id: NoticeId, session: SessionDep, now: NowDep) -> NoticeOut:
    row = await objections_service.public_notice(session, agreement_id=notice_id, now=now)
    return notice_out(row)


@router.post(
    "/public/notices/{notice_id}/objections",
    response_model=ObjectionReceipt,
    status_code=status.HTTP_201_CREATED,
    tags=["public"],
    summary="Object to an agreement on public notice",
    description="Anyone, signed in or not, from the notice's first day to the end of its last "
    "(Asia/Shanghai; 409 `NOTICE_CLOSED` citing R-WF-PUBLICITY otherwise). The contact is "
    "read by the department only. Counted per client address (10 an hour by default, valid "
    "or not): over the limit 429 with `Retry-After`. While an objection is open the notice "
    "cannot pass; the department upholds or dismisses it.",
    responses={
        201: {"headers": LOCATION},
        **problems(404, 422, 429, ErrorCode.NOTICE_CLOSED),
    },
    dependencies=[Depends(count_objection), *idempotency.CREATES],
)
async def file_objection(
    notice_id: NoticeId,
    body: ObjectionIn,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    now: NowDep,
    response: Response,
) -> ObjectionReceipt:
    objection = await objections_service.file(
        session,
        principal=principal,
        agreement_id=notice_id,
        data=body.model_dump(mode="python"),
        now=now,
    )
    response.headers["Location"] = f"/api/v1/public/notices/{notice_id}"
    return ObjectionReceipt(
        id=objection.id,
        notice_id=notice_id,
        status=ObjectionStatus(objection.status),
        filed_at=objection.created_at,
    )


@router.get(
    "/objections",
    response_model=ObjectionPage,
    summary="Objections to public notices (admin)",
    description="The department reads the objections with the filers' contacts, oldest "
    "first; `agreement_id` and `status` narrow the list.",
    responses=problems(401, 403, 422),
)
async def list_objections(
    session: SessionDep,
    principal: PrincipalDep,
    agreement_id: Annotated[
        uuid.UUID | None, Query(description="Only the objections to this agreement.")
    ] = None,
    objection_status: Annotated[
        ObjectionStatus | None, Query(alias="status", description="Only those in this status.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ObjectionPage:
    page = await objections_service.objections(
        session,
        principal=principal,
        agreement_id=agreement_id,
        status=objection_status,
        cursor=cursor,
        limit=limit,
    )
    return ObjectionPage(
        items=[ObjectionOut.model_validate(o) for o in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/objections/{objection_id}/resolve",
    response_model=ObjectionOut,
    summary="Decide an objection (admin)",
    description="`upheld`: the agreement is annulled, its application becomes unsuccessful "
    "and the next recommended application may negotiate (with none left the listing fails). "
    "`dismissed`: the objection counts as none; once the period has ended with no objection "
    "open, the notice passes. 409 when the objection was decided already.",
    responses=problems(401, 403, 404, 409, 422),
)
async def resolve_objection(
    objection_id: ObjectionId,
    body: ResolveIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> ObjectionOut:
    objection = await objections_service.resolve(
        session,
        principal=principal,
        objection_id=objection_id,
        outcome=ObjectionStatus(body.outcome),
        reason=body.reason,
        now=now,
    )
    return ObjectionOut.model_validate(objection)
