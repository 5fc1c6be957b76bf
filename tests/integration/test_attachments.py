"""Attachments through the API: upload, the size and type refusals, who may read and download,
and links from listings. Files go to a temporary directory of each test."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from conftest import AppFactory
from factories import (
    Sessions,
    application_body,
    bearer,
    create_listing,
    create_organization,
    create_published_listing,
    create_service_client,
    create_user,
    end_window,
)
from factories import add_member as add_org_member
from jiebang_api.attachments import service as attachments_service
from jiebang_api.attachments.service import clean_filename
from jiebang_api.attachments.sniff import DOCX, PDF, FileType
from jiebang_api.attachments.storage import LocalStorage, ObjectMissing, StorageError, new_key
from jiebang_api.auth import service as auth_service
from jiebang_api.kit.clock import FixedClock
from jiebang_api.kit.errors import InputInvalid
from jiebang_api.models import Attachment, AuditEntry, Listing, Organization, User
from jiebang_api.worker import Housekeeping, remove_orphan_files

ATTACHMENTS = "/api/v1/attachments"
PDF_BYTES = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
MIB = 1024 * 1024


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("[Content_Types].xml", "_rels/.rels", "word/document.xml"):
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


class Files:
    """An app whose files live under `root`, a client on it, and its sessions."""

    def __init__(self, app: FastAPI, http: httpx.AsyncClient, root: Path) -> None:
        self.app, self.http, self.root = app, http, root
        self.sessions: Sessions = app.state.sessionmaker

    def stored(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file())

    async def upload(
        self,
        headers: dict[str, str],
        data: bytes = PDF_BYTES,
        name: str = "榜单需求说明书.pdf",
        content_type: str = "application/pdf",
        expect: int = 201,
    ) -> dict[str, Any]:
        response = await self.http.post(
            ATTACHMENTS, files={"file": (name, data, content_type)}, headers=headers
        )
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result


@asynccontextmanager
async def make_files(
    app_factory: AppFactory, client_for: Any, database_url: str, root: Path, **settings: object
) -> AsyncIterator[Files]:
    app = app_factory(database_url, storage_dir=root, **settings)
    async with client_for(app) as http:
        yield Files(app, http, root)


@pytest.fixture
async def files(
    app_factory: AppFactory, client_for: Any, database_url: str, tmp_path: Path
) -> AsyncIterator[Files]:
    async with make_files(app_factory, client_for, database_url, tmp_path / "files") as made:
        yield made


@pytest.fixture
async def uploader(files: Files) -> User:
    return await create_user(files.sessions)


async def linked_listing(files: Files, org: Organization, attachment_id: str) -> Listing:
    return await create_listing(
        files.sessions, org, attachment_ids=[str(uuid.uuid4()), attachment_id]
    )


# --- upload ----------------------------------------------------------------------------------


async def test_upload_a_pdf(files: Files, uploader: User) -> None:
    body = await files.upload(bearer(files.app, uploader))
    assert body["content_type"] == PDF
    assert body["filename"] == "榜单需求说明书.pdf"
    assert body["size"] == len(PDF_BYTES)
    assert body["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert set(body) == {"id", "filename", "content_type", "size", "sha256", "created_at"}
    [path] = files.stored()
    assert path.read_bytes() == PDF_BYTES
    async with files.sessions() as session:
        row = await session.get(Attachment, uuid.UUID(body["id"]))
        assert row is not None
        assert row.uploaded_by == uploader.id
        assert files.root / row.storage_key == path
        audit = (
            await session.scalars(select(AuditEntry).where(AuditEntry.resource_id == body["id"]))
        ).one()
    assert audit.action == "attachment.upload"
    assert audit.actor_id == str(uploader.id)
    assert audit.data["sha256"] == body["sha256"]


async def test_the_type_comes_from_the_bytes_not_the_name_or_header(
    files: Files, uploader: User
) -> None:
    body = await files.upload(
        bearer(files.app, uploader),
        data=docx_bytes(),
        name="申报书.pdf",
        content_type="application/pdf",
    )
    assert body["content_type"] == DOCX
    assert body["filename"] == "申报书.pdf.docx", "the name gets the real type's extension"


async def test_over_the_default_limit_answers_413(files: Files, uploader: User) -> None:
    assert files.app.state.settings.max_upload_bytes == 20 * MIB
    oversized = b"%PDF-" + bytes(21 * MIB - 5)
    problem = await files.upload(bearer(files.app, uploader), data=oversized, expect=413)
    assert problem["code"] == "PAYLOAD_TOO_LARGE"
    assert problem["max_bytes"] == 20 * MIB
    assert files.stored() == []


async def test_the_limit_is_a_setting(
    app_factory: AppFactory, client_for: Any, database_url: str, tmp_path: Path
) -> None:
    async with make_files(
        app_factory, client_for, database_url, tmp_path, max_upload_bytes=2048
    ) as small:
        user = bearer(small.app, await create_user(small.sessions))
        exactly = b"%PDF-" + bytes(2048 - 5)
        assert (await small.upload(user, data=exactly))["size"] == 2048
        await small.upload(user, data=exactly + b"\x00", expect=413)
        assert len(small.stored()) == 1


async def test_an_exe_renamed_pdf_answers_415(files: Files, uploader: User) -> None:
    exe = b"MZ\x90\x00\x03" + bytes(59) + b"This program cannot be run in DOS mode.\r\n"
    problem = await files.upload(
        bearer(files.app, uploader), data=exe, name="invoice.pdf", expect=415
    )
    assert problem["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert problem["status"] == 415
    assert files.stored() == []


async def test_an_empty_file_answers_422(files: Files, uploader: User) -> None:
    problem = await files.upload(bearer(files.app, uploader), data=b"", expect=422)
    assert problem["violations"][0]["field"] == "body.file"


async def test_no_file_part_answers_422(files: Files, uploader: User) -> None:
    response = await files.http.post(
        ATTACHMENTS, data={"other": "x"}, headers=bearer(files.app, uploader)
    )
    assert response.status_code == 422


async def test_uploading_needs_a_user(files: Files) -> None:
    problem = await files.upload({}, expect=401)
    assert problem["code"] == "UNAUTHENTICATED"
    service = await create_service_client(files.sessions)
    await files.upload(bearer(files.app, service), expect=403)
    assert files.stored() == []


# --- read and download -----------------------------------------------------------------------


async def test_the_uploader_downloads_with_type_and_name(files: Files, uploader: User) -> None:
    headers = bearer(files.app, uploader)
    body = await files.upload(headers)
    meta = await files.http.get(f"{ATTACHMENTS}/{body['id']}", headers=headers)
    assert meta.status_code == 200
    assert meta.json() == body
    download = await files.http.get(f"{ATTACHMENTS}/{body['id']}/content", headers=headers)
    assert download.status_code == 200
    assert download.content == PDF_BYTES
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('榜单需求说明书.pdf', safe='')}" in disposition
    assert "filename*=UTF-8''%E6%A6%9C%E5%8D%95" in disposition


async def test_strangers_and_unknown_ids_get_404(files: Files, uploader: User) -> None:
    body = await files.upload(bearer(files.app, uploader))
    stranger = bearer(files.app, await create_user(files.sessions))
    for path in (f"{ATTACHMENTS}/{body['id']}", f"{ATTACHMENTS}/{body['id']}/content"):
        response = await files.http.get(path, headers=stranger)
        assert response.status_code == 404, path
        assert response.json()["code"] == "NOT_FOUND"
    unknown = await files.http.get(
        f"{ATTACHMENTS}/{uuid.uuid4()}/content", headers=bearer(files.app, uploader)
    )
    assert unknown.status_code == 404


async def test_anonymous_gets_401(files: Files, uploader: User) -> None:
    body = await files.upload(bearer(files.app, uploader))
    for path in (f"{ATTACHMENTS}/{body['id']}", f"{ATTACHMENTS}/{body['id']}/content"):
        response = await files.http.get(path)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


async def test_an_admin_reads_any_attachment(files: Files, uploader: User) -> None:
    body = await files.upload(bearer(files.app, uploader))
    admin = bearer(files.app, await create_user(files.sessions, roles=("admin",)))
    assert (await files.http.get(f"{ATTACHMENTS}/{body['id']}", headers=admin)).status_code == 200
    download = await files.http.get(f"{ATTACHMENTS}/{body['id']}/content", headers=admin)
    assert download.status_code == 200
    assert download.content == PDF_BYTES


async def test_readers_of_a_linking_listing_may_download(files: Files, uploader: User) -> None:
    org = await create_organization(files.sessions, manager=uploader)
    colleague = await create_user(files.sessions)
    await add_org_member(files.sessions, org, colleague)
    body = await files.upload(bearer(files.app, uploader))
    path = f"{ATTACHMENTS}/{body['id']}/content"
    colleague_headers = bearer(files.app, colleague)
    assert (await files.http.get(path, headers=colleague_headers)).status_code == 404

    await linked_listing(files, org, body["id"])
    download = await files.http.get(path, headers=colleague_headers)
    assert download.status_code == 200
    assert download.content == PDF_BYTES
    outsider = bearer(files.app, await create_user(files.sessions))
    assert (await files.http.get(path, headers=outsider)).status_code == 404


async def test_readers_of_a_linking_application_may_download(files: Files, uploader: User) -> None:
    """The applicant's members read what a colleague linked; the proposer only once the
    window has ended; anyone else is told it does not exist."""
    proposer = await create_organization(files.sessions)
    proposer_member = await create_user(files.sessions)
    await add_org_member(files.sessions, proposer, proposer_member)
    listing = await create_published_listing(files.sessions, proposer)
    lead = await create_organization(
        files.sessions, manager=uploader, type="university", verified=True
    )
    colleague = await create_user(files.sessions)
    await add_org_member(files.sessions, lead, colleague)
    uploader_headers = bearer(files.app, uploader)
    body = await files.upload(uploader_headers)
    created = await files.http.post(
        f"/api/v1/listings/{listing.id}/applications",
        json=application_body(lead, attachment_ids=[body["id"]]),
        headers=uploader_headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["attachment_ids"] == [body["id"]]
    submitted = await files.http.post(
        f"/api/v1/applications/{created.json()['id']}/submit", json={}, headers=uploader_headers
    )
    assert submitted.status_code == 200, submitted.text
    meta_path, content_path = f"{ATTACHMENTS}/{body['id']}", f"{ATTACHMENTS}/{body['id']}/content"

    colleague_headers = bearer(files.app, colleague)
    meta = await files.http.get(meta_path, headers=colleague_headers)
    assert meta.status_code == 200, meta.text
    assert meta.json() == body
    download = await files.http.get(content_path, headers=colleague_headers)
    assert download.status_code == 200, download.text
    assert download.content == PDF_BYTES

    stranger = bearer(files.app, await create_user(files.sessions))
    proposer_headers = bearer(files.app, proposer_member)
    for headers in (stranger, proposer_headers):
        for path in (meta_path, content_path):
            response = await files.http.get(path, headers=headers)
            assert response.status_code == 404, path
            assert response.json()["code"] == "NOT_FOUND"

    await end_window(files.sessions, listing.id)
    meta = await files.http.get(meta_path, headers=proposer_headers)
    assert meta.status_code == 200, meta.text
    assert meta.json()["sha256"] == body["sha256"]
    download = await files.http.get(content_path, headers=proposer_headers)
    assert download.status_code == 200, download.text
    assert download.content == PDF_BYTES
    for path in (meta_path, content_path):
        response = await files.http.get(path, headers=stranger)
        assert response.status_code == 404, path
        assert response.json()["code"] == "NOT_FOUND"


# --- linking from listings -------------------------------------------------------------------


async def test_only_ones_own_uploads_may_be_linked(files: Files, uploader: User) -> None:
    mine = uuid.UUID((await files.upload(bearer(files.app, uploader)))["id"])
    other_user = await create_user(files.sessions)
    theirs = uuid.UUID((await files.upload(bearer(files.app, other_user)))["id"])
    missing = uuid.uuid4()
    admin = await create_user(files.sessions, roles=("admin",))
    async with files.sessions() as session:
        me = await auth_service.principal_for(session, _claims(files.app, uploader))
        department = await auth_service.principal_for(session, _claims(files.app, admin))
        await attachments_service.require_linkable(session, principal=me, ids=[mine, mine])
        await attachments_service.require_linkable(session, principal=me, ids=[])
        with pytest.raises(InputInvalid) as refused:
            await attachments_service.require_linkable(
                session, principal=me, ids=[mine, theirs, missing]
            )
        assert refused.value.extensions["attachment_ids"] == [str(theirs), str(missing)]
        assert {v.field for v in refused.value.violations} == {"body.attachment_ids"}
        # What the listing already links stays linkable (a colleague's upload, say).
        await attachments_service.require_linkable(
            session, principal=me, ids=[mine, theirs], already_linked=[str(theirs)]
        )
        await attachments_service.require_linkable(
            session, principal=department, ids=[mine, theirs]
        )
        with pytest.raises(InputInvalid):
            await attachments_service.require_linkable(session, principal=department, ids=[missing])


def _claims(app: FastAPI, user: User) -> Any:
    token = bearer(app, user)["Authorization"].removeprefix("Bearer ")
    return app.state.token_codec.read(token)


# --- pieces without a database ---------------------------------------------------------------

PDF_TYPE = FileType(PDF, "pdf")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("榜单需求说明书.pdf", "榜单需求说明书.pdf"),
        ("C:\\fakepath\\申报 书.PDF", "申报 书.PDF"),
        ("../../etc/passwd", "passwd.pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe.pdf"),
        ("a\x00b\r\n.pdf", "ab.pdf"),
        ("", "attachment.pdf"),
        (None, "attachment.pdf"),
        ("...", "attachment.pdf"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_file_names_are_cleaned(raw: str | None, expected: str) -> None:
    cleaned = clean_filename(raw, PDF_TYPE)
    assert cleaned == expected
    assert len(cleaned) <= 255


async def test_local_storage_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "store")
    key = new_key()
    assert key.split("/")[0] == key.split("/")[2][:2]
    await storage.put(key, b"bytes")
    assert await storage.get(key) == b"bytes"
    assert (tmp_path / "store" / key).read_bytes() == b"bytes"
    await storage.delete(key)
    await storage.delete(key)  # already gone: no error
    with pytest.raises(ObjectMissing):
        await storage.get(key)


@pytest.mark.parametrize(
    "key",
    ["../outside", "a/../../outside", "/etc/passwd", "a//b", "", ".", "a/./b", "a\\..\\b", "a\x00"],
)
async def test_local_storage_refuses_keys_that_escape(tmp_path: Path, key: str) -> None:
    storage = LocalStorage(tmp_path / "store")
    with pytest.raises(StorageError):
        await storage.put(key, b"x")
    with pytest.raises(StorageError):
        await storage.get(key)
    assert not (tmp_path / "outside").exists()


def _age(path: Path, hours: float) -> None:
    """Make `path` look last written `hours` ago."""
    when = path.stat().st_mtime - hours * 3600
    os.utime(path, (when, when))


async def test_the_worker_removes_stored_files_no_attachment_names(
    files: Files, uploader: User
) -> None:
    """A process killed between storing the bytes and committing the row leaves a file no row
    names: the worker removes it once it is older than the grace period, and nothing else."""
    kept = await files.upload(bearer(files.app, uploader))
    storage = LocalStorage(files.root)
    old_orphan, new_orphan = new_key(), new_key()
    await storage.put(old_orphan, PDF_BYTES)
    await storage.put(new_orphan, PDF_BYTES)
    partial = storage.path_of(new_key())
    partial = partial.with_name(f".{partial.name}.{uuid.uuid4().hex}.part")
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(b"half")
    async with files.sessions() as session:
        named = await session.get(Attachment, uuid.UUID(kept["id"]))
        assert named is not None
        kept_path = storage.path_of(named.storage_key)
    for path in (storage.path_of(old_orphan), kept_path, partial):
        _age(path, hours=2)
    housekeeping = Housekeeping(storage=storage, grace=timedelta(hours=1))
    clock = FixedClock(datetime.now(UTC))

    removed = await remove_orphan_files(files.sessions, clock=clock, housekeeping=housekeeping)

    assert removed == 1
    assert not storage.path_of(old_orphan).exists()
    assert not partial.exists()
    assert kept_path.exists()
    assert storage.path_of(new_orphan).exists()
    download = await files.http.get(
        f"{ATTACHMENTS}/{kept['id']}/content", headers=bearer(files.app, uploader)
    )
    assert download.status_code == 200
    assert await remove_orphan_files(files.sessions, clock=clock, housekeeping=housekeeping) == 0
