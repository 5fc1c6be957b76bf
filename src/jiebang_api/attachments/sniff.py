"""What a file is, decided from its bytes alone (never from the client's header or name).

Only the types the programme's documents come in are accepted: PDF, PNG, JPEG, Word (docx),
Excel (xlsx) and OFD (GB/T 33190, China's fixed-layout format). docx, xlsx and OFD are ZIP
packages told apart by their entries, read from the central directory without inflating
anything. Pure: no I/O beyond the bytes given.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import puremagic

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFD = "application/ofd"
ZIP = "application/zip"


@dataclass(frozen=True)
class FileType:
    """A canonical MIME type and the file extension that goes with it (without the dot)."""

    content_type: str
    extension: str


ALLOWED: dict[str, FileType] = {
    t.content_type: t
    for t in (
        FileType(PDF, "pdf"),
        FileType(PNG, "png"),
        FileType(JPEG, "jpg"),
        FileType(DOCX, "docx"),
        FileType(XLSX, "xlsx"),
        FileType(OFD, "ofd"),
    )
}

_PDF_MAGIC = b"%PDF-"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
# A local file header at offset 0. zipfile alone would also accept a ZIP appended to something
# else (a self-extracting .exe, say), since it reads the directory from the end.
_ZIP_MAGIC = b"PK\x03\x04"
# Every OOXML package has its content-type map; macro-enabled ones (docm, xlsm) carry VBA.
_OOXML_CONTENT_TYPES = "[Content_Types].xml"
_VBA_PROJECT = "vbaproject.bin"
# Headers only: puremagic reads signatures at the start of the data.
_HEADER_BYTES = 8192


def _magic_types(data: bytes) -> frozenset[str]:
    """The MIME types puremagic's signature tables give the header (empty when unknown)."""
    try:
        matches = puremagic.magic_string(data[:_HEADER_BYTES])
    except (puremagic.PureError, ValueError):
        return frozenset()
    return frozenset(str(m.mime_type) for m in matches if m.mime_type)


def _package_type(data: bytes) -> str | None:
    """docx, xlsx or OFD when the ZIP's entries say so unambiguously; None otherwise."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None
    if any(n.rsplit("/", 1)[-1].lower() == _VBA_PROJECT for n in names):
        return None  # macros: not a plain docx/xlsx whatever else it holds
    ooxml = _OOXML_CONTENT_TYPES in names
    found = [
        kind
        for kind, present in (
            (DOCX, ooxml and "word/document.xml" in names),
            (XLSX, ooxml and "xl/workbook.xml" in names),
            (OFD, "OFD.xml" in names),
        )
        if present
    ]
    return found[0] if len(found) == 1 else None


def sniff(data: bytes) -> FileType | None:
    """The accepted type of `data`, or None when it is none of them (or cannot be told)."""
    if data.startswith(_PDF_MAGIC):
        candidate, family = PDF, PDF
    elif data.startswith(_PNG_MAGIC):
        candidate, family = PNG, PNG
    elif data.startswith(_JPEG_MAGIC):
        candidate, family = JPEG, JPEG
    elif data.startswith(_ZIP_MAGIC):
        package = _package_type(data)
        if package is None:
            return None
        candidate, family = package, ZIP
    else:
        return None
    # A second opinion from puremagic's signature tables: the header must read as the same
    # family (for ZIP packages, puremagic names ZIP or one of the OOXML types).
    magic = _magic_types(data)
    if family == ZIP:
        if not magic & {ZIP, DOCX, XLSX}:
            return None
    elif family not in magic:
        return None
    return ALLOWED[candidate]
