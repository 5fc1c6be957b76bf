"""A database the service cannot reach answers 503 with `Retry-After`, never 500: clients can
tell an outage (retry later) from a bug (report it)."""

from __future__ import annotations

import socket

import structlog
from fastapi import FastAPI
from sqlalchemy import exc as sa
from starlette.requests import Request
from starlette.responses import Response

from jiebang_api.api.problems import problem_response
from jiebang_api.kit.errors import ErrorCode, Message

log = structlog.get_logger("jiebang_api.outage")
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = Message(
    "数据库暂不可用，请稍后重试。", "The database is unavailable; retry in a few seconds."
)
# PostgreSQL SQLSTATEs of a server that is gone, full or shutting down, or a database dropped.
_OUTAGE_STATES = ("08", "53", "57P", "3D000")


def _sqlstate(error: BaseException | None) -> str:
    while error is not None:
        state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(state, str):
            return state
        error = error.__cause__
    return ""


def is_outage(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached (rather than that a statement is
    wrong): no connection, a lost one, a full pool, a server shutting down."""
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror | sa.TimeoutError):
        return True
    if not isinstance(error, sa.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, sa.OperationalError | sa.InterfaceError):
        return True
    return _sqlstate(error.orig).startswith(_OUTAGE_STATES)


async def _database_error(request: Request, error: Exception) -> Response:
    if not is_outage(error):
        raise error  # the unexpected-failure handler answers 500
    log.warning("database_unavailable", error=type(error).__name__, path=request.url.path)
    return problem_response(
        request,
        status=503,
        code=ErrorCode.SERVICE_UNAVAILABLE,
        detail=UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install(app: FastAPI) -> None:
    """Answer database outages with 503 (more specific handlers, e.g. integrity errors, keep
    theirs: a handler is chosen by the nearest class)."""
    for error in (sa.DBAPIError, sa.TimeoutError, ConnectionError, TimeoutError, socket.gaierror):
        app.add_exception_handler(error, _database_error)
