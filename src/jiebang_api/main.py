"""The application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from jiebang_api import __version__, wiring
from jiebang_api.api import docs, health, openapi, outage, problems
from jiebang_api.api import v1 as api_v1
from jiebang_api.api.metrics import Metrics
from jiebang_api.api.middleware import (
    BodyLimitsMiddleware,
    HeaderLimitMiddleware,
    ProblemCORSMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from jiebang_api.auth.service import Limits
from jiebang_api.auth.tokens import TokenCodec
from jiebang_api.kit.clock import Clock, SystemClock
from jiebang_api.kit.db import (
    ReadSessions,
    Replica,
    make_engine,
    make_read_sessionmaker,
    make_sessionmaker,
)
from jiebang_api.kit.ratelimit import RateLimiter
from jiebang_api.settings import Settings, get_settings

MULTIPART_ALLOWANCE = 1024 * 1024  # boundaries and part headers around the largest file
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await dispose(app)


async def dispose(app: FastAPI) -> None:
    """Close the connections of the app's pools: the primary's, and the replica's if any."""
    await app.state.engine.dispose()
    replica: Replica | None = app.state.replica
    if replica is not None:
        await replica.engine.dispose()


def _engine(url: str, settings: Settings) -> AsyncEngine:
    return make_engine(
        url,
        echo=settings.database_echo,
        pool_size=settings.database_pool_size,
        null_pool=settings.database_null_pool,
        pre_ping=settings.database_pool_pre_ping,
    )


def _turns(settings: Settings) -> asyncio.Semaphore | None:
    """A turn per connection a pool keeps: see `deps.unit_of_work`."""
    return None if settings.database_null_pool else asyncio.Semaphore(settings.database_pool_size)


def _replica(settings: Settings) -> Replica | None:
    """The read replica's pool, sessions and turns (`JIEBANG_DATABASE_READ_URL`), or None:
    without one, anonymous public reads read the primary like every other request."""
    if not settings.database_read_url:
        return None
    engine = _engine(settings.database_read_url, settings)
    readers = ReadSessions(make_read_sessionmaker(engine), keep=settings.database_pool_size)
    return Replica(engine, readers, _turns(settings))


def _operation_id(route: APIRoute) -> str:
    """An operation's id in the contract: its endpoint's name."""
    return route.name


@lru_cache(maxsize=1)
def _versioned_routes() -> tuple[BaseRoute, ...]:
    """The versioned API's routes, included once per process and shared by every app built
    in it. FastAPI (0.16x) prepares an included router's routes for each inclusion, on its
    first request: a quarter of a second for every app, which the tests (an app each) paid
    thousands of times. The routes keep no app of their own (they read `request.app`);
    the app's `dependency_overrides` do not reach them (nothing here uses overrides)."""
    assembled = APIRouter(generate_unique_id_function=_operation_id)
    for router in api_v1.ROUTERS:
        assembled.include_router(router, prefix=api_v1.PREFIX)
    return tuple(assembled.routes)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the ASGI app: engine, routers, error mapping, middleware and documentation."""
    settings = settings or get_settings()
    wiring.wire()
    app = FastAPI(
        title=openapi.TITLE,
        version=openapi.API_VERSION,
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_public else None,
        debug=settings.debug,
        generate_unique_id_function=_operation_id,
        telemetry=None if settings.opentelemetry else _NO_TELEMETRY,
    )
    engine = _engine(settings.database_url, settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.read_sessionmaker = make_read_sessionmaker(engine)
    app.state.read_sessions = ReadSessions(
        app.state.read_sessionmaker, keep=settings.database_pool_size
    )
    app.state.database_turns = _turns(settings)
    app.state.replica = _replica(settings)
    app.state.clock = clock or SystemClock()
    app.state.metrics = Metrics()
    app.state.token_codec = TokenCodec(settings)
    app.state.limits = Limits(
        limiter=RateLimiter(settings.rate_limit_storage_url),
        login_failures=settings.login_failure_limit,
        login_addresses=settings.login_address_limit,
        registrations=settings.registration_limit,
        objections=settings.objection_limit,
    )
    app.state.version = __version__

    app.include_router(health.router)
    app.router.routes.extend(_versioned_routes())
    if settings.docs_public:
        docs.install(app, title=openapi.TITLE)
    problems.install(app)
    outage.install(app)

    def _openapi() -> dict[str, Any]:
        return openapi.build(app)

    app.openapi = _openapi  # type: ignore[method-assign]

    if settings.cors_origins:
        app.add_middleware(
            ProblemCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Accept-Language",
                "If-Match",
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=["ETag", "X-Request-ID", "Retry-After", "Content-Language"],
        )
    app.add_middleware(
        BodyLimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        upload_allowance=MULTIPART_ALLOWANCE,
        read_timeout_seconds=settings.body_read_timeout_seconds,
        uploads={("POST", str(app.url_path_for("upload_attachment")))},
    )
    app.add_middleware(HeaderLimitMiddleware)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    _secure_every_response(app)
    return app


def _secure_every_response(app: FastAPI) -> None:
    """Security headers around the whole stack, the error middleware included: the 500
    problem documents of unexpected errors carry them too."""
    token_path = str(app.url_path_for("issue_token"))
    build = app.build_middleware_stack

    def build_secured() -> ASGIApp:
        return SecurityHeadersMiddleware(build(), token_path=token_path)

    app.build_middleware_stack = build_secured  # type: ignore[method-assign]
