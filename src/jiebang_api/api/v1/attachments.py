"""Attachments: upload a file, read its metadata, download it."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, File, Request, Response, UploadFile, status

from jiebang_api.api.deps import LOCATION, NowDep, PrincipalDep, SessionDep, SettingsDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import AttachmentId
from jiebang_api.api.v1.schemas.attachments import AttachmentOut
from jiebang_api.attachments import service as attachments_service
from jiebang_api.attachments.sniff import ALLOWED
from jiebang_api.attachments.storage import LocalStorage, Storage

router = StrictRouter(prefix="/attachments", tags=["attachments"])
ACCEPTED = ", ".join(sorted(ALLOWED))
ACCEPTED_NAMES = "PDF, PNG, JPEG, Word (docx), Excel (xlsx), OFD"


async def get_storage(request: Request, settings: SettingsDep) -> Storage:
    """The app's store when one is installed on `app.state.storage`, else files under
    `JIEBANG_STORAGE_DIR`."""
    storage: Storage | None = getattr(request.app.state, "storage", None)
    return storage if storage is not None else LocalStorage(settings.storage_dir)


StorageDep = Annotated[Storage, Depends(get_storage)]


def content_disposition(filename: str) -> str:
    """`attachment` with the name percent-encoded in UTF-8 (RFC 6266 / RFC 5987), plus an
    ASCII fallback for clients that know only `filename`."""
    fallback = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\;%' else "_" for ch in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


EXAMPLE_PDF = "%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                # The smallest PDF the service accepts: the example uploads as it stands.
                "example": {"file": EXAMPLE_PDF},
            }
        }
    }
}
DOWNLOAD_HEADERS: dict[str, Any] = {
    "Content-Disposition": {
        "description": "`attachment; filename=\"…\"; filename*=UTF-8''…` (RFC 6266): the stored "
        "name, percent-encoded in UTF-8 so Chinese names survive; `filename` is an ASCII "
        "fallback.",
        "schema": {"type": "string"},
    },
    "X-Content-Type-Options": {
        "description": "`nosniff`: browsers must not guess another type.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`private, no-store`: shared caches keep no copy.",
        "schema": {"type": "string"},
    },
}
DOWNLOAD_CONTENT: dict[str, Any] = {
    media: {
        "schema": {"type": "string", "format": "binary"},
        "example": "%PDF-1.7 …" if media == "application/pdf" else "(binary content)",
    }
    for media in sorted(ALLOWED)
}


@router.post(
    "",
    response_model=AttachmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Upload an attachment (users)",
    description="A `multipart/form-data` body with one part, `file`. The type is decided from "
    f"the content, never from the part's `Content-Type` or the file name: {ACCEPTED_NAMES} "
    f"({ACCEPTED}) are accepted, anything else answers 415. Larger than `JIEBANG_MAX_UPLOAD_BYTES` "
    "(20 MiB by default) answers 413; an empty file 422. The name is kept without its path "
    "or control characters (at most 255 characters) and gets the extension of the real type "
    "when it has another. Link the returned `id` from a listing's `attachment_ids`.",
    responses={201: {"headers": LOCATION}, **problems(401, 403, 413, 415, 422)},
    openapi_extra=UPLOAD_BODY,
)
async def upload_attachment(
    file: Annotated[
        UploadFile,
        File(
            description=f"The file ({ACCEPTED_NAMES}); not empty.",
            json_schema_extra={"minLength": 1},
        ),
    ],
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    settings: SettingsDep,
    storage: StorageDep,
    response: Response,
) -> AttachmentOut:
    limit = settings.max_upload_bytes
    data = await file.read(limit + 1)  # one byte more than allowed tells an oversized file
    attachment = await attachments_service.upload(
        session,
        principal=principal,
        storage=storage,
        filename=file.filename,
        data=data,
        max_bytes=limit,
        now=now,
    )
    response.headers["Location"] = f"/api/v1/attachments/{attachment.id}"
    return AttachmentOut.model_validate(attachment)


@router.get(
    "/{attachment_id}",
    response_model=AttachmentOut,
    summary="Read an attachment's metadata",
    description="For its uploader, the department (admin), and whoever may read a listing "
    "or an application that links it; anyone else is answered 404, as for an id that does "
    "not exist.",
    responses=problems(401, 404, 422),
)
async def read_attachment(
    attachment_id: AttachmentId, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> AttachmentOut:
    attachment = await attachments_service.get(
        session, principal=principal, attachment_id=attachment_id, now=now
    )
    return AttachmentOut.model_validate(attachment)


@router.get(
    "/{attachment_id}/content",
    summary="Download an attachment",
    description="The bytes, with the type found at upload as `Content-Type` and the stored "
    "name in `Content-Disposition` (UTF-8, RFC 6266). Same readers as the metadata; anyone "
    "else is answered 404.",
    response_class=Response,
    responses={
        200: {
            "description": "The file.",
            "headers": DOWNLOAD_HEADERS,
            "content": DOWNLOAD_CONTENT,
        },
        **problems(401, 404, 422),
    },
)
async def download_attachment(
    attachment_id: AttachmentId,
    session: SessionDep,
    principal: PrincipalDep,
    storage: StorageDep,
    now: NowDep,
) -> Response:
    attachment, data = await attachments_service.content(
        session, principal=principal, storage=storage, attachment_id=attachment_id, now=now
    )
    return Response(
        data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
