"""The stack `make up` runs, started for a benchmark: the three services with their default
settings (logging, metrics, middleware) and the nginx gateway from the same templates, on
their own ports, databases and exchange so a benchmark never touches the portal's data.

Only what `scripts/services.sh` sets differs from the services' defaults here, as there:
ports, PUBLIC_URL, NOTIFIER_URL, the gateway as the trusted proxy, random secrets. A
benchmark may override a setting, and then must say so in its figure's note.

    with Stack.start() as stack:
        stack.url("/api/articles")   # through the gateway
"""

# Local benchmark tooling: local processes, local URLs, throwaway secrets.
# ruff: noqa: S603, S607, S310

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("counter", "notifier", "content")
MONGO_URL = os.environ.get("MONGO_URL", "mongodb://127.0.0.1:27017/")
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {timeout}s")


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (of 1,000,000 bytes, as `ps` shows MiB/1.05)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmRSS for {pid}")


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(child) for child in found.split()]


def named(pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ensure_tool(name: str, package: str | None = None) -> str:
    found = shutil.which(name)
    if found:
        return found
    print(f"{name} is missing; installing it with apt-get", flush=True)
    subprocess.run(["apt-get", "install", "-y", package or name], check=True, capture_output=True)
    return shutil.which(name) or name


@dataclass
class Stack:
    run_id: str
    gateway_port: int
    ports: dict[str, int]
    editor_token: str
    admin_token: str
    signing_key: str
    overrides: dict[str, dict[str, str]]
    state: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # EDITOR_TOKEN only makes the first administrator: the benchmarks call the API with
    # `editor_token`, a script token stored as `python -m services.content tokens` would.
    bootstrap_token: str = field(default_factory=lambda: secrets.token_hex(24))

    @classmethod
    @contextmanager
    def start(cls, overrides: dict[str, dict[str, str]] | None = None) -> Iterator["Stack"]:
        """Start it, yield it, stop it and drop its databases and queues."""
        run_id = uuid.uuid4().hex[:8]
        state = ROOT / ".local" / "bench" / run_id
        stack = cls(
            run_id,
            free_port(),
            {name: free_port() for name in SERVICES},
            secrets.token_hex(24),
            secrets.token_hex(24),
            secrets.token_hex(32),
            overrides or {},
            state,
        )
        try:
            stack._start_services()
            stack._start_gateway()
            yield stack
        finally:
            stack.stop()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.gateway_port}{path}"

    def direct(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def database(self, service: str) -> str:
        return f"bench{self.run_id}_{service}"

    @property
    def exchange(self) -> str:
        return f"bench{self.run_id}.events"

    def env(self, service: str) -> dict[str, str]:
        public = f"http://localhost:{self.gateway_port}"
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("BENCH_")},
            "PUBLIC_URL": public,
            "PORTAL_URL": public,
            "HTTP_PORT": str(self.ports[service]),
            "NOTIFIER_URL": f"http://127.0.0.1:{self.ports['notifier']}",
            "TRUSTED_PROXIES": '["127.0.0.1/32"]',
            "TRUST_FORWARDED_FOR": "true",
            "EDITOR_TOKEN": self.bootstrap_token,
            "ADMIN_TOKEN": self.admin_token,
            "SIGNING_KEY": self.signing_key,  # one per stack: every replica checks the links
            "MONGO_DB": self.database(service),
            "EXCHANGE": self.exchange,
            **self.overrides.get(service, {}),
        }

    def _start_services(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        for name in SERVICES:
            log = (self.state / f"{name}.log").open("ab")
            # As scripts/services.sh: stdout to a file, so logging costs what it costs there.
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                cwd=ROOT,
                env=self.env(name),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        for name in SERVICES:
            wait_for(self.direct(name, "/readyz"))
        self._store_script_token()

    def _store_script_token(self) -> None:
        code = f"""
from datetime import UTC, datetime
from pymongo import MongoClient
from services.content.adapters.editors import token_hash
client = MongoClient({MONGO_URL!r})
client[{self.database("content")!r}]["editors"].insert_one({{
    "_id": token_hash({self.editor_token!r}), "ref": "bench", "name": "benchmark",
    "role": "admin", "created_at": datetime.now(UTC), "created_by": "bench/stack.py"}})
client.close()
"""
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)

    def _start_gateway(self) -> None:
        nginx = ensure_tool("nginx") if shutil.which("nginx") else "/usr/sbin/nginx"
        gateway_state = self.state / "gateway"
        conf = subprocess.run(
            [
                sys.executable,
                "-m",
                "gateway.render",
                str(gateway_state),
                str(self.gateway_port),
                *(f"127.0.0.1:{self.ports[name]}" for name in ("content", "counter", "notifier")),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        error_log = str(gateway_state / "error.log")
        self.processes["gateway"] = subprocess.Popen(
            [nginx, "-c", conf, "-e", error_log],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.url("/gateway/healthz"))

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url(path), data=data, method=method)
        request.add_header("Authorization", f"Bearer {token or self.editor_token}")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return json.loads(raw) if raw else None

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self._drop()

    def _drop(self) -> None:
        """Drop the run's databases and queues (best effort: a benchmark's leftovers must
        not slow the next one)."""
        code = f"""
import asyncio, aio_pika
from pymongo import AsyncMongoClient
async def main():
    client = AsyncMongoClient({MONGO_URL!r})
    for name in {[self.database(s) for s in SERVICES]!r}:
        await client.drop_database(name)
    await client.close()
    connection = await aio_pika.connect({AMQP_URL!r})
    channel = await connection.channel()
    queues = [f"{self.exchange}.{{s}}" for s in {list(SERVICES)!r}]
    queues.append(f"{self.exchange}.notifier.deliveries")  # the notifier's own jobs
    for queue in queues + [f"{{q}}.dead" for q in queues]:
        try:
            await channel.queue_delete(queue)
        except Exception:
            channel = await connection.channel()
    await connection.close()
asyncio.run(main())
"""
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
