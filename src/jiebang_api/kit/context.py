"""Per-request context that deep layers may read: the request id (audit, logs) and the
language the caller asked for (messages)."""

from __future__ import annotations

from contextvars import ContextVar

from jiebang_api.kit.i18n import Language

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return request_id_var.get()


language_var: ContextVar[Language] = ContextVar("language", default="zh")


def current_language() -> Language:
    """The language of the request being served (`zh` outside a request)."""
    return language_var.get()
