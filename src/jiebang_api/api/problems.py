"""Every error leaves the service as an RFC 9457 problem document; the mapping lives here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, cast

import structlog
from fastapi import FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from jiebang_api.api.findings import EligibilityReportOut, Finding
from jiebang_api.api.operations_schemas import ReadinessOut
from jiebang_api.api.validation_messages import MAX_VIOLATIONS, capped, violations_from_pydantic
from jiebang_api.kit.context import current_request_id
from jiebang_api.kit.errors import (
    BadRequest,
    Conflict,
    DomainError,
    ErrorCode,
    InputInvalid,
    InvalidTransition,
    Message,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    RuleViolation,
    Unauthenticated,
    UnsupportedMediaType,
    VersionConflict,
    Violation,
)
from jiebang_api.kit.i18n import Language, negotiate
from jiebang_api.kit.labels import label_of

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger("jiebang_api.problems")

# Most specific class first: the first match decides the status.
STATUS_OF: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (InvalidTransition, 409),
    (VersionConflict, 412),
    (Conflict, 409),
    (RuleViolation, 422),
    (InputInvalid, 422),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (RateLimited, 429),
    (BadRequest, 400),
]

CODE_OF_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    406: ErrorCode.NOT_ACCEPTABLE,
    409: ErrorCode.CONFLICT,
    412: ErrorCode.VERSION_CONFLICT,
    408: ErrorCode.REQUEST_TIMEOUT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    431: ErrorCode.HEADERS_TOO_LARGE,
    422: ErrorCode.VALIDATION_FAILED,
    429: ErrorCode.RATE_LIMITED,
    500: ErrorCode.INTERNAL_ERROR,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable `code` and the list of violations."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:jiebang:problem:not-found",
                    "title": "资源不存在",
                    "status": 404,
                    "detail": "请求的资源不存在。",
                    "instance": "/api/v1/nope",
                    "code": "NOT_FOUND",
                    "violations": [],
                }
            ]
        },
    )

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path of the request that failed.")
    code: ErrorCode = Field(description="Stable machine-readable code.")
    violations: list[Finding] = Field(
        default_factory=list,
        description=f"`VALIDATION_FAILED` lists at most the first {MAX_VIOLATIONS}; "
        "`violations_omitted` counts the rest.",
    )
    request_id: str | None = Field(None, description="The `X-Request-ID` of the request.")
    # Members that only some problems carry (RFC 9457 extension members).
    current_state: str | None = Field(
        None,
        description="`INVALID_TRANSITION` and state conflicts: the resource's state now.",
    )
    allowed_actions: list[str] | None = Field(
        None,
        description="`INVALID_TRANSITION`: the actions the current state allows.",
    )
    error: str | None = Field(
        None,
        description="The token endpoint's 401: the OAuth 2.0 error code (RFC 6749 §5.2), "
        "`invalid_grant` or `invalid_client`.",
    )
    violations_omitted: int | None = Field(
        None,
        ge=1,
        description=f"`VALIDATION_FAILED` with more than {MAX_VIOLATIONS} violations: how many "
        "were found beyond those listed.",
    )
    retry_after: int | None = Field(
        None, description="`RATE_LIMITED`: seconds to wait, as in the `Retry-After` header."
    )
    max_bytes: int | None = Field(
        None,
        description="`PAYLOAD_TOO_LARGE`: the limit that applied, in bytes (a request "
        "body's, or an upload's).",
    )
    attachment_ids: list[str] | None = Field(
        None, description="The attachment ids refused (not found, or not the caller's)."
    )
    readiness: ReadinessOut | None = Field(
        None, description="`SERVICE_UNAVAILABLE` from `/readyz`: what is not ready."
    )
    report: EligibilityReportOut | None = Field(
        None, description="`ELIGIBILITY_FAILED`: the whole eligibility report."
    )


def request_id_of(request: Request) -> str | None:
    """The request id the middleware assigned (kept in the scope for the outermost handler)."""
    return getattr(request.state, "request_id", None) or current_request_id()


def status_of(error: DomainError) -> int:
    for cls, status in STATUS_OF:
        if isinstance(error, cls):
            return status
    return 409


def problem_response(
    request: Request,
    *,
    status: int,
    code: ErrorCode,
    detail: Message | None = None,
    violations: tuple[Violation, ...] | list[Violation] = (),
    extensions: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Render one problem in the caller's language."""
    language: Language = negotiate(request.headers.get("accept-language"))
    title = label_of(code)
    body: dict[str, Any] = {
        "type": f"urn:jiebang:problem:{code.value.lower().replace('_', '-')}",
        "title": title.en if language == "en" else title.zh,
        "status": status,
        "detail": (detail or Message(title.zh, title.en)).in_language(language),
        "instance": request.url.path,
        "code": code.value,
        "violations": [
            {
                "rule": v.rule,
                "article": v.article,
                "org_id": str(v.org_id) if v.org_id else None,
                "field": v.field,
                "message": v.message.in_language(language),
                "message_zh": v.message.zh,
                "message_en": v.message.en,
            }
            for v in violations
        ],
        "request_id": request_id_of(request),
        **(extensions or {}),
    }
    # Through the model: nested findings (an eligibility report's) are said in the caller's
    # language too, and nothing leaves that the schema does not describe as it does.
    shaped = Problem.model_validate(body).model_dump(mode="json", exclude_unset=True)
    all_headers = {"Content-Language": language, "Vary": "Accept-Language", **(headers or {})}
    return JSONResponse(
        shaped, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=all_headers
    )


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    error = cast(DomainError, exc)
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return problem_response(
        request,
        status=status_of(error),
        code=error.instance_code,
        detail=error.detail,
        violations=error.violations,
        extensions=error.extensions,
        headers=headers,
    )


def _form_media_type(request: Request) -> str | None:
    """The form encoding the route takes, when the request was sent as something else."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return None
    infos = [param.field_info for param in route.dependant.body_params]
    if not any(isinstance(info, params.Form) for info in infos):
        return None
    expected = (
        "multipart/form-data"
        if any(isinstance(info, params.File) for info in infos)
        else "application/x-www-form-urlencoded"
    )
    sent = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return expected if sent != expected else None


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    error = cast(RequestValidationError, exc)
    detail = Message(
        "请求数据校验失败，请检查各字段。", "The request is invalid; see the violations."
    )
    if form := _form_media_type(request):
        detail = Message(
            f"该接口只接受表单数据（{form}），请勿发送 JSON。",
            f"This endpoint takes a form ({form}), not JSON or another body.",
        )
    violations, omitted = capped(violations_from_pydantic(error.errors()))
    return problem_response(
        request,
        status=422,
        code=ErrorCode.VALIDATION_FAILED,
        detail=detail,
        violations=violations,
        extensions={"violations_omitted": omitted} if omitted else None,
    )


def _allowed_methods(request: Request, first_match: str) -> str:
    """Every method the path supports (the router names only the first route it matched)."""
    methods = {m.strip() for m in first_match.split(",") if m.strip()}
    path = request.url.path
    for template, item in request.app.openapi().get("paths", {}).items():
        pattern = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^/}]+\})", template)
        )
        if re.fullmatch(pattern, path):
            methods.update(method.upper() for method in item)
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    error = cast(StarletteHTTPException, exc)
    code = CODE_OF_STATUS.get(error.status_code, ErrorCode.BAD_REQUEST)
    headers = dict(error.headers or {})
    detail, extensions = None, None
    if error.status_code == 413:
        detail = PayloadTooLarge.default_detail
        extensions = {"max_bytes": request.app.state.settings.max_upload_bytes}
    elif error.status_code == 404:
        detail = NotFound.default_detail
    elif error.status_code == 405:
        allowed = headers["Allow"] = _allowed_methods(request, headers.get("Allow", ""))
        detail = Message(f"该地址只支持：{allowed}。", f"This resource supports only: {allowed}.")
    return problem_response(
        request,
        status=error.status_code,
        code=code,
        detail=detail,
        headers=headers,
        extensions=extensions,
    )


async def _stale_data(request: Request, error: Exception) -> JSONResponse:
    log.info("concurrent_modification", error=type(error).__name__)
    return problem_response(
        request, status=409, code=ErrorCode.VERSION_CONFLICT, detail=VersionConflict.default_detail
    )


async def _integrity_error(request: Request, error: Exception) -> JSONResponse:
    # The database refused a duplicate or dangling reference that a service did not catch.
    log.warning("integrity_error", error=type(error).__name__)
    return problem_response(
        request,
        status=409,
        code=ErrorCode.CONFLICT,
        detail=Message("请求与已有数据冲突。", "The request conflicts with existing data."),
    )


async def _unhandled(request: Request, error: Exception) -> JSONResponse:
    log.error("unhandled_error", exc_info=error, path=request.url.path)
    response = problem_response(
        request,
        status=500,
        code=ErrorCode.INTERNAL_ERROR,
        detail=Message(
            "服务器内部错误，请凭请求编号联系管理员。",
            "Internal server error; quote the request id to the administrators.",
        ),
    )
    # The error middleware sits outside ours, so the request id header is added here.
    if request_id := request_id_of(request):
        response.headers["X-Request-ID"] = request_id
    return response


def install(app: FastAPI) -> None:
    """Register every problem mapping on the app."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StaleDataError, _stale_data)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unhandled)


# The status each specific code is answered with (the others: CODE_OF_STATUS, reversed).
STATUS_OF_CODE: dict[ErrorCode, int] = {
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.WINDOW_CLOSED: 409,
    ErrorCode.NOTICE_CLOSED: 409,
    ErrorCode.IDEMPOTENCY_KEY_REQUIRED: 400,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.IDEMPOTENCY_IN_FLIGHT: 409,
    ErrorCode.MEMBERS_NOT_ACCEPTED: 409,
    ErrorCode.RULE_VIOLATION: 422,
    ErrorCode.ELIGIBILITY_FAILED: 422,
    ErrorCode.CORS_REFUSED: 400,
    **{code: status for status, code in CODE_OF_STATUS.items()},
}


def _example(status: int, code: ErrorCode) -> dict[str, Any]:
    title = label_of(code)
    return {
        "summary": f"{code.value}: {title.zh} / {title.en}",
        "value": {
            "type": f"urn:jiebang:problem:{code.value.lower().replace('_', '-')}",
            "title": title.zh,
            "status": status,
            "detail": title.zh,
            "instance": "/api/v1/...",
            "code": code.value,
            "violations": [],
            "request_id": "7f1c0e9a2b3d4c5e",
        },
    }


def problems(*answers: int | ErrorCode) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems an operation answers, with one example
    per code: a status stands for its general code (404 → NOT_FOUND), a code for itself
    under its status (INVALID_TRANSITION → 409). Name the general code's status too when an
    operation answers both (`409, ErrorCode.WINDOW_CLOSED`)."""
    codes: dict[int, list[ErrorCode]] = {}
    for answer in answers:
        if isinstance(answer, ErrorCode):
            codes.setdefault(STATUS_OF_CODE[answer], []).append(answer)
        else:
            codes.setdefault(answer, []).insert(0, CODE_OF_STATUS[answer])
    responses: dict[int | str, dict[str, Any]] = {}
    for status in sorted(codes):
        listed = ", ".join(f"`{code.value}`" for code in codes[status])
        responses[status] = {
            "description": f"{HTTPStatus(status).phrase}: {listed}",
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "examples": {code.value: _example(status, code) for code in codes[status]},
                }
            },
        }
    return responses
