"""Operations endpoints outside the versioned API: health, readiness, metrics."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from jiebang_api.api.operations_schemas import HealthOut, ReadinessOut
from jiebang_api.api.problems import problem_response, problems
from jiebang_api.integration import plan_system
from jiebang_api.kit import readiness
from jiebang_api.kit.errors import ErrorCode, Message, Unauthenticated

router = APIRouter(tags=["operations"])
PLAN_SYNC_COUNT_SECONDS = 2.0


@router.get(
    "/healthz",
    response_model=HealthOut,
    summary="Liveness",
    description="200 while the process serves requests; touches no dependency.",
)
async def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=ReadinessOut,
    summary="Readiness",
    description="200 when the database answers and its schema is at the newest migration; "
    "otherwise 503, a problem document (`SERVICE_UNAVAILABLE`) whose `readiness` member "
    "says what is missing, so a load balancer sends no traffic.",
    responses=problems(503),
)
async def readyz(request: Request) -> JSONResponse:
    state = await readiness.check(
        request.app.state.engine, request.app.state.settings.resolved_migrations_dir()
    )
    body = ReadinessOut(
        status="ready" if state.ready else "not_ready",
        database="ok" if state.database else "unreachable",
        current_revision=state.current_revision,
        head_revision=state.head_revision,
    )
    if state.ready:
        return JSONResponse(body.model_dump())
    return problem_response(
        request,
        status=503,
        code=ErrorCode.SERVICE_UNAVAILABLE,
        detail=NOT_READY,
        extensions={"readiness": body.model_dump()},
    )


NOT_READY = Message(
    "服务尚未就绪：数据库无法连接或未迁移到最新版本。",
    "Not ready: the database is unreachable or not migrated to the newest revision.",
)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Request counts and latencies by route template, and the projects by the "
    "state of their push to the plan management system (`jiebang_plan_sync_projects`), in "
    "the Prometheus text format. "
    "When `JIEBANG_METRICS_TOKEN` is set, only a request with `Authorization: Bearer <that "
    "token>` is answered; any other is 401 (`UNAUTHENTICATED`).",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}, "example": "# HELP …\n"}},
            "description": "Metrics in the Prometheus exposition format.",
        },
        **problems(401),
    },
)
async def metrics(request: Request) -> Response:
    expected = request.app.state.settings.metrics_token
    if expected is not None and not _bears(request, expected.get_secret_value()):
        raise Unauthenticated(METRICS_TOKEN_REQUIRED)
    registry = request.app.state.metrics
    await _count_plan_sync(request)
    return Response(registry.render(), media_type=registry.content_type)


async def _count_plan_sync(request: Request) -> None:
    """The plan system sync's projects by state, from the database (the worker records the
    pushes; a scrape of any API process shows them). A database that does not answer in
    time leaves the last counts: the metrics still come."""
    try:
        async with asyncio.timeout(PLAN_SYNC_COUNT_SECONDS):
            async with request.app.state.sessionmaker() as session:
                counts = await plan_system.counts_by_status(session)
    except (SQLAlchemyError, OSError, TimeoutError):
        return
    request.app.state.metrics.set_plan_sync(counts)


def _bears(request: Request, token: str) -> bool:
    """Whether the request's bearer token is `token` (compared in constant time)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


METRICS_TOKEN_REQUIRED = Message(
    "读取监控指标需要监控令牌。", "The metrics token is required to read the metrics."
)
