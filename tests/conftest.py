"""Test set-up: the environment is fixed before the app is imported.

The default run uses SQLite and file stores in a temporary folder. With IPH_TEST_DATABASE_URL
and IPH_TEST_REDIS_URL set (make test's second run, `-m profiles`), the same database/store
tests run on a fresh PostgreSQL database and a private Redis key namespace, both removed after.

Every pytest process makes its own of each (VAR_DIR, RUN_ID, SMTP port, database, namespace) when
it imports this module: a serial run's one process, and under pytest-xdist (`make test`) each
worker and the controller, which runs no test; each removes its own in pytest_unconfigure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

RUN_ID = secrets.token_hex(4)
VAR_DIR = tempfile.mkdtemp(prefix="iph-test-")
TEST_POSTGRES_URL = os.environ.get("IPH_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("IPH_TEST_REDIS_URL", "")


def _database_url_named(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _postgres(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SMTP_PORT = _free_port()
os.environ.update(
    {
        "IPH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
        "IPH_VAR_DIR": VAR_DIR,
        "IPH_ORIGIN": "http://testserver.local",
        "IPH_RATE_LIMIT_PER_MINUTE": "100000",
        "IPH_LOG_LEVEL": "INFO",
        # Web Push tests deliver to a push service of their own on 127.0.0.1.
        "IPH_PUSH_SERVICES": "http://127.0.0.1",
    }
)
PG_DATABASE = f"iph_test_{RUN_ID}"
if TEST_POSTGRES_URL:
    asyncio.run(_postgres(TEST_POSTGRES_URL, f'CREATE DATABASE "{PG_DATABASE}"'))
    os.environ["IPH_DATABASE_URL"] = _database_url_named(TEST_POSTGRES_URL, PG_DATABASE)
if TEST_REDIS_URL:
    os.environ["IPH_REDIS_URL"] = TEST_REDIS_URL
    os.environ["IPH_STORE_NAMESPACE"] = f"iphtest{RUN_ID}"
if TEST_POSTGRES_URL or TEST_REDIS_URL:
    # The scale profile signs e-certificates with a key the operator configures: make one, as
    # an operator would, for this run.
    from backend.certificates.signing import _self_signed_key

    _office = _self_signed_key(Path(VAR_DIR) / "office-key")
    os.environ["IPH_SIGNING_KEY_FILE"] = str(_office.key_file)
    os.environ["IPH_SIGNING_CERT_FILE"] = str(_office.cert_file)

# Only now: the app module builds its engine and stores from the environment above.
import httpx  # noqa: E402
from litestar import Litestar  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.core import database  # noqa: E402
from backend.settings import Settings  # noqa: E402
from tests.people import Person  # noqa: E402

PROFILE = "postgresql+redis" if TEST_POSTGRES_URL else "sqlite+file"


async def _clean_up_services() -> None:
    if TEST_POSTGRES_URL:
        await _postgres(TEST_POSTGRES_URL, f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    if TEST_REDIS_URL:
        from redis.asyncio import Redis

        client = Redis.from_url(TEST_REDIS_URL)
        # The job queue's keys begin with "saq:" (backend/core/jobs.py).
        for pattern in (f"iphtest{RUN_ID}*", f"saq:*iphtest{RUN_ID}*"):
            async for key in client.scan_iter(match=pattern):
                await client.delete(key)
        await client.aclose()


class Mailbox:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def last_to(self, address: str) -> EmailMessage:
        found = [m for m in self.messages if m["To"] == address]
        assert found, f"no mail to {address}"
        return found[-1]


@pytest.fixture(scope="session", autouse=True)
def mailbox() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="session", autouse=True)
def migrated_database() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = asyncio.run(run_forwards(app_name="all"))
    assert result.success, result.message


def pytest_unconfigure(config: pytest.Config) -> None:
    """Last of all, in every process that imported this module (an xdist controller too)."""
    asyncio.run(_clean_up_services())
    shutil.rmtree(VAR_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="session", autouse=True)
async def job_worker(app: Litestar) -> AsyncIterator[None]:
    """With Redis, the app's queue worker runs beside it, as deployed, and sends queued pushes.

    It runs no periodic jobs: tests/core/test_jobs.py runs those with workers of its own.
    """
    if app.state.jobs is None:
        yield
        return
    from backend.core.jobs import JobWorker

    tasks = [*app.state.notify.job_tasks(), *app.state.job_tasks]
    worker = JobWorker(app.state.jobs, (), tasks, signals=False)
    running = asyncio.create_task(worker.run())
    yield
    await worker.stop()
    await running


BASE_URL = "http://testserver.local"


def client_of(app: Litestar) -> httpx.AsyncClient:
    # Each client its own address, as different people are: per-client limits stay apart.
    address = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL)


@asynccontextmanager
async def serve(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` running in the test's own event loop, start-up and shutdown included.

    (Litestar's AsyncTestClient runs the lifespan in another thread's loop, which would leave the
    PostgreSQL pool and the Redis client bound to a loop the test cannot use.) A second client
    of an app that is already running shares its lifespan, as a second browser would.
    """
    if app.state.get("test_clients", 0):
        app.state.test_clients += 1
        try:
            async with client_of(app) as test_client:
                yield test_client
        finally:
            app.state.test_clients -= 1
        return
    started, stopping = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        # Entered and left in this one task: anyio's cancel scopes require it.
        async with app.lifespan():
            started.set()
            await stopping.wait()

    lifespan = asyncio.create_task(run_lifespan())
    await asyncio.wait(
        {lifespan, asyncio.ensure_future(started.wait())}, return_when=asyncio.FIRST_COMPLETED
    )
    if lifespan.done():
        lifespan.result()  # start-up failed: raise its error here
    app.state.test_clients = 1
    try:
        async with client_of(app) as test_client:
            yield test_client
    finally:
        app.state.test_clients = 0
        stopping.set()
        await lifespan


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as test_client:
        yield test_client


@pytest.fixture
def make_app(app: Litestar) -> Iterator[Callable[..., Litestar]]:
    """Build another app with some settings changed. What create_app binds for the whole process
    is the shared app's again after: the tables' engine (and with it what the app does after a
    commit, such as forgetting the disclosure in its own page store)."""
    import msgspec

    def build(**changes: object) -> Litestar:
        return create_app(msgspec.structs.replace(app.state.settings, **changes))

    yield build
    database.bind_tables(app.state.engine)


@pytest.fixture
async def person(app: Litestar, mailbox: Mailbox) -> AsyncIterator[Person]:
    """Someone with a browser and an authenticator, not signed up yet."""
    async with serve(app) as browser:
        yield Person(browser, mailbox)


@pytest.fixture
async def registered(person: Person) -> Person:
    """Signed up, with one passkey, then signed out."""
    await person.sign_up()
    assert (await person.add_passkey()).status_code == 201
    await person.sign_out()
    return person
