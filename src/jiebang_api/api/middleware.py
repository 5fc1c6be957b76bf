"""Request context: request id, access log and metrics for every HTTP request."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiebang_api.api.metrics import Metrics
from jiebang_api.api.problems import problem_response
from jiebang_api.kit.context import language_var, request_id_var
from jiebang_api.kit.errors import ErrorCode, PayloadTooLarge
from jiebang_api.kit.i18n import negotiate

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
log = structlog.get_logger("jiebang_api.access")


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
        headers = Headers(scope=scope)
        request_id = accept_request_id(headers.get("x-request-id"))
        token = request_id_var.set(request_id)
        language = language_var.set(negotiate(headers.get("accept-language")))
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            template = route_template(scope)
            self.metrics.observe(scope["method"], template, status, elapsed)
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                route=template,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")
            request_id_var.reset(token)
            language_var.reset(language)


class BodySizeLimitMiddleware:
    """No request body larger than the limit is read: a declared length over it is refused
    at once, and a body without one (chunked) is cut off as soon as it passes the limit.
    Both answer 413 as a problem document."""

    def __init__(self, app: ASGIApp, max_bytes: int, advertised_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.advertised = advertised_bytes  # the file limit clients are told (no framing)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(
                Request(scope, receive),
                status=413,
                code=ErrorCode.PAYLOAD_TOO_LARGE,
                detail=PayloadTooLarge.default_detail,
                extensions={"max_bytes": self.advertised},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI lets an HTTPException from the body stream through to the
                    # problem handlers.
                    raise StarletteHTTPException(status_code=413)
            return message

        await self.app(scope, counting_receive, send)
