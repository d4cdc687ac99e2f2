"""The compose stack as users run it, on this machine's Docker with local stand-in images.

`scripts/docker.sh up` installs Docker and compose and builds the stand-ins; a stack is the
real docker-compose.yml plus deploy/standins/compose.override.yml, which swaps only the
infrastructure images. Each stack has its own project name and host ports, and is taken
down with its volumes at the end.
"""

import asyncio
import os
import secrets
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.processes import ROOT

DOCKER_SH = ROOT / "scripts" / "docker.sh"
LOGS = ROOT / ".local" / "artifacts" / "deploy"
STANDIN_FILES = "docker-compose.yml:deploy/standins/compose.override.yml"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"


@dataclass
class Timings:
    """How long each step took, printed at the end of the run (the issue asks for them)."""

    steps: list[tuple[str, float]] = field(default_factory=list)

    def add(self, step: str, seconds: float) -> None:
        self.steps.append((step, seconds))

    def report(self) -> str:
        return "\n".join(f"  {seconds:7.1f} s  {step}" for step, seconds in self.steps)


TIMINGS = Timings()


@dataclass
class Stack:
    project: str
    port_prefix: str
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port_prefix}80"

    @property
    def mail_url(self) -> str:
        return f"http://127.0.0.1:{self.port_prefix}25"

    def compose(self, *args: str, timeout: float = 600, check: bool = True) -> str:
        """Run `docker compose ARGS` on this stack; its output goes to the stack's log."""
        return run(["docker", "compose", *args], self.env, self.project, timeout, check)

    def timed(self, step: str, *args: str, timeout: float = 600) -> str:
        started = time.monotonic()
        output = self.compose(*args, timeout=timeout)
        TIMINGS.add(f"{self.project}: {step}", time.monotonic() - started)
        return output

    def containers(self, service: str) -> list[str]:
        return self.compose("ps", "-q", service).split()

    def script(self, *command: str, timeout: float = 600) -> str:
        return run(["bash", *command], self.env, self.project, timeout, True)


def run(command: list[str], env: dict[str, str], log: str, timeout: float, check: bool) -> str:
    LOGS.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    with (LOGS / f"{log}.log").open("a") as out:
        out.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
    if check and done.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}"
        )
    return done.stdout


def stack_env(project: str, port_prefix: str, **extra: str) -> dict[str, str]:
    """What a user's .env would hold (fresh random secrets), and the two settings that let a
    stack run beside another one: its project name and its port prefix."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "COMPOSE_FILE": STANDIN_FILES,
        "COMPOSE_PROJECT_NAME": project,
        "PORT_PREFIX": port_prefix,
        "EDITOR_TOKEN": secrets.token_hex(16),
        "ADMIN_TOKEN": secrets.token_hex(16),
        "SIGNING_KEY": secrets.token_hex(32),
        **extra,
    }


@pytest.fixture(scope="session")
def docker_ready() -> Iterator[None]:
    """Docker, compose and the stand-in images (the second time: a second or two)."""
    started = time.monotonic()
    run(["bash", str(DOCKER_SH), "up"], dict(os.environ), "docker-setup", 1800, True)
    TIMINGS.add(
        "scripts/docker.sh up (Docker, compose, stand-in images)", time.monotonic() - started
    )
    yield
    print(f"\nDeploy timings:\n{TIMINGS.report()}\nLogs: {LOGS}")


@dataclass
class Load:
    """A stream of requests through the gateway, recording every answer."""

    url: str
    path: str
    method: str = "GET"
    body: str | None = None
    headers: dict[str, str] = field(default_factory=lambda: {"User-Agent": BROWSER})
    statuses: dict[int | str, int] = field(default_factory=dict)
    slow: int = 0  # answers that took over a second
    accepted_at: list[float] = field(default_factory=list)

    async def run(self, http: aiohttp.ClientSession, stop: asyncio.Event, workers: int) -> None:
        await asyncio.gather(*(self._worker(http, stop) for _ in range(workers)))

    async def _worker(self, http: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        while not stop.is_set():
            started = time.monotonic()
            try:
                async with http.request(
                    self.method,
                    f"{self.url}{self.path}",
                    data=self.body,
                    headers=self.headers,
                    timeout=timeout,
                ) as answer:
                    await answer.read()
                    status: int | str = answer.status
            except (aiohttp.ClientError, TimeoutError) as error:
                status = type(error).__name__
            elapsed = time.monotonic() - started
            self.slow += elapsed > 1.0
            if status in (200, 204):
                self.accepted_at.append(started)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def count(self, status: int) -> int:
        return self.statuses.get(status, 0)

    def failed(self) -> dict[Any, int]:
        return {status: n for status, n in self.statuses.items() if status not in (200, 204)}


def write_timings(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TIMINGS.report() + "\n")


# Each counter replica serves figures at most STATS_MAX_AGE_SECONDS (1 s) old, and the
# gateway spreads reads over the replicas: right after a test's last fold, one replica may
# still show the figure from before it. A test's starting figure is the highest one read
# once it has stayed the same for longer than that age.
SETTLED_SECONDS = 1.5


async def settled(read: Callable[[], Awaitable[int]], timeout: float = 60.0) -> int:
    """The figure `read` gives once every replica shows it (polled, with a deadline)."""
    highest, changed_at = await read(), time.monotonic()
    deadline = changed_at + timeout
    while time.monotonic() - changed_at < SETTLED_SECONDS:
        assert time.monotonic() < deadline, f"the figure kept changing for {timeout} s"
        await asyncio.sleep(0.1)
        found = await read()
        if found > highest:
            highest, changed_at = found, time.monotonic()
    return highest
