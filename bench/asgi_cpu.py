"""CPU per request, in process: the service and the ceiling called as ASGI apps, no server.

Builds the data set of bench/http.py (a throwaway PostgreSQL database, --rows listings),
imports the service (`jiebang_api.main.create_app`, settings as http.py gives them) and the
ceiling (bench/ceiling_app.py) into this process, and calls each case --requests times,
--concurrency at a time, --rounds times interleaved (medians shown), measuring this process's
CPU time (time.process_time) per request:
what each app costs above the HTTP server, which bench/http.py includes. With --profile,
cProfile records the service's requests and the --top functions are printed.

    .venv/bin/python bench/asgi_cpu.py [--rows 2000] [--requests 2000] [--concurrency 8]
        [--rounds 3] [--cases public_one,me,listing_read,listing_create] [--profile] [--top 40]
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE] + [_HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

# bench/http.py (data set, cases, settings), loaded by its path: `http` is the standard library's.
_spec = importlib.util.spec_from_file_location("bench_http", Path(_HERE) / "http.py")
assert _spec is not None
assert _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_http"] = bench
_spec.loader.exec_module(bench)


def _scope(case: Any, data: Any) -> tuple[dict[str, Any], bytes]:
    path, _, query = case.path.partition("?")
    headers = [(b"host", b"127.0.0.1"), (b"accept", b"*/*"), (b"user-agent", b"bench")]
    body = b""
    if case.auth:
        headers.append((b"authorization", f"Bearer {data.token}".encode()))
    if case.body is not None:
        body = json.dumps(case.body).encode()
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": case.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    return scope, body


async def _call(app: Any, scope: dict[str, Any], body: bytes) -> int:
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(dict(scope, state={}), receive, send)
    return status


async def _drive(app: Any, case: Any, data: Any, requests: int, concurrency: int) -> float:
    """CPU seconds per request over `requests` calls, `concurrency` at a time."""
    scope, body = _scope(case, data)
    for _ in range(50):  # warm up caches and the pool
        status = await _call(app, scope, body)
        if status >= 400:
            raise SystemExit(f"{case.name}: status {status}")
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            await _call(app, scope, body)

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - started) / requests


async def measure(args: argparse.Namespace, data: Any) -> None:
    storage = Path(tempfile.mkdtemp(prefix="jiebang-asgi-cpu-"))
    for key, value in bench.service_settings(data.url, data.secret, storage).items():
        os.environ[key] = value
    os.environ.update(BENCH_DSN=data.dsn, BENCH_JWT_SECRET=data.secret)
    from jiebang_api.kit.logging import configure_logging
    from jiebang_api.main import create_app
    from jiebang_api.settings import Settings

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    configure_logging(settings.log_level, json=settings.log_json)  # as asgi.py does
    service = create_app(settings)
    ceiling_module = importlib.import_module("ceiling_app")
    ceiling = ceiling_module.app
    async with ceiling.router.lifespan_context(ceiling):
        cases = bench.make_cases(data, None, 1)
        for name in args.cases.split(","):
            case = cases[name]
            runs: dict[str, list[float]] = {"service": [], "ceiling": []}
            for _ in range(args.rounds):  # interleaved: noise falls on both alike
                for app_name, app in (("service", service), ("ceiling", ceiling)):
                    runs[app_name].append(
                        await _drive(app, case, data, args.requests, args.concurrency)
                    )
            s, c = statistics.median(runs["service"]), statistics.median(runs["ceiling"])
            print(
                f"{name:16} service {s * 1e6:7.0f} µs  ceiling {c * 1e6:7.0f} µs  "
                f"ceiling/service {c / s:.2f}"
            )
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                await _drive(service, case, data, args.requests, args.concurrency)
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats(args.sort).print_stats(args.top)
                print(out.getvalue())
    await service.state.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved; medians shown")
    parser.add_argument("--cases", default="public_one,me,listing_read,listing_create")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--admin-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    state = bench.State(admin_dsn=bench._dsn(args.admin_url))
    try:
        data = asyncio.run(bench.build_dataset(state, args.admin_url, args.rows, Path("/tmp")))
        try:
            import uvloop

            uvloop.run(measure(args, data))
        except ImportError:
            asyncio.run(measure(args, data))
    finally:
        bench.cleanup(state)


if __name__ == "__main__":
    main()
