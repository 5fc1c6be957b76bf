"""Real `jiebang-api` processes for the tests that need them (the process lifecycle, the
cluster): free loopback ports, an environment holding only the settings a test gives, `serve`
and `worker` started and awaited, stopped by a signal. Every wait is bounded; output goes to
a log file per process, which a failing assertion can quote."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
STARTUP_SECONDS = 90.0
STOP_SECONDS = 60.0
_started: list[Service] = []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(database_url: str, storage: Path, **settings: str) -> dict[str, str]:
    """The process environment: this one without any `JIEBANG_*`, then the test's settings
    (`database_url` and the like, named as `Settings` fields)."""
    environ = {k: v for k, v in os.environ.items() if not k.upper().startswith("JIEBANG_")}
    environ.update(
        {
            "JIEBANG_ENV": "test",
            "JIEBANG_DATABASE_URL": database_url,
            "JIEBANG_MIGRATIONS_DIR": str(MIGRATIONS),
            "JIEBANG_STORAGE_DIR": str(storage),
            "JIEBANG_LOG_LEVEL": "WARNING",
        }
    )
    environ.update({f"JIEBANG_{name.upper()}": value for name, value in settings.items()})
    return environ


@dataclass
class Service:
    """A started process: its name, log file and, for `serve`, its base URL."""

    name: str
    process: asyncio.subprocess.Process
    log: Path
    base_url: str = ""

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def tail(self, characters: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""

    def send(self, signum: int) -> None:
        if self.running:
            self.process.send_signal(signum)

    async def stop(self, signum: int = signal.SIGTERM, *, within: float = STOP_SECONDS) -> int:
        """Send `signum` and wait for the exit (SIGKILL past `within` seconds); the exit
        status."""
        self.send(signum)
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(
                f"{self.name} did not stop in {within} s:\n{self.tail()}"
            ) from None


def _log_file(logs: Path, name: str) -> Path:
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"{name}.log"


async def _spawn(name: str, arguments: list[str], environ: dict[str, str], logs: Path) -> Service:
    log = _log_file(logs, name)
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "jiebang_api",
            *arguments,
            env=environ,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    service = Service(name, process, log)
    _started.append(service)
    return service


async def reap() -> list[str]:
    """Kill every process started here that still runs (a test that failed half-way left
    it); the names of those killed."""
    killed = []
    while _started:
        service = _started.pop()
        if service.running:
            service.process.kill()
            await service.process.wait()
            killed.append(service.name)
    return killed


async def start_api(
    name: str, environ: dict[str, str], logs: Path, *, migrate: bool = False
) -> Service:
    """`jiebang-api serve` on a free loopback port (migrating first only if `migrate`)."""
    port = free_port()
    arguments = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    service = await _spawn(
        name, [*arguments, *([] if migrate else ["--no-migrate"])], environ, logs
    )
    service.base_url = f"http://127.0.0.1:{port}"
    return service


async def wait_ready(service: Service, *, within: float = STARTUP_SECONDS) -> None:
    """Until the process answers `/readyz` with 200 (its database at head)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient(base_url=service.base_url, timeout=5, trust_env=False) as http:
        while loop.time() < deadline:
            assert service.running, f"{service.name} exited:\n{service.tail()}"
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"{service.name} not ready in {within} s:\n{service.tail()}")


async def start_worker(
    name: str, environ: dict[str, str], logs: Path, *, interval: float = 1.0
) -> Service:
    """`jiebang-api worker`, ticking every `interval` seconds."""
    return await _spawn(name, ["worker", "--interval", str(interval)], environ, logs)
