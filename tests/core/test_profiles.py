"""Database and store behaviour, run once on SQLite + file stores and once on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
import gzip
import secrets

import asyncpg
import brotli
import httpx
import pytest
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore

from backend.auth.service import ensure_account
from backend.auth.tables import Account
from backend.core.compression import compression_config
from backend.core.database import ScaleEngine
from backend.demo import DEMO_ACCOUNTS, load_demo_data
from tests.conftest import PROFILE, TEST_POSTGRES_URL, VAR_DIR, serve

pytestmark = pytest.mark.profiles


async def test_the_stores_are_those_of_the_profile(app) -> None:
    store = app.stores.get("sessions")
    expected = RedisStore if PROFILE == "postgresql+redis" else FileStore
    assert isinstance(store, expected)
    assert app.state.settings.uses_postgres is (PROFILE == "postgresql+redis")


async def test_readyz_says_ready_when_database_and_store_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "problems": []}


async def test_readyz_fails_with_the_reason_when_postgresql_is_unreachable(make_app) -> None:
    broken = make_app(database_url="postgresql://postgres@127.0.0.1:1/test")
    async with serve(broken) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert len(body["problems"]) == 1
    assert body["problems"][0].startswith("database unreachable:")


async def test_readyz_fails_with_the_reason_when_the_sqlite_file_cannot_be_opened(
    make_app,
) -> None:
    # A folder where the database file should be: SQLite cannot open it.
    broken = make_app(database_url=f"sqlite:///{VAR_DIR}")
    async with serve(broken) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"][0].startswith("database unreachable:")


async def test_readyz_fails_with_the_reason_when_redis_is_unreachable(make_app) -> None:
    broken = make_app(redis_url="redis://127.0.0.1:1/0")
    async with serve(broken) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"][0].startswith("store unreachable:")


async def test_store_values_expire(app) -> None:
    store = app.stores.get("sessions")
    await store.set("expiring", b"value", expires_in=1)
    assert await store.get("expiring") == b"value"
    await asyncio.sleep(1.2)
    assert await store.get("expiring") is None


async def test_a_second_app_sees_what_the_first_stored(app, make_app) -> None:
    """Nothing a second worker needs lives in process memory."""
    await app.stores.get("sessions").set("shared", b"between workers", expires_in=60)
    second = make_app()
    assert await second.stores.get("sessions").get("shared") == b"between workers"


@pytest.mark.skipif(PROFILE != "postgresql+redis", reason="the PostgreSQL pool only")
async def test_the_pool_takes_a_connection_back_with_a_rollback_and_no_session_reset(
    app,
) -> None:
    """asyncpg's default reset (RESET ALL, UNLISTEN, …) is a round trip after every statement
    for session state the app never changes: the pool skips it. What a transaction left open
    had done is still rolled back when its connection is taken back."""
    engine = app.state.engine
    statements: list[str] = []
    async with serve(app):
        async with engine.pool.acquire() as connection:
            connection.add_query_logger(lambda record: statements.append(record.query))
            await connection.execute("BEGIN")
            await connection.execute("CREATE TABLE left_open (id integer)")
        assert statements == ["BEGIN", "CREATE TABLE left_open (id integer)", "ROLLBACK"]
        for _ in range(engine.pool.get_size() + 1):  # whichever connection comes next
            rows = await engine.run_ddl("SELECT to_regclass('left_open') IS NULL AS gone")
            assert [dict(row) for row in rows] == [{"gone": True}]


@pytest.mark.skipif(PROFILE != "postgresql+redis", reason="the PostgreSQL pool only")
async def test_a_connection_kept_between_uses_is_replaced_once_the_server_ended_it() -> None:
    """The engine keeps a connection whose use ended cleanly for the next use (not in asyncpg's
    pool), never hands out one the server ended while it was kept, and gives one whose use
    failed back to the pool."""
    engine = ScaleEngine(config={"dsn": TEST_POSTGRES_URL})
    await engine.start_connection_pool(min_size=0, max_size=2)
    admin = await asyncpg.connect(TEST_POSTGRES_URL)
    try:
        first = await engine.run_ddl("SELECT pg_backend_pid() AS pid")
        again = await engine.run_ddl("SELECT pg_backend_pid() AS pid")
        assert again[0]["pid"] == first[0]["pid"]  # kept, and the same one taken next
        assert engine.pool.get_idle_size() == 0  # kept by the engine, not back in the pool
        await admin.execute("SELECT pg_terminate_backend($1)", first[0]["pid"])
        async with asyncio.timeout(5):
            while await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", first[0]["pid"]
            ):
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # the closed socket's end reaches the client's event loop
        after = await engine.run_ddl("SELECT pg_backend_pid() AS pid")
        assert after[0]["pid"] != first[0]["pid"]
        with pytest.raises(asyncpg.DivisionByZeroError):
            await engine.run_ddl("SELECT 1 / 0")
        assert engine.pool.get_idle_size() == 1  # the failed use's went back to the pool
    finally:
        await admin.close()
        await asyncio.wait_for(engine.close_connection_pool(), 5)


@pytest.mark.skipif(PROFILE != "postgresql+redis", reason="the PostgreSQL pool only")
async def test_pooled_connections_go_to_requests_in_the_order_they_asked() -> None:
    """asyncpg's pool wakes the first waiter when a connection comes back, and a request that
    asks in between takes it first (the waiter then queues again at the back); the engine's
    turns keep the order asked."""
    engine = ScaleEngine(config={"dsn": TEST_POSTGRES_URL})
    await engine.start_connection_pool(min_size=0, max_size=1)
    order: list[str] = []

    async def asks(name: str) -> None:
        connection = await engine.take_connection()
        order.append(name)
        await asyncio.sleep(0.01)
        await engine.give_back(connection)

    async def asks_the_moment_it_is_back() -> None:
        while engine.pool._queue.qsize() == 0:  # asyncpg's free connections
            await asyncio.sleep(0)
        await asks("asked the moment it was back")

    try:
        held = await engine.take_connection()
        waiting = [asyncio.create_task(asks(f"waiting {number}")) for number in range(3)]
        await asyncio.sleep(0.05)  # all three wait
        eager = asyncio.create_task(asks_the_moment_it_is_back())
        await asyncio.sleep(0.01)
        await engine.give_back(held)
        await asyncio.gather(*waiting, eager)
    finally:
        await engine.close_connection_pool()
    assert order == ["waiting 0", "waiting 1", "waiting 2", "asked the moment it was back"]


async def test_rate_limit_answers_429_with_retry_after_and_a_readable_page(
    make_app, settings
) -> None:
    """The shared limiter counts state changes and API calls; reading pages is not counted."""
    limited = make_app(rate_limit_per_minute=3, store_namespace=f"{settings.store_namespace}rl")
    async with serve(limited) as client:
        client.cookies.set("iph_locale", "en")
        form = {"locale": "en", "next": "/"}
        statuses = [
            (await client.post("/preferences/locale", data=form)).status_code for _ in range(3)
        ]
        refused = await client.post("/preferences/locale", data=form)
        api = await client.get("/api/v1/records/201710601862.3")
        pages = [(await client.get("/")).status_code for _ in range(5)]
    assert statuses == [303, 303, 303]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many requests" in refused.text
    assert api.status_code == 429 and api.json()["title"] == "Too many requests"
    assert pages == [200] * 5


async def test_the_rate_limit_counter_counts_every_request_once_and_starts_a_new_window(
    app,
) -> None:
    """Concurrent requests of one client are each counted once (Redis counts for every worker
    at once; the file store's read and write have nothing between them), and the window's end
    starts the count again."""
    store = app.stores.get("rate_limit")
    key = f"counting-{secrets.token_hex(4)}"

    windows = await asyncio.gather(*(store.increment(key, 2) for _ in range(20)))
    assert sorted(window.count for window in windows) == list(range(1, 21))
    assert all(0 <= window.resets_in <= 2 for window in windows)
    await asyncio.sleep(2.1)
    assert (await store.increment(key, 2)).count == 1


async def test_a_refused_request_is_counted_and_says_how_many_are_left(make_app, settings) -> None:
    limited = make_app(rate_limit_per_minute=2, store_namespace=f"{settings.store_namespace}rc")
    async with serve(limited) as client:
        form = {"locale": "en", "next": "/"}
        answers = [await client.post("/preferences/locale", data=form) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [303, 303, 429, 429]
    assert [answer.headers["ratelimit-remaining"] for answer in answers] == ["1", "0", "0", "0"]
    assert answers[0].headers["ratelimit-policy"] == "2; w=60"
    assert 0 < int(answers[3].headers["retry-after"]) <= 60


async def test_an_account_is_created_once_per_email(client: httpx.AsyncClient) -> None:
    assert await ensure_account("once@example.test", "Once", Account.Role.applicant) is True
    assert await ensure_account("once@example.test", "Again", Account.Role.admin) is False
    rows = await Account.select().where(Account.email == "once@example.test")
    assert [(row["display_name"], row["role"]) for row in rows] == [("Once", "applicant")]
    assert len(rows[0]["user_handle"]) == 86  # 64 bytes, base64url without padding


async def test_demo_data_is_deterministic_and_loading_twice_adds_nothing(
    client: httpx.AsyncClient,
) -> None:
    await load_demo_data()
    assert await load_demo_data() == 0
    roles = await Account.select(Account.email, Account.role).where(
        Account.email.is_in([email for email, _, _ in DEMO_ACCOUNTS])
    )
    assert sorted(row["role"] for row in roles) == ["admin", "applicant", "staff", "supervisor"]


async def test_fifty_concurrent_writers_all_succeed(client: httpx.AsyncClient) -> None:
    """SQLite in WAL mode with a busy timeout: no "database is locked" (SECURITY.md gotcha 9)."""
    created = await asyncio.gather(
        *(
            ensure_account(f"writer{n}@example.test", f"Writer {n}", Account.Role.applicant)
            for n in range(50)
        )
    )
    assert all(created)
    assert await Account.count().where(Account.email.like("writer%@example.test")) == 50


@pytest.mark.parametrize(
    ("accept", "encoding", "decompress"),
    [("br, gzip", "br", brotli.decompress), ("gzip", "gzip", gzip.decompress)],
)
async def test_pages_are_compressed_whole_in_the_encoding_the_browser_takes(
    client: httpx.AsyncClient, accept: str, encoding: str, decompress
) -> None:
    plain = await client.get("/guides", headers={"Accept-Encoding": "identity"})
    async with client.stream("GET", "/guides", headers={"Accept-Encoding": accept}) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.headers["content-encoding"] == encoding
    assert "accept-encoding" in response.headers["vary"].lower()
    # Whole: as small as the page compressed in one call (a body compressed chunk by chunk is
    # larger), whatever the page holds (a page alone, as a first test, is less repetitive).
    assert len(body) <= len(whole_compressed(plain.content, encoding)) + 32
    assert decompress(body) == plain.content


def whole_compressed(page: bytes, encoding: str) -> bytes:
    config = compression_config()
    if encoding == "br":
        return brotli.compress(page, quality=config.brotli_quality, lgwin=config.brotli_lgwin)
    return gzip.compress(page, compresslevel=config.gzip_compress_level)
