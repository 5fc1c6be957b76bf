"""Summarise a py-spy speedscope profile: where the time goes, by function and by library.

    .venv/bin/python bench/profile_summary.py PROFILE.speedscope.json [--top 15] [--threads]

Every thread's samples count (the event loop's and the thread pool's). Prints the top
functions by own time (the sample's innermost frame) and by cumulative time (anywhere on the
stack, once per sample), each as file:line of the function with, for own time, its hottest
line; then the own time per library (FastAPI, Starlette, pydantic, SQLAlchemy, asyncpg, the
event loop, the service's own code ...).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

# Own time by where the code lives (first match wins).
AREAS = [
    ("jiebang_api", r"/src/jiebang_api/"),
    ("fastapi", r"/fastapi/"),
    ("starlette", r"/starlette/"),
    ("pydantic", r"/pydantic(_core)?/"),
    ("sqlalchemy", r"/sqlalchemy/"),
    ("asyncpg", r"/asyncpg/"),
    ("jose/crypto", r"/(jose|cryptography|ecdsa|rsa)/"),
    ("structlog/logging", r"/structlog/|/logging/"),
    ("uvicorn", r"/uvicorn/"),
    ("h11/httptools", r"/(h11|httptools)/"),
    ("anyio (thread pool)", r"/anyio/"),
    ("asyncio/event loop", r"/asyncio/|uvloop|selectors\.py"),
    ("threading/concurrent", r"/threading\.py|/concurrent/|/queue\.py"),
    ("json", r"/json/"),
    ("prometheus", r"/prometheus_client/"),
    ("stdlib other", r"/lib/python3\.\d+/"),
]


# The server's outer frames (process start, uvicorn, the loop running a callback): on the
# stack of most samples, they say nothing about where the time goes.
RUNNER = re.compile(
    r"serve_app\.py|uvicorn/(main|server|_compat)\.py|asyncio/(runners|base_events)\.py|"
    r"asyncio/events\.py|threading\.py:(run|_bootstrap)|anyio/_backends/_asyncio\.py:run$"
)


# The ASGI chain every request passes through (middleware, application, routers, exception
# wrappers): nested, each on nearly every sample; the cumulative list shows what lies below
# them, and their own time is summed apart.
CHAIN = re.compile(
    r"(jiebang_api/api/middleware\.py|starlette/middleware/|fastapi/middleware/|"
    r"fastapi/_body_limit\.py|fastapi/telemetry/|starlette/applications\.py|"
    r"fastapi/applications\.py|starlette/routing\.py|starlette/_exception_handler\.py|"
    r"uvicorn/protocols/http/h11_impl\.py:RequestResponseCycle\.run_asgi|"
    r"uvicorn/middleware/|fastapi/routing\.py:(APIRouter\.|_IncludedRouter\.|"
    r"request_response|APIRoute\.handle))"
)


def short(path: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3.11/", "/lib/python3.12/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def area(path: str) -> str:
    for name, pattern in AREAS:
        if re.search(pattern, path):
            return name
    return "other"


def describe(frame: dict[str, Any]) -> str:
    return f"{frame['name']}@{short(frame.get('file', '?'))}:{frame.get('line', 0)}"


def charged_area(files_leaf_first: list[str]) -> str:
    """The area of the innermost frame that is not generic standard library (uuid, datetime,
    enum, re ...): those are charged to the code that called them."""
    for path in files_leaf_first:
        name = area(path)
        if name not in ("stdlib other", "other"):
            return name
    return area(files_leaf_first[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--threads", action="store_true", help="samples per thread too")
    parser.add_argument(
        "--callers", metavar="FUNCTION", help="the call paths (3 frames up) into this function"
    )
    args = parser.parse_args()
    data = json.loads(args.profile.read_text())
    frames = data["shared"]["frames"]
    own_fn: Counter[tuple[str, str]] = Counter()
    own_line: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    cumulative_line: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    cumulative: Counter[tuple[str, str]] = Counter()
    areas: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    paths: Counter[str] = Counter()
    for profile in data["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            if not stack:
                continue
            total += weight
            threads[profile["name"]] += weight
            leaf = frames[stack[-1]]
            key = (leaf["name"], leaf.get("file", "?"))
            own_fn[key] += weight
            own_line[key][leaf.get("line", 0)] += weight
            areas[charged_area([frames[i].get("file", "?") for i in reversed(stack)])] += weight
            if args.callers:
                names = [frames[i]["name"] for i in stack]
                if args.callers in names:
                    at = len(names) - 1 - names[::-1].index(args.callers)
                    path = " <- ".join(
                        describe(frames[i]) for i in reversed(stack[max(0, at - 3) : at + 1])
                    )
                    paths[path] += weight
            seen = set()
            for index in stack:
                frame = frames[index]
                fn = (frame["name"], frame.get("file", "?"))
                if fn not in seen:
                    seen.add(fn)
                    cumulative[fn] += weight
                    cumulative_line[fn][frame.get("line", 0)] += weight
    print(f"{args.profile.name}: {total} samples")
    if args.threads:
        for name, count in threads.most_common():
            print(f"  thread {name}: {100 * count / total:.1f}%")

    def where(fn: tuple[str, str], lines: Counter[int]) -> str:
        return f"{short(fn[1])}:{lines.most_common(1)[0][0]} {fn[0]}"

    print(f"\ntop {args.top} by own time (file:the function's hottest line, function)")
    for fn, count in own_fn.most_common(args.top):
        print(f"  {100 * count / total:5.1f}%  {where(fn, own_line[fn])}")
    print(
        f"\ntop {args.top} by cumulative time (file:the line the frame was at most often; "
        "the server's outer frames and the ASGI middleware/router chain left out; stacks are "
        "cut where a coroutine or a greenlet resumes, so a frame's share counts only the "
        "samples under it in that resumption)"
    )
    chain_own = sum(c for fn, c in own_fn.items() if CHAIN.search(f"{short(fn[1])}:{fn[0]}"))
    chain_top = max(
        (c for fn, c in cumulative.items() if CHAIN.search(f"{short(fn[1])}:{fn[0]}")), default=0
    )
    print(
        f"  (the ASGI chain: on {100 * chain_top / total:.1f}% of samples at most, "
        f"{100 * chain_own / total:.1f}% own time in its frames)"
    )
    shown = 0
    for fn, count in cumulative.most_common():
        if RUNNER.search(fn[1]) or (
            fn[0] in ("_bootstrap", "_bootstrap_inner", "run") and "threading" in fn[1]
        ):
            continue
        if CHAIN.search(f"{short(fn[1])}:{fn[0]}"):
            continue
        print(f"  {100 * count / total:5.1f}%  {where(fn, cumulative_line[fn])}")
        shown += 1
        if shown == args.top:
            break
    if args.callers:
        print(f"\ncalls into {args.callers}")
        for path, count in paths.most_common(8):
            print(f"  {100 * count / total:5.1f}%  {path}")
    print("\nown time by library (generic standard-library leaves charged to their caller)")
    for name, count in areas.most_common():
        print(f"  {100 * count / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
