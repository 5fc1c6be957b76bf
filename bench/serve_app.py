"""Start one of the three apps that bench/http.py compares, on loopback.

    .venv/bin/python bench/serve_app.py {service,ceiling,reference} --port N
        [--loop auto|asyncio|uvloop] [--http h11|httptools] [--workers N]

The server arguments are those of `jiebang-api serve` (src/jiebang_api/cli.py): --workers, no
uvicorn access log, no proxy headers, no server header, h11 with the same head limit; only the
event loop and the HTTP parser can be chosen, so that uvloop and httptools can be measured.
The service is configured by its own `JIEBANG_*` variables (logging as `serve` sets it up);
the ceiling and the reference read `BENCH_DSN` (and the reference `BENCH_POOL_SIZE`).
"""

from __future__ import annotations

import os
import sys

# This folder holds a module named `http`: keep it from shadowing the standard library's.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE] + [_HERE]

import argparse  # noqa: E402

import uvicorn  # noqa: E402

TARGETS = {
    "service": "jiebang_api.asgi:app",
    "ceiling": "ceiling_app:app",
    "reference": "reference_app:app",
}


def main() -> None:
    parser = argparse.ArgumentParser(description="one app of the HTTP benchmark")
    parser.add_argument("app", choices=sorted(TARGETS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", default="auto", choices=["asyncio", "uvloop", "auto"])
    parser.add_argument("--http", default="h11", choices=["h11", "httptools"])
    parser.add_argument("--workers", type=int, default=1, help="as serve --workers")
    args = parser.parse_args()

    from jiebang_api.cli import MAX_REQUEST_HEAD_BYTES

    extra: dict[str, object] = {}
    if args.http == "h11":
        extra["h11_max_incomplete_event_size"] = MAX_REQUEST_HEAD_BYTES
    if args.app == "service":
        from jiebang_api.kit.logging import configure_logging
        from jiebang_api.settings import Settings

        settings = Settings()
        configure_logging(settings.log_level, json=settings.log_json)
    else:
        extra.update(log_level="warning", access_log=False)
    uvicorn.run(
        TARGETS[args.app],
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_config=None,
        proxy_headers=False,
        http=args.http,
        loop=args.loop,
        server_header=False,
        **extra,  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
