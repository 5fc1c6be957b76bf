"""The type of an upload comes from its bytes: each accepted type from minimal real files, and
refusals for everything else, whatever it is called."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from jiebang_api.attachments.sniff import DOCX, JPEG, OFD, PDF, PNG, XLSX, FileType, sniff


def zip_of(*names: str, prefix: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, "<?xml version='1.0'?><x/>")
    return prefix + buffer.getvalue()


def png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
JFIF = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXIF = b"\xff\xd8\xff\xe1\x00\x08Exif\x00\x00\xff\xd9"
DOCX_BYTES = zip_of("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX_BYTES = zip_of("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/s.xml")
OFD_BYTES = zip_of("OFD.xml", "Doc_0/Document.xml", "Doc_0/Pages/Page_0/Content.xml")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF_BYTES, FileType(PDF, "pdf")),
        (png(), FileType(PNG, "png")),
        (JFIF, FileType(JPEG, "jpg")),
        (EXIF, FileType(JPEG, "jpg")),
        (DOCX_BYTES, FileType(DOCX, "docx")),
        (XLSX_BYTES, FileType(XLSX, "xlsx")),
        (OFD_BYTES, FileType(OFD, "ofd")),
    ],
    ids=["pdf", "png", "jpeg-jfif", "jpeg-exif", "docx", "xlsx", "ofd"],
)
def test_each_accepted_type_is_recognised_from_its_bytes(data: bytes, expected: FileType) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120, id="windows-exe"),
        pytest.param(b"MZ\x90\x00" + b"\x00" * 60 + DOCX_BYTES, id="exe-with-a-zip-appended"),
        pytest.param("这是一个纯文本文件。\nplain text\n".encode(), id="text"),
        pytest.param(b"", id="empty"),
        pytest.param(b"%PDF", id="pdf-signature-cut-short"),
        pytest.param(b"\x89PNG", id="png-signature-cut-short"),
        pytest.param(b"<html><script>alert(1)</script></html>", id="html"),
        pytest.param(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", id="gif"),
        pytest.param(zip_of("readme.txt", "bin/tool.exe"), id="zip-of-other-things"),
        pytest.param(zip_of("word/document.xml"), id="docx-without-content-types"),
        pytest.param(
            zip_of("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"),
            id="macro-enabled-docm",
        ),
        pytest.param(
            zip_of("[Content_Types].xml", "word/document.xml", "xl/workbook.xml"),
            id="both-docx-and-xlsx",
        ),
        pytest.param(zip_of("Doc_0/OFD.xml"), id="ofd-xml-not-at-root"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 100, id="broken-zip"),
    ],
)
def test_anything_else_is_refused(data: bytes) -> None:
    assert sniff(data) is None


def test_the_name_or_claimed_type_plays_no_part() -> None:
    # sniff() takes bytes only: an .exe called "x.pdf" and sent as application/pdf is an .exe.
    exe_named_pdf = b"MZ" + b"\x00" * 62 + b"This program cannot be run in DOS mode."
    assert sniff(exe_named_pdf) is None
    assert sniff(PDF_BYTES) == FileType(PDF, "pdf")
