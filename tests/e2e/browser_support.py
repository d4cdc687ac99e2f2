"""The portal behind its nginx gateway, as processes, and headless Debian Chromium to drive it.

Each test module gets its own exchange, databases and free ports; the gateway config is
rendered from gateway/portal.conf.template, the same one docker-compose uses.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    async_playwright,
    expect,
)

from gateway.render import write_local_config
from tests.e2e.conftest import BOOTSTRAP_TOKEN, SERVICES, drop_system, start_system
from tests.processes import ROOT, answers_ok, free_port, stop_all
from tests.staff_support import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.support import SMTP_HOST, SMTP_PORT, eventually

ARTIFACTS = ROOT / ".local" / "artifacts"  # git-ignored (.local/)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ADMIN_TOKEN = "browser-admin-token-0123456789"
# A desktop and a phone browser: their user agents make two visitors, and neither is a bot
# (headless Chromium's own agent says "HeadlessChrome", which the beacon counts as a bot).
DESKTOP_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36"
)


@dataclass(frozen=True)
class Portal:
    url: str  # the gateway: the one address a reader or editor uses
    services: dict[str, str]
    exchange: str
    run: str
    logs: Path


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        pytest.fail("nginx is missing: run scripts/infra.sh up (it installs Debian's nginx)")
    return found


@pytest.fixture(scope="module", name="portal_processes")
def portal_processes_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    run = os.urandom(5).hex()
    logs = tmp_path_factory.mktemp("portal")
    gateway_port = free_port()
    url = f"http://127.0.0.1:{gateway_port}"
    ports = {name: free_port() for name in SERVICES}
    specific = {
        "counter": {"STATS_MAX_AGE_SECONDS": "0"},
        "notifier": {
            "SIGNING_KEY": "browser-signing-key-0123456789abcdef0123",
            "SMTP_HOST": SMTP_HOST,
            "SMTP_PORT": str(SMTP_PORT),
            "TRUST_FORWARDED_FOR": "true",
        },
        "content": {
            "EDITOR_TOKEN": BOOTSTRAP_TOKEN,
            "TRUSTED_PROXIES": '["127.0.0.1/32"]',
            "NOTIFIER_URL": f"http://127.0.0.1:{ports['notifier']}",
        },
    }
    common = {"PUBLIC_URL": url, "ADMIN_TOKEN": ADMIN_TOKEN}
    processes = start_system("browser", run, ports, logs, specific, common)
    upstreams = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    config = write_local_config(
        logs / "gateway",
        gateway_port,
        upstreams["content"],
        upstreams["counter"],
        upstreams["notifier"],
    )
    with (logs / "gateway.log").open("w") as log:
        processes.append(
            subprocess.Popen(
                [nginx_binary(), "-c", str(config), "-e", str(logs / "gateway" / "error.log")],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    services = {name: f"http://{address}" for name, address in upstreams.items()}
    yield Portal(url, services, f"browser.{run}", run, logs)
    for process in processes:
        stop_all([process])  # one at a time; the gateway goes last
    for name in (*SERVICES, "gateway/error"):
        lines = (logs / f"{name}.log").read_text().splitlines(True)[-12:]
        sys.stdout.write(f"--- {name} log (last lines) ---\n{''.join(lines)}")


@pytest.fixture(scope="module", name="portal")
async def portal_fixture(
    portal_processes: Portal, http: aiohttp.ClientSession
) -> AsyncIterator[Portal]:
    waiting: list[str] = []

    async def ready() -> bool:
        probes = {name: f"{url}/readyz" for name, url in portal_processes.services.items()}
        probes["gateway"] = f"{portal_processes.url}/gateway/healthz"
        waiting[:] = [name for name, probe in probes.items() if not await answers_ok(http, probe)]
        return not waiting

    try:
        await eventually(ready, timeout=60, what="the three services and the gateway")
    except AssertionError:
        logs = portal_processes.logs
        tails = {
            name: (logs / f"{name}.log").read_text()[-1500:] for name in waiting if name in SERVICES
        }
        raise AssertionError(f"not ready after 60 s: {waiting}; log tails: {tails}") from None
    yield portal_processes
    await drop_system("browser", portal_processes.run)


@pytest.fixture(scope="module", name="browser")
async def browser_fixture() -> AsyncIterator[Browser]:
    """Debian's Chromium (never a browser playwright downloads)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/infra.sh up (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def new_context(
    browser: Browser, portal: Portal, agent: str = DESKTOP_AGENT, phone: bool = False
) -> BrowserContext:
    viewport = (
        ViewportSize(width=390, height=844) if phone else ViewportSize(width=1280, height=900)
    )
    context = await browser.new_context(
        base_url=portal.url, user_agent=agent, viewport=viewport, locale="vi-VN"
    )
    context.set_default_timeout(15_000)
    return context


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


async def sign_in(page: Page, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    """Sign in on the sign-in page, as a person does; the first time, the first
    administrator is made with EDITOR_TOKEN on the set-up page first."""
    await page.goto("/bien-tap/dang-nhap")
    made = await page.request.post(
        "/api/staff/setup",
        data={"token": BOOTSTRAP_TOKEN, "email": email, "name": "Quản trị", "password": password},
    )
    assert made.status in (201, 409), await made.text()
    await page.context.clear_cookies()  # signed in by the set-up: sign in again by the form
    await page.goto("/bien-tap/dang-nhap")
    await page.get_by_label("Email").first.fill(email)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/bien-tap")
    await expect(page.locator("#workspace")).to_be_visible()


async def fill_body_html(page: Page, html: str) -> None:
    """Type the body as HTML source (the rich editor's "Sửa mã HTML" mode)."""
    source = page.locator("#f-source")
    if await source.count() and not await source.is_checked():
        await source.check()
    await page.locator("#f-body").fill(html)
