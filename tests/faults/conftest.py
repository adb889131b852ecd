"""One scale-profile cluster for the fault tests (make test-faults), started once and stopped at
the end, whatever happened. Each test leaves it as it found it: every process up and ready."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.faults.cluster import PG_BIN, Cluster
from tests.faults.load import Browser

WEB_WORKERS = 2
logging.getLogger("httpx").setLevel(logging.WARNING)  # thousands of requests a test


def _missing() -> list[str]:
    wanted = [PG_BIN / "initdb", PG_BIN / "postgres"]
    missing = [str(path) for path in wanted if not path.exists()]
    return missing + [name for name in ("redis-server",) if shutil.which(name) is None]


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if missing := _missing():
        reason = f"fault tests need PostgreSQL 15 and Redis binaries: missing {missing}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with Cluster() as running:
        running.init_postgres()
        running.start_postgres()
        running.start_redis()
        running.seeded = running.prepare()
        running.start_web(WEB_WORKERS)
        running.start_worker()
        yield running


@pytest.fixture(autouse=True)
def every_process_up(cluster: Cluster) -> None:
    """A test that killed a web worker or the queue worker leaves it to the next to start."""
    for process in cluster.web:
        if not process.running:
            cluster.restart(process)
    if not cluster.worker.running:
        cluster.start_worker()


def live_urls(cluster: Cluster) -> list[str]:
    return [process.url for process in cluster.web if process.running] or [cluster.web[0].url]


@pytest.fixture
async def browser(cluster: Cluster) -> AsyncIterator[Browser]:
    """Someone's phone, not signed in, sending to whichever web worker is up."""
    phone = Browser(lambda: live_urls(cluster), cluster.var / "outbox")
    yield phone
    await phone.aclose()


@pytest.fixture
async def applicant(browser: Browser) -> Browser:
    await browser.sign_up()
    return browser
