"""The whole system: the three services started as real processes on the real servers."""

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.db import make_client
from tests.integration.conftest import delete_topology
from tests.support import AMQP_URL, MONGO_URL, SMTP_HOST, SMTP_PORT, eventually

ROOT = Path(__file__).resolve().parents[2]
EDITOR_TOKEN = "e2e-editor-token-0123456789"


@dataclass(frozen=True)
class System:
    content: str
    counter: str
    notifier: str
    exchange: str
    run: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def system_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    run = os.urandom(5).hex()
    ports = {name: free_port() for name in ("content", "counter", "notifier")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    common = {
        "AMQP_URL": AMQP_URL,
        "MONGO_URL": MONGO_URL,
        "EXCHANGE": f"e2e.{run}",
        "LOG_LEVEL": "INFO",
        "PATH": os.environ["PATH"],
    }
    specific = {
        "content": {"EDITOR_TOKEN": EDITOR_TOKEN, "COUNTER_PUBLIC_URL": urls["counter"]},
        "counter": {"STATS_MAX_AGE_SECONDS": "0"},  # every read sees the latest views
        "notifier": {
            "SIGNING_KEY": "e2e-signing-key-0123456789abcdef0123",
            "SMTP_HOST": SMTP_HOST,
            "SMTP_PORT": str(SMTP_PORT),
        },
    }
    logs = tmp_path_factory.mktemp("logs")
    processes = []
    for name in ("counter", "notifier", "content"):
        env = {
            **common,
            **specific[name],
            "HTTP_PORT": str(ports[name]),
            "MONGO_DB": f"e2e_{name}_{run}",
            "PUBLIC_URL": urls[name],
        }
        with (logs / f"{name}.log").open("w") as log:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", f"services.{name}"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    yield System(urls["content"], urls["counter"], urls["notifier"], common["EXCHANGE"], run)
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for name in ("content", "counter", "notifier"):
        sys.stdout.write(f"--- {name} log (last lines) ---\n")
        sys.stdout.write("".join((logs / f"{name}.log").read_text().splitlines(True)[-15:]))


@pytest.fixture(scope="module")
async def system(system_processes: System, http: aiohttp.ClientSession) -> AsyncIterator[System]:
    async def all_ready() -> bool:
        for url in (system_processes.content, system_processes.counter, system_processes.notifier):
            try:
                async with http.get(f"{url}/readyz") as response:
                    if response.status != 200:
                        return False
            except aiohttp.ClientError:
                return False
        return True

    await eventually(all_ready, timeout=60, what="the three services to be ready")
    yield system_processes
    connection = await aio_pika.connect(AMQP_URL)
    await delete_topology(connection, system_processes.exchange)
    await connection.close()
    mongo = make_client(MONGO_URL)
    for name in ("content", "counter", "notifier"):
        await mongo.drop_database(f"e2e_{name}_{system_processes.run}")
    await mongo.close()


async def handled(http: aiohttp.ClientSession, service_url: str, event_type: str) -> int:
    """How many events of a type the service has handled and acked, from its /metrics."""
    async with http.get(f"{service_url}/metrics") as response:
        text = await response.text()
    return sum(
        int(sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "portal_events_handled_total"
        and sample.labels["type"] == event_type
        and sample.labels["outcome"] == "ok"
    )
