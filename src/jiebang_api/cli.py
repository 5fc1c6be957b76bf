"""The `jiebang-api` command line."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from jiebang_api import __version__
from jiebang_api.settings import Environment, Settings

app = typer.Typer(help="jiebang-api: the 揭榜挂帅 programme's REST API.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

DEFAULT_SPEC = Path("openapi/openapi.yaml")
# The request line and headers that h11 buffers while they are incomplete: past this it
# answers 400 itself (text/plain, from uvicorn) and closes the connection. It is well above
# the app's own limit (`api.middleware.MAX_HEADER_BYTES`, 16 KiB), so that a head too large
# reaches the app and is answered with a 431 problem document; only a head past this bound
# gets uvicorn's own answer. h11 is named, not left to uvicorn's choice: uvicorn has this
# setting for h11 only (with httptools installed it would pick httptools).
MAX_REQUEST_HEAD_BYTES = 256 * 1024


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        typer.echo(f"configuration refused: {error}", err=True)
        raise typer.Exit(2) from None


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def migrate() -> None:
    """Upgrade the database to the newest migration."""
    from jiebang_api.kit.migrations import upgrade

    settings = _settings()
    upgrade(settings.database_url, settings.resolved_migrations_dir())
    typer.echo("database migrated to head")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    no_migrate: Annotated[bool, typer.Option("--no-migrate", help="Skip migrating first.")] = False,
) -> None:
    """Serve the API (migrates first unless --no-migrate)."""
    import uvicorn

    from jiebang_api.kit.logging import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)
    if not no_migrate:
        migrate()
    uvicorn.run(
        "jiebang_api.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        # The app reads `X-Forwarded-For` itself, from `JIEBANG_TRUSTED_PROXIES` only.
        proxy_headers=False,
        http="h11",
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
        server_header=False,  # name no software and version to callers
        # On SIGTERM uvicorn stops accepting, lets the requests in flight finish for this
        # long (each commits before it answers), then cancels what is left.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


@app.command("export-openapi")
def export_openapi(
    output: Annotated[Path, typer.Option(help="Where the contract lives.")] = DEFAULT_SPEC,
    check: Annotated[
        bool, typer.Option("--check", help="Fail if the file differs from the app.")
    ] = False,
) -> None:
    """Write the app's OpenAPI document as YAML, or check that the committed one matches."""
    from jiebang_api.api.openapi import build, to_yaml
    from jiebang_api.main import create_app

    text = to_yaml(build(create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))))
    if check:
        committed = output.read_text(encoding="utf-8") if output.exists() else ""
        if committed != text:
            typer.echo(
                f"{output} differs from the app's OpenAPI document; "
                "run `jiebang-api export-openapi` and commit the result",
                err=True,
            )
            raise typer.Exit(1)
        typer.echo(f"{output} matches the app")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="One sweep, then exit.")] = False,
    interval: Annotated[float, typer.Option(min=1.0, help="Seconds between sweeps.")] = 30.0,
) -> None:
    """Run the deadline sweep (e.g. closing listings whose application window has ended),
    deliver webhooks, push projects to the plan system (`JIEBANG_PLAN_BASE_URL`), and remove
    stored files that no attachment names once
    `JIEBANG_ORPHAN_FILE_GRACE_SECONDS` old."""
    import httpx

    from jiebang_api import worker as sweeps
    from jiebang_api.attachments.storage import LocalStorage
    from jiebang_api.integration import addresses, delivery, plan_system
    from jiebang_api.integration import subscriptions as subscriptions_service
    from jiebang_api.kit.clock import SystemClock
    from jiebang_api.kit.db import make_engine, make_sessionmaker
    from jiebang_api.kit.logging import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)

    async def main() -> None:
        engine = make_engine(settings.database_url, pool_size=2)
        sessions = make_sessionmaker(engine)
        clock, sandbox_enabled = SystemClock(), settings.sandbox_enabled
        housekeeping = sweeps.Housekeeping(
            storage=LocalStorage(settings.storage_dir),
            grace=timedelta(seconds=settings.orphan_file_grace_seconds),
        )
        resolver = (
            subscriptions_service.system_resolver(settings.webhook_resolve_timeout_seconds)
            if settings.webhook_resolve_names
            else subscriptions_service.literal_resolver
        )
        guard = addresses.Policy.of(
            https_only=settings.env is Environment.PROD,
            allowed=settings.webhook_allowed_addresses,
        )
        client = httpx.AsyncClient(
            timeout=delivery.TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
        )
        webhooks = sweeps.Webhooks(
            sender=delivery.Sender(client=client, guard=guard, resolver=resolver),
            fanout_batch=settings.webhook_fanout_batch,
            delivery_batch=settings.webhook_delivery_batch,
            lease=timedelta(seconds=settings.webhook_lease_seconds),
        )
        plan = sweeps.PlanSync(
            client=plan_system.Client(
                base_url=settings.plan_base_url,
                token=settings.plan_token.get_secret_value() if settings.plan_token else None,
                http=client,
                guard=guard,
                resolver=resolver,
                connect_timeout=settings.plan_connect_timeout_seconds,
                read_timeout=settings.plan_read_timeout_seconds,
            ),
            fanout_batch=settings.webhook_fanout_batch,
            batch=settings.plan_sync_batch,
            lease=timedelta(seconds=settings.webhook_lease_seconds),
        )
        try:
            if once:
                done = await sweeps.sweep_once(
                    sessions, clock=clock, sandbox_enabled=sandbox_enabled
                )
                done |= await sweeps.deliver_webhooks(
                    sessions, clock=clock, sandbox_enabled=sandbox_enabled, webhooks=webhooks
                )
                done |= await sweeps.sync_plan_system(
                    sessions, clock=clock, sandbox_enabled=sandbox_enabled, plan=plan
                )
                typer.echo(", ".join(f"{k}: {v}" for k, v in done.items()))
            else:
                stop = asyncio.Event()
                ticking = asyncio.ensure_future(
                    sweeps.run(
                        sessions,
                        clock=clock,
                        sandbox_enabled=sandbox_enabled,
                        interval_seconds=interval,
                        housekeeping=housekeeping,
                        webhooks=webhooks,
                        plan=plan,
                        stop=stop,
                    )
                )
                _stop_on_signals(stop, ticking, grace=settings.shutdown_grace_seconds)
                with contextlib.suppress(asyncio.CancelledError):
                    await ticking
        finally:
            await client.aclose()
            await engine.dispose()

    asyncio.run(main())


def _stop_on_signals(stop: asyncio.Event, ticking: asyncio.Future[None], *, grace: float) -> None:
    """SIGTERM or SIGINT: the worker finishes the step under way and ends; a step still
    running `grace` seconds later is cancelled (the rows it claimed go back to the other
    workers when their lease lapses)."""
    loop = asyncio.get_running_loop()

    def ask_to_stop() -> None:
        if not stop.is_set():
            stop.set()
            loop.call_later(grace, ticking.cancel)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, ask_to_stop)


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="The administrator's username.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an administrator account (the first one, typically)."""
    from datetime import UTC, datetime

    from jiebang_api.auth import service as auth_service
    from jiebang_api.kit.db import make_engine, make_sessionmaker
    from jiebang_api.kit.errors import DomainError

    if not password_stdin:
        typer.echo("give the password on standard input with --password-stdin", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\r\n")
    settings = _settings()

    async def run() -> None:
        engine = make_engine(settings.database_url, null_pool=True)
        try:
            async with make_sessionmaker(engine)() as session:
                await auth_service.create_admin(
                    session, username=username, password=password, now=datetime.now(UTC)
                )
                await session.commit()
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except DomainError as error:
        reasons = [v.message.en for v in error.violations] or [error.detail.en]
        typer.echo(f"refused: {'; '.join(reasons)}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"administrator {username} created")


@app.command("seed-demo")
def seed_demo() -> None:
    """Fill the database with demo data for testers (dev and test environments only)."""
    from jiebang_api.demo import seed
    from jiebang_api.kit.migrations import upgrade

    settings = _settings()
    if settings.env is Environment.PROD:
        typer.echo("refused: seed-demo is for the dev and test environments only", err=True)
        raise typer.Exit(2)
    upgrade(settings.database_url, settings.resolved_migrations_dir())
    try:
        report = asyncio.run(seed.seed(settings))
    except (seed.Refused, seed.StepFailed) as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(1) from None
    if report.nothing_to_do:
        typer.echo("nothing to do: the demo data is there already")
        return
    for what, items in report.made.items():
        typer.echo(f"{what}:")
        for item in items:
            typer.echo(f"  {item}")
    typer.echo("every demo account's password is in README.md (dev and test only)")


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk every audit chain; exit 1 naming the first broken entry."""
    from jiebang_api.audit import service as audit
    from jiebang_api.kit.db import make_engine, make_sessionmaker

    settings = _settings()

    async def run() -> audit.VerifyReport:
        engine = make_engine(settings.database_url, null_pool=True)
        try:
            async with make_sessionmaker(engine)() as session:
                return await audit.verify(session)
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    if report.broken is None:
        typer.echo(f"OK: {report.entries} entries in {report.chains} chains verified")
        return
    b = report.broken
    typer.echo(
        f"BROKEN: entry {b.entry_id} ({b.resource_type}/{b.resource_id} #{b.resource_seq}): "
        f"{b.reason}",
        err=True,
    )
    raise typer.Exit(1)
