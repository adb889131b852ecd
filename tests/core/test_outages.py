"""PostgreSQL or Redis away: a 503 in the person's language (JSON for the API and our scripts'
JSON calls) with Retry-After, never a 500 or a hang; reading pages need no Redis.

"Away" is a port nobody listens on (refused at once) or a black hole: a socket that takes
connections and never answers, as a frozen server or a dead link does. Without the connect and
command timeouts (core/database.py, core/stores.py) a request to the black hole would wait a
minute (asyncpg's default) or for ever (redis-py's); the bound below only tells that from the
timeouts' seconds.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis.exceptions

from backend.core.errors import is_outage
from backend.inquiries.importer import import_file
from backend.reviews import published, service
from backend.reviews.rules import Clocks, Level, ReviewForm
from backend.reviews.tables import Review
from tests.conftest import PROFILE, TEST_POSTGRES_URL, _free_port, serve
from tests.inquiries.test_records import new_patent_number, record_line, write_lines
from tests.people import csrf_token_of
from tests.reviews.people import an_account

HANG = 15  # seconds: far above the timeouts' (1-5 s), far below asyncpg's 60 s default
UNAVAILABLE = {
    "zh_Hans": "服务暂时不可用",
    "zh_Hant": "服務暫時不可用",
    "en": "Service temporarily unavailable",
}


@contextmanager
def black_hole() -> Iterator[int]:
    """A loopback port whose kernel completes every connection and nobody ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def refused_port() -> int:
    return _free_port()  # bound and closed again: nothing listens there


async def get(client: httpx.AsyncClient, url: str, **options) -> httpx.Response:
    async with asyncio.timeout(HANG):
        return await client.get(url, **options)


async def post_code_request(client: httpx.AsyncClient) -> httpx.Response:
    """The sign-in form's "e-mail me a code", as a browser sends it."""
    token = await csrf_token_of(client)
    async with asyncio.timeout(HANG):
        return await client.post(
            "/signin/code",
            data={"email": "someone@example.test", "next": "/account", "_csrf_token": token},
        )


def assert_unavailable_page(response: httpx.Response, locale: str = "zh_Hans") -> None:
    assert response.status_code == 503, response.text[:300]
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("text/html")
    assert UNAVAILABLE[locale] in response.text


def test_an_outage_is_told_by_the_error_or_by_what_led_to_it() -> None:
    assert is_outage(ConnectionRefusedError(111, "Connect call failed"))
    assert is_outage(asyncpg.CannotConnectNowError("the database system is starting up"))
    assert is_outage(redis.exceptions.TimeoutError("Timeout reading from socket"))
    try:
        try:
            raise redis.exceptions.ConnectionError("Connection closed by server.")
        except redis.exceptions.ConnectionError as error:
            raise RuntimeError("could not load the session") from error
    except RuntimeError as wrapped:
        assert is_outage(wrapped)
    assert is_outage(ExceptionGroup("jobs", [ValueError(), asyncpg.AdminShutdownError("bye")]))
    assert is_outage(
        asyncpg.InterfaceError(
            "cannot call Connection.fetch(): connection has been released back to the pool"
        )
    )
    assert not is_outage(asyncpg.InterfaceError("another operation is in progress"))
    assert not is_outage(ValueError("a bug of ours"))
    assert not is_outage(asyncpg.UniqueViolationError("duplicate key"))
    assert not is_outage(FileNotFoundError("var/missing"))


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
async def test_a_page_answers_503_in_the_persons_language_when_postgresql_refuses(
    make_app, locale: str
) -> None:
    broken = make_app(database_url=f"postgresql://postgres@127.0.0.1:{refused_port()}/test")
    async with serve(broken) as client:
        client.cookies.set("iph_locale", locale)
        response = await get(client, "/guides")
    assert_unavailable_page(response, locale)


async def test_the_api_answers_503_in_json_when_postgresql_refuses(make_app) -> None:
    broken = make_app(database_url=f"postgresql://postgres@127.0.0.1:{refused_port()}/test")
    async with serve(broken) as client:
        response = await get(client, "/api/v1/records/201710601862.3")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert (body["status"], body["title"]) == (503, UNAVAILABLE["zh_Hans"])
    assert body["request_id"] == response.headers["x-request-id"]


async def test_a_postgresql_that_never_answers_costs_a_request_seconds_not_a_hang(
    make_app,
) -> None:
    with black_hole() as port:
        broken = make_app(database_url=f"postgresql://postgres@127.0.0.1:{port}/test")
        async with serve(broken) as client:
            response = await get(client, "/guides")
            ready = await get(client, "/readyz")
    assert_unavailable_page(response)
    assert ready.status_code == 503


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
async def test_signing_in_with_redis_down_says_the_service_is_temporarily_unavailable(
    make_app, settings, locale: str
) -> None:
    broken = make_app(redis_url=f"redis://127.0.0.1:{refused_port()}/0")
    async with serve(broken) as client:
        client.cookies.set("iph_locale", locale)
        form = await get(client, "/signin")
        response = await post_code_request(client)
    assert form.status_code == 200  # the form itself needs no store
    assert_unavailable_page(response, locale)


async def test_a_redis_that_never_answers_costs_a_sign_in_seconds_not_a_hang(make_app) -> None:
    with black_hole() as port:
        broken = make_app(redis_url=f"redis://127.0.0.1:{port}/0")
        async with serve(broken) as client:
            response = await post_code_request(client)
    assert_unavailable_page(response)


async def test_a_passkey_sign_in_with_redis_down_gets_json_its_script_can_show(make_app) -> None:
    broken = make_app(redis_url=f"redis://127.0.0.1:{refused_port()}/0")
    async with serve(broken) as client:
        token = await csrf_token_of(client)
        async with asyncio.timeout(HANG):
            response = await client.post(
                "/auth/passkeys/sign-in/options", json={}, headers={"x-csrftoken": token}
            )
    assert response.status_code == 503
    assert response.json()["title"] == UNAVAILABLE["zh_Hans"]
    assert "请稍后再试" in response.json()["detail"]


async def test_public_pages_are_read_with_redis_down_only_not_kept(
    make_app, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The page cache is Redis too: without it a record page is rendered each time."""
    number = new_patent_number()
    result = await import_file(write_lines(tmp_path / "one.jsonl", [record_line(number)]))
    assert result.created == 1, result.problems
    broken = make_app(redis_url=f"redis://127.0.0.1:{refused_port()}/0")
    async with serve(broken) as browser:
        pages = [await get(browser, f"/records/{number}") for _ in range(2)]
    assert [page.status_code for page in pages] == [200, 200]
    assert number in pages[1].text


async def test_a_rating_stands_when_the_page_cache_cannot_forget_the_disclosure(
    make_app, caplog: pytest.LogCaptureFixture
) -> None:
    """The disclosure is forgotten after the rating commits: with the page cache's Redis away
    that fails (logged), and the rating is stored all the same. (Nobody reads the page from
    that Redis meanwhile; a copy kept from before lives at most a minute.)"""
    make_app(redis_url=f"redis://127.0.0.1:{refused_port()}/0")  # the tables write through it
    reviewer = await an_account()
    reference = secrets.token_hex(6).upper()
    log = logging.getLogger("backend.database")
    log.addHandler(caplog.handler)  # the app's logging config has replaced the root's handlers
    try:
        await service.matter_ended(reference, "outage", None, reviewer, "completed")
        review_id, repeated = await service.submit_review(
            reference, reviewer, ReviewForm(level=Level.satisfied), secrets.token_hex(8), Clocks()
        )
    finally:
        log.removeHandler(caplog.handler)

    assert not repeated and await Review.exists().where(Review.id == review_id)
    not_forgotten = [r for r in caplog.records if published.SHOWN in r.getMessage()]
    assert len(not_forgotten) == 2  # the matter's end, then the rating
    assert all("ConnectionError" in record.getMessage() for record in not_forgotten)


@pytest.mark.skipif(PROFILE != "postgresql+redis", reason="the PostgreSQL pool only")
@pytest.mark.profiles
async def test_transactions_whose_connection_died_give_it_back_to_the_pool(app) -> None:
    """PostgreSQL ending connections (a restart) in the middle of transactions, more of them
    than the pool holds: each fails as an outage, and the pool still has connections after."""
    engine = app.state.engine
    admin = await asyncpg.connect(TEST_POSTGRES_URL)
    try:
        async with serve(app):
            for _ in range(engine.pool.get_max_size() + 2):
                with pytest.raises(Exception) as failed:
                    async with asyncio.timeout(HANG), engine.transaction():
                        rows = await engine.run_ddl("SELECT pg_backend_pid() AS pid")
                        await admin.execute("SELECT pg_terminate_backend($1)", rows[0]["pid"])
                        await engine.run_ddl("SELECT 1")
                assert is_outage(failed.value), repr(failed.value)
            async with asyncio.timeout(HANG):
                rows = await engine.run_ddl("SELECT 2 AS answer")
    finally:
        await admin.close()
    assert rows[0]["answer"] == 2
