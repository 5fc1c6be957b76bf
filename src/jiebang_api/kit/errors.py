"""The domain error hierarchy. Domain code never knows an HTTP status.

    DomainError
    ├── NotFound             the object does not exist, or the caller may not see it
    ├── Unauthenticated      no valid credentials
    ├── PermissionDenied     authenticated but not allowed
    ├── Conflict             duplicate, or a state that forbids the request
    │   └── InvalidTransition   an action the aggregate's state machine does not allow
    ├── VersionConflict      the caller's `If-Match` version is stale
    ├── RuleViolation        one or more cited rules of the measures are violated
    ├── InputInvalid         a request that parses but makes no sense
    ├── PayloadTooLarge      an upload over the size limit
    ├── UnsupportedMediaType content of a type the service does not accept
    └── RateLimited          too many attempts; retry later

`api/problems.py` maps each class to its HTTP status and renders RFC 9457.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from jiebang_api.kit.labels import labelled


@labelled(
    {
        "NOT_FOUND": ("资源不存在", "Not found"),
        "METHOD_NOT_ALLOWED": ("不支持该请求方法", "Method not allowed"),
        "UNAUTHENTICATED": ("未认证", "Not authenticated"),
        "FORBIDDEN": ("无权执行该操作", "Forbidden"),
        "CONFLICT": ("请求与当前状态冲突", "Conflict"),
        "INVALID_TRANSITION": ("当前状态不允许该操作", "Invalid state transition"),
        "VERSION_CONFLICT": ("数据已被他人修改", "Version conflict"),
        "VALIDATION_FAILED": ("请求数据校验失败", "Validation failed"),
        "RULE_VIOLATION": ("违反办法规定", "Rule violation"),
        "ELIGIBILITY_FAILED": ("资格审查未通过", "Eligibility check failed"),
        "WINDOW_CLOSED": ("不在揭榜申请期限内", "The application window is not open"),
        "NOTICE_CLOSED": ("不在公示期内", "The public notice is not taking objections"),
        "IDEMPOTENCY_KEY_REQUIRED": ("缺少幂等键", "An Idempotency-Key header is required"),
        "IDEMPOTENCY_KEY_REUSED": (
            "幂等键已用于另一请求",
            "The Idempotency-Key was used for another request",
        ),
        "IDEMPOTENCY_IN_FLIGHT": (
            "使用该幂等键的请求仍在处理中",
            "The request with this Idempotency-Key is still in progress",
        ),
        "MEMBERS_NOT_ACCEPTED": (
            "联合体成员尚未全部确认参加",
            "Not every consortium member has accepted",
        ),
        "RATE_LIMITED": ("请求过于频繁", "Too many requests"),
        "PAYLOAD_TOO_LARGE": ("请求体过大", "Payload too large"),
        "REQUEST_TIMEOUT": ("请求体未在时限内送达", "Request timeout"),
        "HEADERS_TOO_LARGE": ("请求头过大", "Request headers too large"),
        "CORS_REFUSED": ("跨域请求被拒绝", "Cross-origin request refused"),
        "UNSUPPORTED_MEDIA_TYPE": ("不支持的媒体类型", "Unsupported media type"),
        "NOT_ACCEPTABLE": ("无法提供所请求的表示形式", "Not acceptable"),
        "BAD_REQUEST": ("请求格式错误", "Bad request"),
        "INTERNAL_ERROR": ("服务器内部错误", "Internal server error"),
        "SERVICE_UNAVAILABLE": ("服务暂不可用", "Service unavailable"),
    }
)
class ErrorCode(StrEnum):
    """Stable machine-readable problem codes (the `code` member of every problem)."""

    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    RULE_VIOLATION = "RULE_VIOLATION"
    ELIGIBILITY_FAILED = "ELIGIBILITY_FAILED"
    WINDOW_CLOSED = "WINDOW_CLOSED"
    NOTICE_CLOSED = "NOTICE_CLOSED"
    IDEMPOTENCY_KEY_REQUIRED = "IDEMPOTENCY_KEY_REQUIRED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_IN_FLIGHT = "IDEMPOTENCY_IN_FLIGHT"
    MEMBERS_NOT_ACCEPTED = "MEMBERS_NOT_ACCEPTED"
    RATE_LIMITED = "RATE_LIMITED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    HEADERS_TOO_LARGE = "HEADERS_TOO_LARGE"
    CORS_REFUSED = "CORS_REFUSED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    BAD_REQUEST = "BAD_REQUEST"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


@dataclass(frozen=True)
class Message:
    """A human message in both languages of the service."""

    zh: str
    en: str

    def in_language(self, language: str) -> str:
        return self.en if language == "en" else self.zh


@dataclass(frozen=True)
class Violation:
    """One broken rule or invalid field; `rule`/`article` cite the measures when they apply."""

    message: Message
    rule: str | None = None
    article: str | None = None
    field: str | None = None
    org_id: uuid.UUID | None = None  # the organisation a finding is about, if one


class DomainError(Exception):
    """Base of every error a service may raise on purpose."""

    code: ClassVar[ErrorCode] = ErrorCode.CONFLICT
    default_detail: ClassVar[Message] = Message(
        "请求无法完成。", "The request cannot be completed."
    )

    def __init__(
        self,
        detail: Message | None = None,
        *,
        violations: Iterable[Violation] = (),
        code: ErrorCode | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.violations: tuple[Violation, ...] = tuple(violations)
        self.instance_code = code or self.code
        self.extensions: dict[str, Any] = extensions or {}
        super().__init__(self.detail.en)


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    default_detail = Message("请求的资源不存在。", "The requested resource does not exist.")


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED
    default_detail = Message("需要有效的访问令牌。", "A valid access token is required.")


class PermissionDenied(DomainError):
    code = ErrorCode.FORBIDDEN
    default_detail = Message("您无权执行该操作。", "You are not allowed to do this.")


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class InvalidTransition(Conflict):
    """An action that the current state does not allow; names what is allowed."""

    code = ErrorCode.INVALID_TRANSITION

    def __init__(self, *, aggregate: str, state: str, action: str, allowed: Sequence[str]) -> None:
        allowed_text = ", ".join(allowed) or "—"
        super().__init__(
            Message(
                f"{aggregate} 当前状态为 {state}，不能执行 {action}；允许的操作：{allowed_text}。",
                f"{aggregate} is {state}; {action} is not allowed. "
                f"Allowed actions: {allowed_text}.",
            ),
            extensions={"current_state": state, "allowed_actions": list(allowed)},
        )
        self.state = state
        self.action = action
        self.allowed = tuple(allowed)


class VersionConflict(DomainError):
    code = ErrorCode.VERSION_CONFLICT
    default_detail = Message(
        "数据已被修改，请重新读取后再试。",
        "The resource was changed by someone else; read it again and retry.",
    )


def require_version(current: int, expected: int | None) -> None:
    """`If-Match` semantics: no expectation passes; a different version is a VersionConflict."""
    if expected is not None and current != expected:
        raise VersionConflict()


class RuleViolation(DomainError):
    """One or more cited rules are broken; every violation is listed."""

    code = ErrorCode.RULE_VIOLATION
    default_detail = Message("请求违反了办法的规定。", "The request violates the measures.")


class InputInvalid(DomainError):
    code = ErrorCode.VALIDATION_FAILED
    default_detail = Message("请求数据无效。", "The request data is invalid.")


class BadRequest(DomainError):
    code = ErrorCode.BAD_REQUEST
    default_detail = Message("请求格式错误。", "The request is malformed.")


class PayloadTooLarge(DomainError):
    code = ErrorCode.PAYLOAD_TOO_LARGE
    default_detail = Message("上传内容超过大小限制。", "The upload exceeds the size limit.")


class UnsupportedMediaType(DomainError):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
    default_detail = Message(
        "不支持该文件类型（仅限 PDF、PNG、JPEG、DOCX、XLSX、OFD）。",
        "This file type is not accepted (PDF, PNG, JPEG, DOCX, XLSX and OFD only).",
    )


class RateLimited(DomainError):
    """Too many attempts; `retry_after` seconds until the next may succeed."""

    code = ErrorCode.RATE_LIMITED
    default_detail = Message("请求过于频繁，请稍后再试。", "Too many requests; try again later.")

    def __init__(self, retry_after: int) -> None:
        super().__init__(extensions={"retry_after": retry_after})
        self.retry_after = retry_after
