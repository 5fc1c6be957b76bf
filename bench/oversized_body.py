"""Probe: one anonymous request with a huge JSON body must not stall the server.

Starts `jiebang-api serve` on a throwaway SQLite database (loopback only), then sends
`POST /api/v1/auth/register` with a JSON object of 1,750,000 unknown keys (about 21.6 MB),
once with `Content-Length` and once chunked, while `/healthz` is probed every 10 ms. Reports
how long the refusal took, the slowest health probe, and the server's resident memory before
and after; exits 1 when the refusal is not a 413 within a second, a probe took 100 ms or more,
or memory grew by 50 MB or more.

    .venv/bin/python bench/oversized_body.py [--keys 1750000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

REGISTER = "/api/v1/auth/register"
CHUNK = 64 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _body(keys: int) -> bytes:
    return ("{" + ",".join(f'"k{n}":0' for n in range(keys)) + "}").encode()


async def _send(port: int, body: bytes, *, chunked: bool) -> tuple[int, float]:
    """Send the body over a raw connection (the server may answer and close before it is all
    sent); the status and the seconds until the answer's first line."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    writer.write(
        f"POST {REGISTER} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{framing}\r\nConnection: close\r\n\r\n".encode()
    )

    async def write_body() -> None:
        try:
            for start in range(0, len(body), CHUNK):
                piece = body[start : start + CHUNK]
                writer.write(b"%x\r\n%b\r\n" % (len(piece), piece) if chunked else piece)
                await writer.drain()
            if chunked:
                writer.write(b"0\r\n\r\n")
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # refused before it was all sent: as it should be

    sending = asyncio.create_task(write_body())
    status_line = await reader.readline()
    elapsed = time.perf_counter() - started
    sending.cancel()
    writer.close()
    return int(status_line.split()[1]), elapsed


async def _probe(http: httpx.AsyncClient, stop: asyncio.Event) -> AsyncIterator[float]:
    while not stop.is_set():
        started = time.perf_counter()
        response = await http.get("/healthz")
        response.raise_for_status()
        yield time.perf_counter() - started
        await asyncio.sleep(0.01)


async def _measure(port: int, pid: int, body: bytes) -> bool:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
        for _ in range(20):  # warm up
            await http.get("/healthz")
        idle = _rss_mib(pid)
        healthy = True
        for chunked in (False, True):
            stop, probes = asyncio.Event(), []

            async def collect(stop: asyncio.Event = stop, probes: list[float] = probes) -> None:
                async for seconds in _probe(http, stop):
                    probes.append(seconds)

            prober = asyncio.create_task(collect())
            await asyncio.sleep(0.05)
            status, elapsed = await _send(port, body, chunked=chunked)
            await asyncio.sleep(0.05)
            stop.set()
            await prober
            slowest = max(probes) * 1000
            grown = _rss_mib(pid) - idle
            framing = "chunked" if chunked else "content-length"
            print(
                f"{framing:>14}: {status} in {elapsed * 1000:.1f} ms; /healthz slowest of "
                f"{len(probes)}: {slowest:.1f} ms; RSS {idle:.0f} MiB idle, +{grown:.1f} MiB"
            )
            healthy &= status == 413 and elapsed < 1 and slowest < 100 and grown < 50
        return healthy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=1_750_000)
    args = parser.parse_args()
    body = _body(args.keys)
    print(f"body: {len(body) / 1e6:.1f} MB, {args.keys} unknown keys")
    port = _free_port()
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "JIEBANG_ENV": "dev",
            "JIEBANG_DATABASE_URL": f"sqlite+aiosqlite:///{scratch}/bench.db",
            "JIEBANG_STORAGE_DIR": f"{scratch}/files",
            "JIEBANG_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "jiebang_api", "serve", "--port", str(port)]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            healthy = asyncio.run(_measure(port, server.pid, body))
        finally:
            server.terminate()
            server.wait(timeout=10)
    print("ok" if healthy else "FAILED")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
