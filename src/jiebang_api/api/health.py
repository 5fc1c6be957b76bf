"""Operations endpoints outside the versioned API: health, readiness, metrics, the contract."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from jiebang_api.api.openapi import build, to_yaml
from jiebang_api.kit import readiness

router = APIRouter(tags=["operations"])


class HealthOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})
    status: Literal["ok"]


class ReadinessOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "database": "ok",
                    "current_revision": "20261128_0001",
                    "head_revision": "20261128_0001",
                }
            ]
        }
    )
    status: Literal["ready", "not_ready"]
    database: Literal["ok", "unreachable"]
    current_revision: str | None
    head_revision: str | None


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
    "503 (same body, `status: not_ready`) otherwise, so a load balancer sends no traffic.",
    responses={
        503: {"model": ReadinessOut, "description": "Database unreachable or not migrated."},
    },
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
    return JSONResponse(body.model_dump(), status_code=200 if state.ready else 503)


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
