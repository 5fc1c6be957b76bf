"""Operations endpoints outside the versioned API: health, readiness, metrics, the contract."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from jiebang_api.api.openapi import build, to_yaml
from jiebang_api.api.operations_schemas import HealthOut, ReadinessOut
from jiebang_api.api.problems import problem_response, problems
from jiebang_api.kit import readiness
from jiebang_api.kit.errors import ErrorCode, Message

router = APIRouter(tags=["operations"])


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
    description="Request counts and latencies by route template, in the Prometheus text format.",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}, "example": "# HELP …\n"}},
            "description": "Metrics in the Prometheus exposition format.",
        },
    },
)
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics
    return Response(registry.render(), media_type=registry.content_type)


@router.get("/openapi.yaml", include_in_schema=False)
async def openapi_yaml(request: Request) -> Response:
    return Response(to_yaml(build(request.app)), media_type="application/yaml")
