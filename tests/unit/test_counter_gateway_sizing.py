"""The gateway holds 10,000 live widget streams, two connections each: its workers' sizing in
the local run (rendered by gateway/render.py) and in docker-compose, and the files the
gateway and counter containers may open."""

import re
import resource
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway import render

ROOT = Path(__file__).resolve().parents[2]
STREAMS = 10_000
# A stream holds the client's connection and the counter's in one worker, and a worker may
# get most of them.
CONNECTIONS_PER_WORKER = 2 * STREAMS


def directive(config: str, name: str) -> int:
    found = re.findall(rf"^\s*(?:events\s*\{{\s*)?{name}\s+(\d+)\s*;", config, re.MULTILINE)
    assert len(found) == 1, f"{name}: {found}"
    return int(found[0])


def rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hard: int) -> str:
    monkeypatch.setattr(resource, "getrlimit", lambda _: (1024, hard))
    conf = render.write_local_config(tmp_path, 8080, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3")
    return conf.read_text()


def test_the_local_gateway_holds_every_stream_in_one_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = rendered(tmp_path, monkeypatch, hard=1 << 20)
    connections = directive(config, "worker_connections")
    assert connections > CONNECTIONS_PER_WORKER
    assert directive(config, "worker_rlimit_nofile") > connections


def test_the_local_gateway_asks_for_no_more_files_than_it_may_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a low hard limit nginx would fail to raise its own and warn at every start;
    the workers then share the streams (reuseport spreads connections evenly)."""
    config = rendered(tmp_path, monkeypatch, hard=20_000)
    assert directive(config, "worker_rlimit_nofile") == 20_000
    assert directive(config, "worker_connections") < 20_000
    processes = directive(config, "worker_processes")
    assert processes * directive(config, "worker_connections") > CONNECTIONS_PER_WORKER
    assert re.search(r"listen \S+ reuseport;", (tmp_path / "portal.conf").read_text())


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    found: dict[str, Any] = compose["services"]
    return found


def test_the_compose_gateway_is_sized_like_the_local_one(services: dict[str, Any]) -> None:
    gateway = services["gateway"]
    mounted = {volume.split(":")[1] for volume in gateway["volumes"]}
    # The image renders its templates into /etc/nginx: the main file is ours, sized.
    assert "/etc/nginx/templates/nginx.conf.template" in mounted
    env = gateway["environment"]
    assert env["NGINX_ENVSUBST_OUTPUT_DIR"] == "/etc/nginx"
    template = (ROOT / "gateway" / "nginx.conf.template").read_text()
    assert render.template_variables(template) <= set(env)
    assert "include /etc/nginx/portal.conf;" in template
    connections, nofile = int(env["GATEWAY_WORKER_CONNECTIONS"]), int(env["GATEWAY_WORKER_NOFILE"])
    assert nofile > connections
    # Two workers at least (one per CPU), sharing the connections evenly through reuseport.
    assert "reuseport" in env["GATEWAY_LISTEN"]
    assert 2 * connections > CONNECTIONS_PER_WORKER
    assert gateway["ulimits"]["nofile"]["hard"] >= nofile
    assert render.WORKER_CONNECTIONS > CONNECTIONS_PER_WORKER
    assert render.WORKER_NOFILE > render.WORKER_CONNECTIONS


@pytest.mark.parametrize(("name", "least"), [("gateway", STREAMS), ("counter", STREAMS)])
def test_the_containers_may_open_a_file_per_connection(
    services: dict[str, Any], name: str, least: int
) -> None:
    nofile = services[name]["ulimits"]["nofile"]
    assert nofile["soft"] >= least and nofile["hard"] >= least


def test_the_stream_is_passed_on_unbuffered_without_the_client_s_headers() -> None:
    template = (ROOT / "gateway" / "portal.conf.template").read_text()
    block = re.search(r"location = /api/stats/stream \{(.*?)\}", template, re.DOTALL)
    assert block is not None
    body = block[1]
    for line in ("proxy_buffering off;", "proxy_pass_request_headers off;", "gzip off;"):
        assert line in body
