"""Content under load, as `make up` runs it, against a bare aiohttp app serving the same bytes.

The stack (bench/stack.py) runs with its defaults: logging, metrics, middleware and the
nginx gateway. The baseline is a bare aiohttp app (one process, `web.Response(body=...)`,
no middleware, no access log) behind a second nginx rendered from the same gateway
templates, so both go through the same proxy. wrk, 64 connections, interleaved rounds
(median), because the machine's load drifts; server CPU per request from /proc.

Figures: article JSON by slug, the latest list, the HTML article page, the home page, and
page-view beacons (answered 204 only after the broker confirmed them; the counter of the
stack consumes them, as in `make up`). Beacons all come from one address, so for that
figure the per-address limits are raised (the limit check still runs).

Run: `.venv/bin/python bench/content_http.py` (BENCH_DURATION=5s, BENCH_ROUNDS=3).
"""

# A local benchmark: local tools (wrk, python, nginx) against local URLs.
# ruff: noqa: S603, S310

import os
import re
import subprocess
import sys
import tempfile
import textwrap
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Result, publish, ratio_goal
from stack import ROOT, Stack, children, cpu_seconds, ensure_tool, free_port, named, wait_for

CONNECTIONS = 64
DURATION = os.environ.get("BENCH_DURATION", "5s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ARTICLES = int(os.environ.get("BENCH_ARTICLES", "200"))
BEACON = '{"path": "/articles/tin-moi", "referrer": "https://www.google.com/"}'
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"

# Serves, for each path, the bytes content answered for it, with the same content type.
BARE_APP = textwrap.dedent(
    """
    import json, sys
    from aiohttp import web
    pages = json.load(open(sys.argv[2]))
    async def handler(request):
        if request.method == "POST":
            await request.read()
            return web.Response(status=204)
        body, content_type = pages[request.path_qs]
        return web.Response(body=body.encode(), content_type=content_type, charset="utf-8")
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
    """
)
# Each connection waits this long between requests: 64 connections then offer about
# 2,000 requests/s, well under what either server can do, so p99 shows the service's own
# latency rather than the queue of a saturated machine.
THINK_MS = int(os.environ.get("BENCH_THINK_MS", "30"))
LUA_PACED = f"function delay()\n  return {THINK_MS}\nend\n"
LUA_BEACON = textwrap.dedent(
    f"""
    wrk.method = "POST"
    wrk.body = '{BEACON}'
    wrk.headers["Content-Type"] = "text/plain"
    wrk.headers["User-Agent"] = "{AGENT}"
    """
)


@dataclass(frozen=True)
class Run:
    rate: float  # requests per second
    p99_ms: float
    cpu_us: float  # server CPU per request (the server process only)
    pipeline_us: float  # CPU per request of every process that serves it (gateway, broker...)


def wrk(url: str, pids: list[int], script: str | None = None) -> Run:
    """wrk against `url`; CPU of pids[0] (the server) and of all `pids` (its pipeline)."""
    binary = ensure_tool("wrk")
    extra = ["-s", script] if script else []
    subprocess.run([binary, "-t1", f"-c{CONNECTIONS}", "-d1s", *extra, url], capture_output=True)
    before = [cpu_seconds(pid) for pid in pids]
    args = [binary, "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", *extra, url]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    spent = [cpu_seconds(pid) - start for pid, start in zip(pids, before, strict=True)]
    rate_match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total_match = re.search(r"(\d+) requests in", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    assert rate_match and total_match and p99, output
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if bad:
        print(f"  warning: {bad.group(1)} non-2xx answers from {url}", flush=True)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    total = int(total_match.group(1))
    rate = float(rate_match.group(1))
    return Run(rate, float(p99.group(1)) * scale, spent[0] / total * 1e6, sum(spent) / total * 1e6)


def seed(stack: Stack) -> str:
    body = "<p>" + "Nội dung bài viết về công tác dân vận ở cơ sở. " * 40 + "</p>"
    slug = ""
    for n in range(ARTICLES):
        draft = {
            "title": f"Đẩy mạnh công tác dân vận số {n}",
            "section": "dan-van" if n % 2 else "tin-tuc-su-kien",
            "lead": "Tóm tắt bài viết " * 5,
            "body": body,
            "tags": ["Dân vận", "Cơ sở"],
            "authors": ["Phóng viên"],
        }
        article = stack.call("POST", "/api/articles", draft)
        slug = stack.call("POST", f"/api/articles/{article['id']}/publish")["slug"]
    return str(slug)


def fetch(url: str) -> tuple[str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        content_type = response.headers.get_content_type()
        return response.read().decode(), content_type


def bare_gateway(
    state: Path, pages: dict[str, tuple[str, str]]
) -> tuple[int, list[subprocess.Popen[bytes]]]:
    """The bare app behind an nginx rendered like the stack's gateway; its gateway port."""
    import json

    state.mkdir(parents=True, exist_ok=True)
    (state / "pages.json").write_text(json.dumps(pages))
    app_port, gateway_port = free_port(), free_port()
    app = subprocess.Popen(
        [sys.executable, "-c", BARE_APP, str(app_port), str(state / "pages.json")],
        start_new_session=True,
    )
    wait_for(f"http://127.0.0.1:{app_port}{next(iter(pages))}", timeout=30)
    conf = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.render",
            str(state / "gateway"),
            str(gateway_port),
            f"127.0.0.1:{app_port}",
            f"127.0.0.1:{app_port}",
            f"127.0.0.1:{app_port}",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    nginx = subprocess.Popen(
        [ensure_tool("nginx"), "-c", conf, "-e", str(state / "gateway" / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(f"http://127.0.0.1:{gateway_port}/gateway/healthz")
    return gateway_port, [app, nginx]


def measure(
    stack: Stack, bare_port: int, bare_pid: int, bare_gateway_pid: int, paths: dict[str, str]
) -> dict[str, tuple[Run, Run]]:
    """For each figure: the median run of content and of the bare app, rounds interleaved."""
    runs: dict[str, tuple[list[Run], list[Run]]] = {name: ([], []) for name in paths}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LUA_BEACON)
    # The processes a request passes through: the server, the gateway's workers, and for a
    # beacon the broker, the counter and the database behind it.
    ours = [stack.pid("content"), *children(stack.pid("gateway"))]
    ours += [stack.pid("counter"), *named("beam.smp"), *named("ferretdb")]
    bare = [bare_pid, *children(bare_gateway_pid)]
    for _ in range(ROUNDS):
        for name, path in paths.items():
            script = lua.name if path == "/api/views" else None
            runs[name][0].append(wrk(stack.url(path), ours, script))
            runs[name][1].append(wrk(f"http://127.0.0.1:{bare_port}{path}", bare, script))
    os.unlink(lua.name)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as paced:
        paced.write(LUA_PACED)
    for name, path in paths.items():
        if "JSON" in name:
            runs[f"{name}, paced"] = (
                [wrk(stack.url(path), ours, paced.name)],
                [wrk(f"http://127.0.0.1:{bare_port}{path}", bare, paced.name)],
            )
    os.unlink(paced.name)

    def median(items: list[Run]) -> Run:
        return sorted(items, key=lambda run: run.rate)[len(items) // 2]

    return {name: (median(ours), median(bare)) for name, (ours, bare) in runs.items()}


def main() -> None:
    overrides = {"content": {"BEACON_BURST": "1000000000", "BEACONS_PER_MINUTE": "1000000000"}}
    with Stack.start(overrides) as stack:
        print(f"seeding {ARTICLES} articles", flush=True)
        slug = seed(stack)
        paths = {
            "article JSON by slug": f"/api/articles/{slug}",
            "latest list (JSON)": "/api/articles?limit=20",
            "HTML article page": f"/articles/{slug}",
            "home page (HTML)": "/",
            "beacon POST /api/views": "/api/views",
        }
        pages = {p: fetch(stack.url(p)) for p in paths.values() if p != "/api/views"}
        with tempfile.TemporaryDirectory() as state:
            bare_port, processes = bare_gateway(Path(state), pages)
            try:
                results = measure(stack, bare_port, processes[0].pid, processes[1].pid, paths)
            finally:
                for process in processes:
                    process.terminate()
                    process.wait(timeout=10)
    goals = {
        "article JSON by slug": 0.7,
        "latest list (JSON)": 0.7,
        "HTML article page": 0.5,
        "home page (HTML)": 0.5,
        "beacon POST /api/views": 0.6,
    }
    table: list[Result] = []
    for name, (ours, bare) in results.items():
        if name.endswith(", paced"):
            table.append(
                Result(
                    f"{name.removesuffix(', paced')}: p99, 64 connections at {THINK_MS} ms pace",
                    ours.p99_ms,
                    "ms",
                    bare.p99_ms,
                    "bare, same pace",
                    "≤ 10 ms",
                    ours.p99_ms <= 10,
                    f"{ours.rate:,.0f} req/s offered",
                )
            )
            continue
        baseline = (
            "bare aiohttp, same bytes, same gateway"
            if "beacon" not in name
            else "bare 204 handler, same gateway"
        )
        table.append(ratio_goal(name, ours.rate, "req/s", bare.rate, baseline, goals[name]))
        table.append(
            Result(f"{name}: server CPU per request", ours.cpu_us, "µs", bare.cpu_us, "bare")
        )
        if "beacon" in name:
            table.append(
                Result(
                    f"{name}: CPU per request, whole pipeline",
                    ours.pipeline_us,
                    "µs",
                    bare.pipeline_us,
                    "bare + its gateway",
                    note="content, gateway, RabbitMQ, counter, FerretDB",
                )
            )
        if "JSON" in name:
            table.append(
                Result(
                    f"{name}: p99, 64 connections flat out",
                    ours.p99_ms,
                    "ms",
                    bare.p99_ms,
                    "bare, flat out",
                    note="a saturated machine: the queue, not the service",
                )
            )
    publish(table)


if __name__ == "__main__":
    main()
