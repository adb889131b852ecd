"""The pieces of an HTTP benchmark of the real app on both profiles (bench/matters_http.py,
bench/reviews_http.py): people signed in as the app signs them in, the app's database opened
from the benchmark's own process, the profile's servers and loads, the counts of the
PostgreSQL and Redis processes, and the Markdown table of the loads.

Each profile runs in a child process (bench/engines.py gives it its database); bench/run.py's
`Server` and `measure` run the servers (one uvicorn worker pinned to a core, wrk on the other).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import email
import email.policy
import json
import os
import re
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import httpx

from bench import run as bench
from bench.engines import DEFAULT_POSTGRES_URL

# What the app logs for a request whose client left before its body was read (Litestar).
CLIENT_GONE = "InternalServerException: 500: client disconnected prematurely"
PROFILES = {"sqlite": "embedded (SQLite, file stores)", "postgresql": "scale (PostgreSQL, Redis)"}
# wrk through prepared form posts, one a line (see the script's header).
FORM_POSTS_SCRIPT = bench.BENCH_DIR / "form_posts.lua"
BROWSER = {"Accept-Encoding": bench.BROWSER_ENCODING}
CODE = re.compile(r"\b(\d{6})\b")
# The options of bench/run.py's LoadPlan a profile's child process is given again.
LOAD_OPTIONS = ("duration", "warmup", "connections", "max_wait", "retries")


# The issue budgets' loads (bench/matters_http.py, bench/reviews_http.py) run 30 s: wrk's 32
# connections are let in one an event-loop round at its start (docs/decisions/
# shell-and-performance.md "New connections under load"), and a 10 s run's p99 was partly that.
BUDGET_LOAD_SECONDS = 30


def add_load_options(parser: argparse.ArgumentParser, seconds: int = 10) -> None:
    """bench/run.py's load options (`seconds` a load by default), the PostgreSQL and Redis
    addresses, and --child."""
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument(
        "--postgres-url", default=os.environ.get("IPH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("IPH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument(
        "--duration", type=int, default=seconds, help=f"seconds per load ({seconds})"
    )
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per load (2)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--max-wait", type=float, default=180)
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)


def child_options(args: argparse.Namespace, names: tuple[str, ...]) -> list[str]:
    """The options (`names` and the load's) a profile's child process is given again."""
    return [f"--{name.replace('_', '-')}={getattr(args, name)}" for name in (*names, *LOAD_OPTIONS)]


# --- people, signed in through the app ----------------------------------------------------------


class Visitor:
    """A browser's cookie jar, signing in with an e-mail code as a person would.

    `client`: an httpx.AsyncClient of the running server (or of the app in-process,
    bench/matters_parts.py); `outbox`: the app's var/outbox, where the codes are written."""

    def __init__(self, client: httpx.AsyncClient, outbox: Path) -> None:
        self.client = client
        self.outbox = outbox

    async def csrf(self) -> str:
        if "iph_csrf" not in self.client.cookies:
            await self.client.get("/signin")
        return self.client.cookies["iph_csrf"]

    async def post(self, path: str, data: dict[str, str], expect: int = 303) -> httpx.Response:
        response = await self.client.post(path, data={**data, "_csrf_token": await self.csrf()})
        if response.status_code != expect:
            sys.exit(f"bench: POST {path} answered {response.status_code}:\n{response.text[:2000]}")
        return response

    def code_for(self, address: str) -> str:
        sent = sorted(self.outbox.glob("*.eml"), key=lambda path: path.stat().st_mtime)
        for path in reversed(sent):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address:
                return CODE.search(message["Subject"]).group(1)
        sys.exit(f"bench: no code was sent to {address}")

    async def sign_in(self, address: str) -> None:
        await self.post("/signin/code", {"email": address, "next": "/account"})
        await self.post("/signin/code/verify", {"code": self.code_for(address)})

    async def sign_up(self, address: str, name: str) -> None:
        await self.post("/signup", {"email": address, "display_name": name})
        await self.post("/signin/code/verify", {"code": self.code_for(address)})

    def cookie(self) -> str:
        """The Cookie header this browser sends: its session (if any) and its CSRF token."""
        names = [name for name in ("iph_session", "iph_csrf") if name in self.client.cookies]
        return "; ".join(f"{name}={self.client.cookies[name]}" for name in names)


def client_of(server: bench.Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url(""), timeout=30)


# --- the database, from this process ------------------------------------------------------------


async def open_engine() -> None:
    from backend.core import database
    from backend.matters.tables import Matter

    await database.open_engine(Matter._meta.db)


async def close_engine() -> None:
    from backend.core import database
    from backend.matters.tables import Matter

    await database.close_engine(Matter._meta.db)


async def with_engine(work):
    """`work()` with the app's database open in this process."""
    await open_engine()
    try:
        return await work()
    finally:
        await close_engine()


async def account_ids(addresses: list[str]) -> list[int]:
    from backend.auth.tables import Account

    rows = await Account.select(Account.id, Account.email).where(Account.email.is_in(addresses))
    by_address = {row["email"]: row["id"] for row in rows}
    return [by_address[address] for address in addresses]


def postgres_helpers(url: str) -> list[int]:
    """The PostgreSQL backends serving the app's database, and the Redis server: their CPU is
    the database's, counted apart from the other processes' (bench/run.py's CpuMeter)."""
    import asyncpg

    database = urllib.parse.urlsplit(url).path.lstrip("/")

    async def backends() -> list[int]:
        connection = await asyncpg.connect(url)
        try:
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
        finally:
            await connection.close()
        return [row["pid"] for row in rows]

    def command_of(comm: Path) -> str:
        try:
            return comm.read_text().strip()
        except OSError:  # ended meanwhile
            return ""

    comms = Path("/proc").glob("[0-9]*/comm")
    redis = [int(comm.parent.name) for comm in comms if command_of(comm) == "redis-server"]
    return asyncio.run(backends()) + redis


def database_version(engine: str) -> str:
    if engine == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    import asyncpg

    async def version() -> str:
        connection = await asyncpg.connect(os.environ["IPH_DATABASE_URL"])
        try:
            return await connection.fetchval("SHOW server_version")
        finally:
            await connection.close()

    return asyncio.run(version())


async def forget_namespace(redis_url: str, namespace: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    for pattern in (f"{namespace}*", f"saq:*{namespace}*"):
        async for key in client.scan_iter(match=pattern):
            await client.delete(key)
    await client.aclose()


# --- one profile (the child process) ------------------------------------------------------------


@dataclasses.dataclass
class Profile:
    """One profile's run, in its child process (bench/engines.py gives the database)."""

    engine: str
    var_dir: Path
    settings: bench.LoadPlan
    extra: dict[str, str]  # the app's settings beyond bench/run.py's
    helpers: Callable[[], list[int]] | None  # the database's processes (scale profile)
    redis_namespace: str = ""

    @classmethod
    def of_child(cls, args: argparse.Namespace, name: str, **settings: str) -> Profile:
        """`name`: the benchmark's, in its Redis namespace; `settings`: more of the app's."""
        database_url = os.environ["IPH_DATABASE_URL"]
        extra, namespace = {"IPH_DATABASE_URL": database_url, **settings}, ""
        if args.child == "postgresql":
            if not bench.redis_reachable(args.redis_url):
                sys.exit(f"bench: Redis at {args.redis_url} does not answer")
            namespace = f"iph-bench-{name}-{os.getpid()}"
            extra |= {"IPH_REDIS_URL": args.redis_url, "IPH_STORE_NAMESPACE": namespace}
        wrk = bench.ensure_wrk()
        plan = bench.LoadPlan(
            wrk,
            bench.cpu_plan(),
            args.duration,
            args.warmup,
            args.connections,
            args.max_wait,
            args.retries,
        )
        helpers = (lambda: postgres_helpers(database_url)) if namespace else None
        var_dir = Path(os.environ["IPH_VAR_DIR"])
        return cls(args.child, var_dir, plan, extra, helpers, namespace)

    @property
    def outbox(self) -> Path:
        return self.var_dir / "outbox"

    def server(self, name: str, target: str, **extra: str) -> bench.Server:
        log_dir = self.var_dir / "logs"
        log_dir.mkdir(exist_ok=True)
        return bench.Server(
            name, target, bench.app_env(self.var_dir, **extra), self.settings.plan, log_dir
        )

    def app_server(self) -> bench.Server:
        return self.server("app", "backend.app:app", **self.extra)

    def measure(self, server: bench.Server, target: str, path: str, **options) -> bench.Load:
        return bench.measure(
            self.settings, server, "main", target, path, helper_pids=self.helpers, **options
        )

    def measure_plain(self) -> bench.Load:
        with self.server("plain", "bench.plain_app:app") as server:
            return bench.measure(self.settings, server, "main", "plain", "/")

    def forget_namespace(self, redis_url: str) -> None:
        if self.redis_namespace:
            asyncio.run(forget_namespace(redis_url, self.redis_namespace))


def measure_form_posts(
    profile: Profile,
    server: bench.Server,
    target: str,
    request: str,
    lines: Path,
    accepted: str,
) -> tuple[bench.Load, dict[str, int]]:
    """wrk through the prepared posts of `lines` (form_posts.lua); what it sent: sent,
    accepted (303 to a location holding `accepted`), refused, beyond (repeats of the last line
    once the lines ran out), gone (sent but left unread by the app when wrk stopped)."""
    state = lines.with_suffix(".state.json")
    arguments = [str(lines), str(state), accepted]
    load = profile.measure(
        server, target, "/", request=request, script=FORM_POSTS_SCRIPT, script_args=arguments
    )
    time.sleep(2)  # the requests in flight when wrk stopped
    sent = json.loads(state.read_text())
    sent["gone"] = server.count_log_lines(CLIENT_GONE)
    return load, sent


# --- the report ---------------------------------------------------------------------------------


def load_rows(loads: list[bench.Load]) -> list[str]:
    """The table of one profile's loads, the first being the plain endpoint."""
    plain = loads[0].rps
    lines = [
        "| target | request | req/s | p50 ms | p99 ms | vs plain | server CPU µs/req "
        "| database CPU µs/req | server / database / other CPU | p99 < 50 ms |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for load in loads:
        budget = "" if load.target == "plain" else bench.verdict(load.p99_ms < bench.P99_BUDGET_MS)
        if load.bad:
            budget += f" ({load.bad} failed requests!)"
        database = bench.fmt_int(load.helper_cpu_us) if load.helper_cores else "–"
        lines.append(
            f"| {load.target} | {load.request} | {bench.fmt_int(load.rps)} | "
            f"{bench.fmt_ms(load.p50_ms)} | {bench.fmt_ms(load.p99_ms)} | "
            f"{bench.fmt_ratio(load.rps / plain)} | {bench.fmt_int(load.server_cpu_us)} | "
            f"{database} | {load.server_cores:.2f} / {load.helper_cores:.2f} / "
            f"{load.other_cores:.2f} | {budget} |"
        )
    return lines


def loadavg_note(loadavg: dict[str, list[float]]) -> str:
    start, end = loadavg["start"], loadavg["end"]
    return (
        f"load average {start[0]:.1f} / {start[1]:.1f} / {start[2]:.1f} at the start, "
        f"{end[0]:.1f} / {end[1]:.1f} / {end[2]:.1f} at the end"
    )


def machine_line(info: dict[str, str], figures: dict[str, dict], args: argparse.Namespace) -> str:
    versions = ", ".join(f"{name} {result['database']}" for name, result in figures.items())
    return (
        f"Measured {info['date']}: {info['cpu']}, {info['nproc']} cores, Linux {info['kernel']}; "
        f"Python {info['python']}, Litestar {info['litestar']}, uvicorn {info['uvicorn']}, "
        f"wrk {info['wrk']}; {versions}. One uvicorn worker, {bench.cpu_plan().note}; wrk 1 "
        f"thread, {args.connections} connections, {args.duration} s after a {args.warmup} s "
        "warm-up."
    )
