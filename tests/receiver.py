"""A webhook receiver for tests: a minimal HTTP/1.1 server on 127.0.0.1 in the test's own
event loop, which records every request and answers each path from a script; it can hold a
path's next request unanswered (a slow receiver, while its sender is stopped or killed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes]:
    """One HTTP/1.1 request: its method, path, headers (names in lower case) and body."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode("latin-1").split("\r\n")
    method, path = lines[0].split(" ")[:2]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", "0"))), 5)
    return method, path, headers, body


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A minimal HTTP/1.1 server on 127.0.0.1: records each request and answers from the
    script of its path (`(status, headers)` in order; 200 once the script is used up)."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    scripts: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    # Paths whose next request is held unanswered until `release` is set (a slow receiver,
    # while its sender is killed).
    hold: set[str] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _, path, headers, body = await read_request(reader)
            self.requests.append(Received(path, headers, body))
            if path in self.hold:
                self.hold.discard(path)
                await asyncio.wait_for(self.release.wait(), 30)
            script = self.scripts.get(path, [])
            status, extra = script.pop(0) if script else (200, {})
            extra_lines = "".join(f"{k}: {v}\r\n" for k, v in extra.items())
            writer.write(
                f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n"
                f"{extra_lines}\r\n".encode()
            )
            await writer.drain()
        finally:
            writer.close()


@asynccontextmanager
async def serving() -> AsyncIterator[Receiver]:
    """A receiver listening on a free loopback port until the block ends."""
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    async with server:
        yield receiver
        receiver.release.set()
        server.close()
