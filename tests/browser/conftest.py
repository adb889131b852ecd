"""Browser tests: the real server in a subprocess, driven by Debian's Chromium through Playwright.

The async Playwright API is used because the suite runs under pytest-asyncio with a
session-scoped event loop; the sync API refuses to run inside a running loop.

Offline tests stop their own server rather than rely on `context.set_offline(True)`, which does
not cut the service worker's own fetches (SECURITY.md gotcha 8): a stopped server fails every
request the page or the worker makes, with no experimental Playwright switch needed.

The browser uses http://localhost:<port>, the server's IPH_ORIGIN (a WebAuthn RP ID must be a
domain, never an IP address; the app's defaults to the origin's host), and the app's mail goes to
`mail_catcher`, a real SMTP server (aiosmtpd), where sign-in tests read their codes.

The app served is backend.app's, built with a clock tests may move and with a few test-only doors
(tests/browser/server_app.py; test_reviews.py moves the clock past a contact day).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
import pytest_asyncio
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BROWSER_TESTS_DIR = Path(__file__).resolve().parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A small Android phone: the width every page must fit (DESIGN.md).
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    # Accept-Language of a mainland-China phone, so the default locale is negotiated.
    "locale": "zh-CN",
}
# Generous: under `make test` three workers start servers at once on two loaded cores.
SERVER_START_TIMEOUT = 120.0
# backend.app's app with a clock a test may move and a few test-only doors (server_app.py).
SERVED_APP = "tests.browser.server_app:app"
MAIL_TIMEOUT = 10.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser is a browser test, whichever module it lives in."""
    for item in items:
        if BROWSER_TESTS_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """One `litestar run` process on 127.0.0.1 with its own var dir (SQLite, file stores).

    `stop()` and `start()` may be called from a test that needs the server gone (offline tests:
    SECURITY.md gotcha 8) and back again; the database under the var dir survives a restart.

    `host` is the name the browser uses (the origin, IPH_ORIGIN); the server always listens on
    127.0.0.1. `settings` adds IPH_* variables of the test's own (IPH_SMTP_URL, for one).
    """

    def __init__(
        self,
        var_dir: Path,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        settings: dict[str, str] | None = None,
    ) -> None:
        self.var_dir = var_dir
        self.port = port or _free_port()
        self.url = f"http://{host}:{self.port}"
        self.log_path = var_dir / "server.log"
        self.settings = dict(settings or {})
        self._process: subprocess.Popen[bytes] | None = None

    def _environ(self) -> dict[str, str]:
        # The embedded profile only: drop IPH_* a parent conftest or the shell may have set
        # (a PostgreSQL URL, Redis, another var dir).
        environ = {key: value for key, value in os.environ.items() if not key.startswith("IPH_")}
        environ.update(
            IPH_ENV="test",
            IPH_VAR_DIR=str(self.var_dir),
            IPH_HOST="127.0.0.1",
            IPH_PORT=str(self.port),
            IPH_ORIGIN=self.url,
            IPH_RATE_LIMIT_PER_MINUTE="100000",
            IPH_LOG_LEVEL="WARNING",
            PICCOLO_CONF="backend.piccolo_conf",
            PYTHONUNBUFFERED="1",
            # `iph setup` draws and indexes this many demo marks, not make run's 10,000 (200 s).
            IPH_DEMO_MARKS="200",
        )
        environ.update(self.settings)
        return environ

    def _litestar(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "litestar", "--app", SERVED_APP, *args]

    def setup(self) -> None:
        """Migrate and seed the database (`litestar iph setup`)."""
        self.cli("iph", "setup")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `litestar <args>` on this server's var dir (its database): setup, an import, …"""
        result = subprocess.run(
            self._litestar(*args),
            cwd=PROJECT_ROOT,
            env=self._environ(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"`litestar {' '.join(args)}` failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        log = self.log_path.open("ab")
        try:
            self._process = subprocess.Popen(
                self._litestar("run", "--host", "127.0.0.1", "--port", str(self.port)),
                cwd=PROJECT_ROOT,
                env=self._environ(),
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so stop() reaches any child it spawns and nothing else.
                start_new_session=True,
            )
        finally:
            log.close()
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"the server exited while starting:\n{self.log_tail()}")
            try:
                ready_url = f"http://127.0.0.1:{self.port}/readyz"
                with urllib.request.urlopen(ready_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"/readyz not ready after {SERVER_START_TIMEOUT} s:\n{self.log_tail()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no server log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class MailCatcher:
    """A real SMTP server on 127.0.0.1 (aiosmtpd, in its own thread) keeping what it receives."""

    def __init__(self) -> None:
        self.smtp_url = ""  # set once the server listens
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.received.append(([address.lower() for address in envelope.rcpt_tos], message))
        return "250 OK"

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [message for to, message in self.received if address.lower() in to]

    async def code_for(self, address: str, *, after: int = 0) -> str:
        """The 6-digit code in the newest message to `address` beyond the first `after` ones.

        The app sends the mail before it answers the request that asked for it, so the message is
        normally here already; the deadline only covers a slow SMTP hand-over.
        """
        deadline = time.monotonic() + MAIL_TIMEOUT
        while len(messages := self.messages_to(address)) <= after:
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {address} after {MAIL_TIMEOUT} s")
            await asyncio.sleep(0.05)
        body = messages[-1].get_body(preferencelist=("plain",))
        assert body is not None, messages[-1]
        match = re.search(r"(?<!\d)(\d{6})(?!\d)", body.get_content())
        assert match, body.get_content()
        return match.group(1)


# `iph setup` (migrations, the GI seed, demo records and marks) once per process, into a
# folder each server's var dir is copied from: it took a minute of a loaded machine per server.
_SET_UP_VAR_DIRS: dict[str, Path] = {}


def _set_up_var_dir(mail: MailCatcher) -> Path:
    if mail.smtp_url not in _SET_UP_VAR_DIRS:
        template = Path(tempfile.mkdtemp(prefix="iph-browser-template-"))
        atexit.register(shutil.rmtree, template, ignore_errors=True)
        LiveServer(template, host="localhost", settings={"IPH_SMTP_URL": mail.smtp_url}).setup()
        _SET_UP_VAR_DIRS[mail.smtp_url] = template
    return _SET_UP_VAR_DIRS[mail.smtp_url]


@contextlib.contextmanager
def _running_server(mail: MailCatcher) -> Iterator[LiveServer]:
    """A server on a var dir of its own, as `iph setup` leaves it (a copy: the CLI has exited,
    so the SQLite file holds everything, no WAL beside it)."""
    var_dir = Path(tempfile.mkdtemp(prefix="iph-browser-"))
    shutil.copytree(_set_up_var_dir(mail), var_dir, dirs_exist_ok=True)
    server = LiveServer(var_dir, host="localhost", settings={"IPH_SMTP_URL": mail.smtp_url})
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def chromium_executable() -> str:
    """Debian's Chromium (or IPH_CHROMIUM); checked before any server or browser starts."""
    path = os.environ.get("IPH_CHROMIUM") or DEFAULT_CHROMIUM
    if Path(path).is_file() and os.access(path, os.X_OK):
        return path
    reason = f"Chromium not found at {path}; install Debian's chromium or set IPH_CHROMIUM"
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def mail_catcher() -> Iterator[MailCatcher]:
    from aiosmtpd.controller import Controller

    catcher = MailCatcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=_free_port())
    controller.start()
    catcher.smtp_url = f"smtp://127.0.0.1:{controller.port}"
    yield catcher
    controller.stop()


@pytest.fixture(scope="session")
def live_server(mail_catcher: MailCatcher) -> Iterator[LiveServer]:
    """The app on a free port with a freshly set-up database, for the whole session."""
    with _running_server(mail_catcher) as server:
        yield server


@pytest.fixture
def private_server(mail_catcher: MailCatcher) -> Iterator[LiveServer]:
    """A server of the test's own, for tests that stop it (the others keep theirs)."""
    with _running_server(mail_catcher) as server:
        yield server


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as driver:
        yield driver


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(playwright: Playwright, chromium_executable: str) -> AsyncIterator[Browser]:
    browser = await playwright.chromium.launch(
        executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    await browser.close()


@pytest_asyncio.fixture(loop_scope="session")
async def context(browser: Browser, live_server: LiveServer) -> AsyncIterator[BrowserContext]:
    """A fresh (incognito) phone context: no cookies, no service worker from another test."""
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    yield context
    await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest_asyncio.fixture(loop_scope="session")
async def phone_profile(
    playwright: Playwright, chromium_executable: str, tmp_path: Path
) -> AsyncIterator[Callable[[LiveServer], Awaitable[BrowserContext]]]:
    """Opens persistent (non-incognito) phone profiles, each with a fresh user-data dir.

    Needed where Chromium treats incognito differently: installability always reports
    'in-incognito' there. Every profile opened is closed after the test.
    """
    opened: list[BrowserContext] = []

    async def open_profile(server: LiveServer) -> BrowserContext:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / f"profile-{len(opened)}",
            executable_path=chromium_executable,
            headless=True,
            args=CHROMIUM_ARGS,
            base_url=server.url,
            **PHONE,
        )
        opened.append(context)
        return context

    yield open_profile
    for context in opened:
        await context.close()


# Helpers shared by the test modules.


async def sign_in_with_code(page: Page, server: LiveServer, mail: MailCatcher, email: str) -> None:
    """Sign an existing account in with the e-mail code form of /signin; ends on /account.

    Only the mail sent after the button is pressed counts, so an account may sign in again.
    """
    await page.goto("/signin")
    await page.locator("#email").fill(email)
    sent_before = len(mail.messages_to(email))
    await page.get_by_role("button", name="发送验证码").click()
    await page.wait_for_url(server.url + "/signin/code")
    code = await mail.code_for(email, after=sent_before)
    await page.locator("#code").fill(code)
    await page.get_by_role("button", name="继续", exact=True).click()
    await page.wait_for_url(server.url + "/account")


async def expect_no_axe_violations(page: Page) -> None:
    results = await Axe().run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


async def expect_no_horizontal_scroll(page: Page) -> None:
    """The page fits the phone's width.

    On a mobile viewport Chromium widens the layout viewport (and innerWidth) to fit content that
    overflows, so `scrollWidth <= innerWidth` alone would pass on an overflowing page: innerWidth
    and clientWidth are pinned to the phone's width too.
    """
    width = PHONE["viewport"]["width"]
    widths = await page.evaluate(
        """() => ({
            scrollWidth: document.documentElement.scrollWidth,
            clientWidth: document.documentElement.clientWidth,
            innerWidth: window.innerWidth,
        })"""
    )
    assert widths["innerWidth"] == width, (page.url, widths)
    assert widths["clientWidth"] == width, (page.url, widths)
    assert widths["scrollWidth"] <= widths["innerWidth"], (page.url, widths)


DEMO_APPLICANT = "applicant@demo.iph.example"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def demo_applicant_state(
    browser: Browser, live_server: LiveServer, mail_catcher: MailCatcher
) -> dict:
    """The demo applicant's signed-in cookies, signed in once for the whole run.

    Code requests are limited per address (5 an hour), so the tests that only need to be signed
    in share this session rather than each asking for a code; none of them signs it out.
    """
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        page = await context.new_page()
        await sign_in_with_code(page, live_server, mail_catcher, DEMO_APPLICANT)
        return await context.storage_state()
    finally:
        await context.close()
