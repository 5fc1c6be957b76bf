"""The middleware around every request: request id, access log and metrics; body limits and
the body read timeout; CORS whose refusals are problem documents; security headers."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Collection

import anyio
import structlog
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiebang_api.api.metrics import Metrics
from jiebang_api.api.problems import problem_response
from jiebang_api.kit.context import language_var, request_id_var
from jiebang_api.kit.errors import ErrorCode, PayloadTooLarge
from jiebang_api.kit.errors import Message as Text
from jiebang_api.kit.i18n import negotiate

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
ACCESS_LOGGER = "jiebang_api.access"
log = structlog.get_logger(ACCESS_LOGGER)
# Asked before each access line: a call that the level drops still costs ~20 µs in structlog.
_access = logging.getLogger(ACCESS_LOGGER)


def request_header(scope: Scope, name: bytes) -> str | None:
    """One request header's value (the first), by its lower-case name, without building a
    `Headers` (the ASGI server hands names in lower case)."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


def set_response_header(message: Message, name: bytes, value: bytes) -> None:
    """Set a header of an `http.response.start` message (replacing any of that lower-case
    name), on the raw list: `MutableHeaders` costs more than the rest of the work here."""
    headers = [h for h in message.get("headers", ()) if h[0].lower() != name]
    headers.append((name, value))
    message["headers"] = headers


def accept_request_id(value: str | None) -> str:
    """The caller's request id when it is safe to echo and log, else a new one."""
    if value and _SAFE_REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route with its parameters as `{name}` (bounded label values for metrics)."""
    if "route" not in scope or "endpoint" not in scope:
        return "<unmatched>"
    params = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    path: str = scope["path"]
    return "/".join(
        "{" + params[part] + "}" if part in params else part for part in path.split("/")
    )


class RequestContextMiddleware:
    """Echo or create `X-Request-ID`, bind it to logs and audit, log and measure the request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_request_id(request_header(scope, b"x-request-id"))
        token = request_id_var.set(request_id)  # logs read it too (kit.logging)
        language = language_var.set(negotiate(request_header(scope, b"accept-language")))
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        echoed = request_id.encode()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                set_response_header(message, b"x-request-id", echoed)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            template = route_template(scope)
            self.metrics.observe(scope["method"], template, status, elapsed)
            if _access.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    route=template,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
            request_id_var.reset(token)
            language_var.reset(language)


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _without_body(scope: Scope) -> bool:
    """Whether the request declares no body: neither a length nor chunked transfer (then
    HTTP/1.1 gives it none, and there is nothing to limit)."""
    return not any(key in (b"content-length", b"transfer-encoding") for key, _ in scope["headers"])


MAX_HEADER_BYTES = 16 * 1024  # the request's header names and values together


class HeaderLimitMiddleware:
    """Headers larger than `MAX_HEADER_BYTES` in all are refused with a 431 problem document
    before anything reads them (a 100 KB `Authorization` header, say)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = sum(len(name) + len(value) for name, value in scope["headers"])
            if size > MAX_HEADER_BYTES:
                response = problem_response(
                    Request(scope),
                    status=431,
                    code=ErrorCode.HEADERS_TOO_LARGE,
                    detail=Text(
                        f"请求头合计超过 {MAX_HEADER_BYTES} 字节的上限。",
                        f"The request headers exceed the limit of {MAX_HEADER_BYTES} bytes.",
                    ),
                    headers={"Connection": "close"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyLimitsMiddleware:
    """No request body is read past its limit, or for longer than the read timeout.

    A body may be as large as `max_body_bytes` (JSON, forms), except a `multipart/form-data`
    body sent to an upload route, which may hold one file of `max_upload_bytes` plus its
    framing. A declared length over the limit is refused at once, unread; a body without one
    (chunked) is cut off as soon as it passes the limit: 413 with `max_bytes`, the limit that
    applied. A body must have arrived `read_timeout_seconds` after the request began; an
    upload's, being larger, must only never pause that long. Otherwise 408: a client that
    stops sending holds no connection. Refusals close the connection (the rest is unread)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        upload_allowance: int,
        read_timeout_seconds: float,
        uploads: Collection[tuple[str, str]],
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes  # the file limit clients are told
        self.upload_allowance = upload_allowance  # boundaries and part headers around it
        self.timeout = read_timeout_seconds
        self.uploads = frozenset(uploads)  # (method, path) of each operation taking a file

    def is_upload(self, scope: Scope, headers: Headers) -> bool:
        operation = (scope["method"], scope["path"])
        return operation in self.uploads and _media_type(headers) == "multipart/form-data"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _without_body(scope):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        upload = self.is_upload(scope, headers)
        advertised = self.max_upload_bytes if upload else self.max_body_bytes
        limit = advertised + self.upload_allowance if upload else advertised
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, upload, advertised)(scope, receive, send)
            return
        deadline = anyio.current_time() + self.timeout
        received, complete, started, replaced = 0, False, False, False
        refusal: Response | None = None

        async def guarded_receive() -> Message:
            nonlocal received, complete, refusal
            if complete:  # the body is in; what follows is the wait for a disconnect
                return await receive()
            wait = self.timeout if upload else max(deadline - anyio.current_time(), 0.0)
            try:
                with anyio.fail_after(wait):
                    message = await receive()
            except TimeoutError:
                refusal = self._timed_out(scope)
                # FastAPI lets an HTTPException from the body stream through to the
                # handlers; whatever they answer, `guarded_send` sends `refusal` instead.
                raise StarletteHTTPException(status_code=408) from None
            if message["type"] != "http.request":
                complete = True
                return message
            received += len(message.get("body", b""))
            if received > limit:
                refusal = self._too_large(scope, upload, advertised)
                raise StarletteHTTPException(status_code=413)
            complete = not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return  # the rest of the answer `refusal` replaced
            if message["type"] == "http.response.start":
                if refusal is not None and not started:
                    started = replaced = True
                    await refusal(scope, receive, send)
                    return
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if refusal is None or (started and not replaced):
                raise
        if refusal is not None and not started:
            await refusal(scope, receive, send)

    def _too_large(self, scope: Scope, upload: bool, advertised: int) -> Response:
        detail = (
            PayloadTooLarge.default_detail
            if upload
            else Text(
                f"请求体超过 {advertised} 字节的上限。",
                f"The request body exceeds the limit of {advertised} bytes.",
            )
        )
        return problem_response(
            Request(scope),
            status=413,
            code=ErrorCode.PAYLOAD_TOO_LARGE,
            detail=detail,
            extensions={"max_bytes": advertised},
            headers={"Connection": "close"},
        )

    def _timed_out(self, scope: Scope) -> Response:
        return problem_response(
            Request(scope),
            status=408,
            code=ErrorCode.REQUEST_TIMEOUT,
            detail=Text(
                f"请求体未在 {self.timeout:g} 秒内传完。",
                f"The request body did not arrive within {self.timeout:g} seconds.",
            ),
            headers={"Connection": "close"},
        )


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, whose refused preflight (text/plain 400) is a problem document."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        preflight = (
            scope["method"] == "OPTIONS"
            and "origin" in headers
            and "access-control-request-method" in headers
        )
        if not preflight:
            await super().__call__(scope, receive, send)
            return
        response = self.preflight_response(request_headers=headers)
        if response.status_code < 400:
            await response(scope, receive, send)
            return
        # "Disallowed CORS origin, method": what was refused, in Starlette's words.
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        problem = problem_response(
            Request(scope),
            status=400,
            code=ErrorCode.CORS_REFUSED,
            detail=Text(
                f"跨域预检被拒绝（不允许的 {refused}）。",
                f"CORS preflight refused: {refused} not allowed.",
            ),
            headers={"Vary": f"Accept-Language, {response.headers['Vary']}"},
        )
        await problem(scope, receive, send)


class SecurityHeadersMiddleware:
    """Headers every response carries: `nosniff`; `Cache-Control: no-store` (and `Pragma`)
    on the token endpoint's answers (RFC 6749 §5.1); `private, no-store` on answers to a
    request with credentials, unless the operation chose its own `Cache-Control`."""

    def __init__(self, app: ASGIApp, *, token_path: str) -> None:
        self.app = app
        self.token_path = token_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = scope["method"] == "POST" and scope["path"] == self.token_path
        credentials = request_header(scope, b"authorization") is not None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                set_response_header(message, b"x-content-type-options", b"nosniff")
                if token:
                    set_response_header(message, b"cache-control", b"no-store")
                    set_response_header(message, b"pragma", b"no-cache")
                elif credentials and not any(
                    key.lower() == b"cache-control" for key, _ in message["headers"]
                ):
                    set_response_header(message, b"cache-control", b"private, no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
