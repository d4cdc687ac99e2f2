"""Services as real processes on free ports: start them, wait for /readyz, stop them."""

import signal
import socket
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Self

import aiohttp

from tests.support import eventually

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_service(
    name: str, env: dict[str, str], log: Path, mode: str = "w"
) -> subprocess.Popen[bytes]:
    """`python -m services.<name>` from the repository root, its output into `log`."""
    with log.open(mode) as out:
        return subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_all(processes: Iterable[subprocess.Popen[bytes]], timeout: float = 30) -> None:
    """SIGTERM every process first (they shut down side by side), then wait; kill laggards."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def answers_ok(http: aiohttp.ClientSession, url: str) -> bool:
    """True if `url` answers 200; False if it answers otherwise or not at all (yet)."""
    try:
        async with http.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def wait_ready(
    http: aiohttp.ClientSession, *urls: str, timeout: float = 30, what: str = "the services"
) -> None:
    """Poll each service's /readyz until all of them answer 200."""

    async def ready() -> bool:
        for url in urls:
            if not await answers_ok(http, f"{url}/readyz"):
                return False
        return True

    await eventually(ready, timeout=timeout, what=what)


@dataclass
class ServiceProcess:
    """One service replica as a process; `env` must hold its HTTP_PORT."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    STOP_SECONDS: ClassVar[float] = 30

    @classmethod
    def launch(cls, name: str, env: dict[str, str], log: Path, mode: str = "w") -> Self:
        process = start_service(name, env, log, mode)
        return cls(process, f"http://127.0.0.1:{env['HTTP_PORT']}", log)

    def kill(self) -> None:
        """kill -9: no flush, no ack, no goodbye."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_all([self.process], self.STOP_SECONDS)
