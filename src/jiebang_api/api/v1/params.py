"""Path and query parameters shared by the routers, each described once for the contract."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Path, Query

from jiebang_api.api.v1.schemas.base import NO_NUL
from jiebang_api.kit.pagination import MAX_LIMIT

ListingId = Annotated[uuid.UUID, Path(description="The listing's id.")]
ApplicationId = Annotated[uuid.UUID, Path(description="The application's id.")]
OrganizationId = Annotated[uuid.UUID, Path(description="The organisation's id.")]
AttachmentId = Annotated[uuid.UUID, Path(description="The attachment's id.")]
UserId = Annotated[uuid.UUID, Path(description="The user's id.")]
ReviewRoundId = Annotated[uuid.UUID, Path(description="The review round's id.")]
ReviewAssignmentId = Annotated[uuid.UUID, Path(description="The review assignment's id.")]
AgreementId = Annotated[uuid.UUID, Path(description="The agreement's id.")]
NoticeId = Annotated[uuid.UUID, Path(description="The notice's id (its agreement's).")]
ObjectionId = Annotated[uuid.UUID, Path(description="The objection's id.")]
ProjectId = Annotated[uuid.UUID, Path(description="The project's id.")]
PaymentId = Annotated[uuid.UUID, Path(description="The payment's id.")]
ReportId = Annotated[uuid.UUID, Path(description="The report's id.")]

Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=NO_NUL,
        description="The `next_cursor` of the previous page; leave out for the first page.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}.")]
Industry = Annotated[
    str | None,
    Query(max_length=100, pattern=NO_NUL, description="Only this industry, e.g. `新材料`."),
]
OpensBefore = Annotated[
    datetime | None,
    Query(description="Only listings whose application window opens before this instant."),
]
ClosesAfter = Annotated[
    datetime | None,
    Query(description="Only listings whose application window closes after this instant."),
]
EntrustmentId = Annotated[uuid.UUID, Path(description="The entrustment's id.")]
MisconductCaseId = Annotated[uuid.UUID, Path(description="The misconduct case's id.")]
