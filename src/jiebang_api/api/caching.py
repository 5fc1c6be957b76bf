"""HTTP caching of public reads: a weak `ETag` from the body, `If-None-Match` → 304, and a
shared-cache lifetime (`Cache-Control: public, max-age=…`, `JIEBANG_PUBLIC_MAX_AGE_SECONDS`).

The body is rendered once (pydantic's JSON serializer, the one FastAPI would run) and its
hash is the tag, so any change a reader could see (a listing's text, its status as of now,
its proposer's new name) changes the tag, and nothing else does.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import Header, Request
from pydantic import BaseModel
from starlette.responses import Response

from jiebang_api.settings import Settings

# Public answers differ by nothing but the problem documents' language.
VARY = "Accept-Language"


def etag_of(body: bytes) -> str:
    """A weak tag for a rendered body (equal bodies, equal tags)."""
    return f'W/"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def none_match(if_none_match: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2)."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = _opaque(etag)
    return any(_opaque(tag) == wanted for tag in if_none_match.split(","))


def cache_headers(settings: Settings, etag: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Cache-Control": f"public, max-age={settings.public_max_age_seconds}",
        "Vary": VARY,
    }


def public_json(request: Request, body: BaseModel, if_none_match: str | None) -> Response:
    """`body` as JSON with its tag and lifetime, or 304 when `if_none_match` names this
    version. The response skips FastAPI's own serialization: `body` is validated already."""
    settings: Settings = request.app.state.settings
    content = body.__pydantic_serializer__.to_json(body, by_alias=True)
    etag = etag_of(content)
    headers = cache_headers(settings, etag)
    if none_match(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type="application/json", headers=headers)


IfNoneMatch = Annotated[
    str | None,
    Header(
        description="The `ETag` of the copy you hold: 304 Not Modified, no body, if it is "
        "still current.",
        max_length=1024,
        examples=['W/"5d41402abc4b2a76b9719d911017c592"'],
    ),
]

_HEADER_DOCS: dict[str, Any] = {
    "ETag": {
        "description": "A weak tag of this answer, for `If-None-Match`.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`public, max-age=N`: shared caches may reuse it for N seconds "
        "(`JIEBANG_PUBLIC_MAX_AGE_SECONDS`).",
        "schema": {"type": "string"},
    },
    "Vary": {"description": "`Accept-Language`.", "schema": {"type": "string"}},
}


def cached_responses() -> dict[int | str, dict[str, Any]]:
    """The 200 headers and the 304 answer of a cached public read, for `responses=`."""
    return {
        200: {"headers": _HEADER_DOCS},
        304: {
            "description": "Not Modified: the copy named by `If-None-Match` is current (no body).",
            "headers": _HEADER_DOCS,
        },
    }
