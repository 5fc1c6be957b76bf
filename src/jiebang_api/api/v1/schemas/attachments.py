"""Bodies of attachments."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from jiebang_api.api.v1.schemas.base import ResponseBody

EXAMPLE_ATTACHMENT: JsonDict = {
    "id": "3c9a4f2e-8b1d-4e6f-9a0b-1c2d3e4f5a6b",
    "filename": "榜单需求说明书.pdf",
    "content_type": "application/pdf",
    "size": 482133,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "created_at": "2026-11-28T08:00:00Z",
}


class AttachmentOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ATTACHMENT]})

    id: uuid.UUID
    filename: str = Field(description="The uploaded name, cleaned; offered on download.")
    content_type: str = Field(description="The type the content really is (not the client's).")
    size: int = Field(description="Bytes.")
    sha256: str = Field(description="SHA-256 of the content, lower-case hex.")
    created_at: datetime
