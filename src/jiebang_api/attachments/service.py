"""Use cases of attachments: upload, read the metadata, download, and check links to them.

Who may read an attachment: its uploader, the department (admin), and whoever may read a
resource that links it (a listing, an application, …: see `attachments.readers`). Everyone
else is told it does not exist (no existence leaks).
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.attachments import readers as attachments_readers
from jiebang_api.attachments import repository as attachments_repository
from jiebang_api.attachments.sniff import FileType, sniff
from jiebang_api.attachments.storage import Storage, new_key
from jiebang_api.audit import service as audit
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.kit.errors import (
    InputInvalid,
    Message,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedMediaType,
    Violation,
)
from jiebang_api.models import Attachment

RESOURCE = "attachment"
MAX_FILENAME = 255
# Extensions that already say what the sniffed type is (anything else gets the right one added).
_EXTENSIONS_OF: dict[str, frozenset[str]] = {"jpg": frozenset({"jpg", "jpeg"})}
EMPTY = Message("上传的文件为空。", "The uploaded file is empty.")


def _too_large(max_bytes: int) -> PayloadTooLarge:
    mib = max_bytes / (1024 * 1024)
    return PayloadTooLarge(
        Message(
            f"文件超过大小上限（{mib:g} MiB，{max_bytes} 字节）。",
            f"The file exceeds the size limit ({mib:g} MiB, {max_bytes} bytes).",
        ),
        extensions={"max_bytes": max_bytes},
    )


def clean_filename(raw: str | None, file_type: FileType) -> str:
    """The name to keep and offer on download: the basename, without control or format
    characters (NUL, newlines, bidirectional overrides), at most 255 characters, ending in the
    extension of the type the bytes really are."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip().strip(".").strip()
    stem, dot, extension = name.rpartition(".")
    accepted = _EXTENSIONS_OF.get(file_type.extension, frozenset({file_type.extension}))
    if not (dot and stem and extension.lower() in accepted):
        stem = name or "attachment"
        extension = file_type.extension
    room = MAX_FILENAME - len(extension) - 1
    return f"{stem[:room].rstrip() or 'attachment'}.{extension}"


async def upload(
    session: AsyncSession,
    *,
    principal: Principal,
    storage: Storage,
    filename: str | None,
    data: bytes,
    max_bytes: int,
    now: datetime,
) -> Attachment:
    """Keep an uploaded file: users only, at most `max_bytes`, of an accepted type (by content)."""
    policy.require(principal, Permission.UPLOAD_ATTACHMENT)
    if principal.user_id is None:  # the permission is for users only
        raise PermissionDenied()
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    if not data:
        raise InputInvalid(EMPTY, violations=[Violation(EMPTY, field="body.file")])
    file_type = sniff(data)
    if file_type is None:
        raise UnsupportedMediaType()
    key = new_key()
    await storage.put(key, data)
    try:
        attachment = Attachment(
            id=uuid.uuid4(),
            filename=clean_filename(filename, file_type),
            content_type=file_type.content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            storage_key=key,
            uploaded_by=principal.user_id,
        )
        session.add(attachment)
        await session.flush()
        await audit.record(
            session,
            actor=principal.actor,
            action=f"{RESOURCE}.upload",
            resource_type=RESOURCE,
            resource_id=attachment.id,
            now=now,
            data={
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
            },
        )
    except BaseException:
        await storage.delete(key)  # no row will name these bytes
        raise
    return attachment


async def _may_read(
    session: AsyncSession, principal: Principal, attachment: Attachment, now: datetime
) -> bool:
    if principal.has(Role.ADMIN) or attachment.uploaded_by == principal.user_id:
        return True
    return await attachments_readers.any_may_read(session, principal, attachment.id, now)


async def get(
    session: AsyncSession, *, principal: Principal, attachment_id: uuid.UUID, now: datetime
) -> Attachment:
    """The metadata, when the caller may read the attachment; NotFound otherwise."""
    policy.require(principal, Permission.USE_API)
    attachment = await attachments_repository.get(session, attachment_id)
    if attachment is None or not await _may_read(session, principal, attachment, now):
        raise NotFound()
    return attachment


async def content(
    session: AsyncSession,
    *,
    principal: Principal,
    storage: Storage,
    attachment_id: uuid.UUID,
    now: datetime,
) -> tuple[Attachment, bytes]:
    """The metadata and the bytes, under the same rule as `get`."""
    attachment = await get(session, principal=principal, attachment_id=attachment_id, now=now)
    return attachment, await storage.get(attachment.storage_key)


async def require_linkable(
    session: AsyncSession,
    *,
    principal: Principal,
    ids: Collection[uuid.UUID],
    already_linked: Collection[uuid.UUID | str] = (),
    field: str = "body.attachment_ids",
) -> None:
    """Refuse (InputInvalid at `field`, naming them) ids that do not exist or that the caller
    did not upload. Admins may link any attachment. Ids in `already_linked` (the listing's
    current ones) are accepted as they are, so an edit keeps a colleague's attachment."""
    kept = {str(i) for i in already_linked}
    wanted = list(dict.fromkeys(i for i in ids if str(i) not in kept))
    if not wanted:
        return
    found = {a.id: a for a in await attachments_repository.many(session, wanted)}
    admin = principal.has(Role.ADMIN)
    refused = [
        i
        for i in wanted
        if i not in found or not (admin or found[i].uploaded_by == principal.user_id)
    ]
    if not refused:
        return
    listed = ", ".join(str(i) for i in refused)
    raise InputInvalid(
        Message(
            f"以下附件不存在或不是您上传的：{listed}。",
            f"These attachments do not exist or were not uploaded by you: {listed}.",
        ),
        violations=[
            Violation(
                Message(f"附件 {i} 不存在或不是您上传的。", f"Attachment {i} is not yours."),
                field=field,
            )
            for i in refused
        ],
        extensions={"attachment_ids": [str(i) for i in refused]},
    )


ORPHAN_BATCH = 500


async def remove_orphans(
    session: AsyncSession, *, storage: Storage, written_before: datetime
) -> int:
    """Delete stored files that no attachment row names, written before `written_before` (an
    upload stores its bytes before its row commits: a process killed in between leaves them).
    Returns how many were removed."""
    keys = await storage.keys_written_before(written_before)
    removed = 0
    for start in range(0, len(keys), ORPHAN_BATCH):
        batch = keys[start : start + ORPHAN_BATCH]
        named = await attachments_repository.stored_keys(session, batch)
        for key in batch:
            if key not in named:
                await storage.delete(key)
                removed += 1
    return removed
