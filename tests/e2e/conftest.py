"""The whole system: the three services started as real processes on the real servers."""

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.platform.db import make_client
from tests.integration.conftest import delete_topology
from tests.processes import free_port, start_service, stop_all, wait_ready
from tests.staff_support import register_script_token
from tests.support import AMQP_URL, MONGO_URL, SMTP_HOST, SMTP_PORT

# EDITOR_TOKEN only makes the first administrator; the tests' API calls use a script token
# stored for the content database as an operator's `tokens create` would store it.
BOOTSTRAP_TOKEN = "e2e-bootstrap-token-0123456789"
EDITOR_TOKEN = "e2e-editor-script-token-0123456789"
ADMIN_TOKEN = "e2e-admin-token-0123456789"
SERVICES = ("counter", "notifier", "content")


@dataclass(frozen=True)
class System:
    content: str
    counter: str
    notifier: str
    exchange: str
    run: str


def start_system(
    prefix: str,
    run: str,
    ports: dict[str, int],
    logs: Path,
    specific: dict[str, dict[str, str]],
    common: dict[str, str] | None = None,
) -> list[subprocess.Popen[bytes]]:
    """Start each service of `specific` (in its order) on its port, all on the exchange
    `<prefix>.<run>`, each with its own database `<prefix>_<name>_<run>`."""
    base = {
        "AMQP_URL": AMQP_URL,
        "MONGO_URL": MONGO_URL,
        "EXCHANGE": f"{prefix}.{run}",
        "LOG_LEVEL": "INFO",
        "PATH": os.environ["PATH"],
        **(common or {}),
    }
    if "content" in specific:
        register_script_token(f"{prefix}_content_{run}", EDITOR_TOKEN)
    return [
        start_service(
            name,
            {**base, **extra, "HTTP_PORT": str(ports[name]), "MONGO_DB": f"{prefix}_{name}_{run}"},
            logs / f"{name}.log",
        )
        for name, extra in specific.items()
    ]


async def drop_system(prefix: str, run: str) -> None:
    """Remove what `start_system` made on the broker and in the database server."""
    connection = await aio_pika.connect(AMQP_URL)
    await delete_topology(connection, f"{prefix}.{run}")
    await connection.close()
    mongo = make_client(MONGO_URL)
    for name in SERVICES:
        await mongo.drop_database(f"{prefix}_{name}_{run}")
    await mongo.close()


@pytest.fixture(scope="module")
def system_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    run = os.urandom(5).hex()
    ports = {name: free_port() for name in ("content", "counter", "notifier")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    specific = {
        "counter": {"STATS_MAX_AGE_SECONDS": "0"},  # every read sees the latest views
        "notifier": {
            "SIGNING_KEY": "e2e-signing-key-0123456789abcdef0123",
            "SMTP_HOST": SMTP_HOST,
            "SMTP_PORT": str(SMTP_PORT),
            "ADMIN_TOKEN": ADMIN_TOKEN,
        },
        "content": {
            "EDITOR_TOKEN": BOOTSTRAP_TOKEN,
            # The editor page's delivery counts are asked of the notifier with its token.
            "NOTIFIER_URL": urls["notifier"],
            "ADMIN_TOKEN": ADMIN_TOKEN,
        },
    }
    for name, extra in specific.items():
        extra["PUBLIC_URL"] = urls[name]
    logs = tmp_path_factory.mktemp("logs")
    processes = start_system("e2e", run, ports, logs, specific)
    yield System(urls["content"], urls["counter"], urls["notifier"], f"e2e.{run}", run)
    stop_all(processes)
    for name in ("content", "counter", "notifier"):
        sys.stdout.write(f"--- {name} log (last lines) ---\n")
        sys.stdout.write("".join((logs / f"{name}.log").read_text().splitlines(True)[-15:]))


@pytest.fixture(scope="module")
async def system(system_processes: System, http: aiohttp.ClientSession) -> AsyncIterator[System]:
    services = (system_processes.content, system_processes.counter, system_processes.notifier)
    await wait_ready(http, *services, timeout=60, what="the three services to be ready")
    yield system_processes
    await drop_system("e2e", system_processes.run)


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
