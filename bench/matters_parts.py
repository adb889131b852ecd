"""Where the staff queue page's and a send's time goes: the app driven in-process, one request at
a time, with the functions on their way timed (diagnostics for bench/matters_http.py).

    taskset -c 0 .venv/bin/python bench/matters_parts.py                   # both profiles
    taskset -c 0 .venv/bin/python bench/matters_parts.py --engines sqlite

For each profile (bench/engines.py: a fresh database in a child process) the database
bench/matters_http.py measures: `iph setup`, bench/matters.py's `fill`, the staff member and the
supervisor signed in with an e-mail code, an applicant signed up and a draft filed through the
screens, then copies of it to send (bench/matters_http.py's helpers). The app is
`backend.app:app`, driven through httpx's ASGI transport with its lifespan (as bench/inprocess.py
drives it): no server, no network, no concurrency. `--requests` queue pages for each of the two,
then `--requests` sends (each another draft, a new key), after a warm-up. Each part is a wrapper
around the module attribute the app calls (or the store instance's method, or each SQL statement
through the engine): its wall time per request, which includes its waits for the database (and,
on SQLite, for the threads that run the statements). Parts nest: `queue_for` includes one
`actor_of`; a store's `get` includes the write that renews the entry. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import matters_http as http_bench  # noqa: E402
from bench import run as bench  # noqa: E402
from bench.engines import DEFAULT_POSTGRES_URL, run_on_engines  # noqa: E402
from bench.matters import fill  # noqa: E402

BENCH_DATABASE = "iph_bench_matters_parts"
WARM_UP = 30


class Stopwatch:
    """Wall time and calls of each wrapped function, per label."""

    def __init__(self) -> None:
        self.spent: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()

    def clear(self) -> None:
        self.spent.clear()
        self.calls.clear()

    def wrap(self, owner: object, name: str, label: str) -> None:
        real = getattr(owner, name)

        @functools.wraps(real)
        async def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await real(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter() - started
                self.calls[label] += 1

        setattr(owner, name, timed)

    def wrap_sync(self, owner: object, name: str, label: str) -> None:
        real = getattr(owner, name)

        @functools.wraps(real)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter() - started
                self.calls[label] += 1

        setattr(owner, name, timed)

    def wrap_stores(self, stores: dict[str, object], method: str) -> None:
        """`method` of these stores' classes, labelled by the store it was called on (Redis
        stores take no attribute of their own)."""
        names = {id(store): name for name, store in stores.items()}
        for kind in {type(store) for store in stores.values()}:
            real = getattr(kind, method)

            async def timed(store, *args, real=real, **kwargs):
                label = f"store {names.get(id(store), 'other')}: {method}"
                started = time.perf_counter()
                try:
                    return await real(store, *args, **kwargs)
                finally:
                    self.spent[label] += time.perf_counter() - started
                    self.calls[label] += 1

            setattr(kind, method, timed)

    def per_request(self, requests: int) -> dict[str, tuple[float, float]]:
        """label → (µs per request, calls per request), the most costly first."""
        return {
            label: (self.spent[label] * 1e6 / requests, self.calls[label] / requests)
            for label, _ in self.spent.most_common()
        }


def wrap_the_app(app, watch: Stopwatch) -> None:
    import brotli
    import jinja2
    from piccolo.engine.postgres import PostgresTransaction
    from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction

    from backend.auth import service as auth_service
    from backend.core.database import WriterTransaction
    from backend.idempotency import service as idempotency
    from backend.matters import files, filing_routes, notices, service, staff_views
    from backend.working_days import service as working_days

    for module, names in (
        (service, ("actor_of", "queue_for", "queue_outlets", "matter_for")),
        (service, ("submit_matter", "_apply")),
        (filing_routes, ("_own_matter",)),
        (files, ("attachments_of_matter",)),
        (idempotency, ("once",)),
        (working_days, ("load_calendar",)),
        (notices, ("tell_applicant",)),
        (auth_service, ("account_by_id",)),
    ):
        for name in names:
            watch.wrap(module, name, f"{module.__name__.removeprefix('backend.')}.{name}")
    watch.wrap_sync(staff_views, "queue_rows", "matters.staff_views.queue_rows")
    stores = {name: app.stores.get(name) for name in ("sessions", "rate_limit")}
    for method in ("get", "set"):
        watch.wrap_stores(stores, method)
    watch.wrap(type(app.state.engine), "run_querystring", "SQL statements (each)")
    if app.state.settings.uses_postgres:
        watch.wrap(PostgresTransaction, "begin", "BEGIN")
        watch.wrap(PostgresTransaction, "commit", "COMMIT")
    else:
        watch.wrap(SQLiteTransaction, "begin", "BEGIN IMMEDIATE")
        watch.wrap(SQLiteTransaction, "commit", "COMMIT")
        # Waiting for this process's writing connection (database.WriterTransaction).
        watch.wrap(WriterTransaction, "get_connection", "waiting for the writing connection")
        label = "a write on a connection of its own (not the writing connection's loop)"
        watch.wrap(SQLiteEngine, "_run_in_new_connection", label)
    watch.wrap_sync(jinja2.Template, "render", "Jinja render")
    watch.wrap_sync(brotli, "compress", "brotli")


async def measure_in_process(args: argparse.Namespace, var_dir: Path) -> dict:
    from backend.app import app

    watch = Stopwatch()
    figures = {}
    async with app.lifespan():
        filled = await fill(args.matters)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))

        def client() -> httpx.AsyncClient:
            return httpx.AsyncClient(transport=transport, base_url=app.state.settings.origin)

        outbox = var_dir / "outbox"
        wrap_the_app(app, watch)
        for role in ("staff", "supervisor"):
            visitor = http_bench.Visitor(client(), outbox)
            await visitor.sign_in(f"bench-{role}@example.test")

            async def a_queue_page(visitor=visitor) -> None:
                page = await visitor.client.get(http_bench.QUEUE, headers=http_bench.BROWSER)
                assert page.status_code == 200, page.status_code

            for concurrency in args.concurrency:
                name = f"queue, {role}, {concurrency} at a time"
                figures[name] = await timed(a_queue_page, args.requests, watch, concurrency)
        applicant = http_bench.Visitor(client(), outbox)
        await applicant.sign_up("bench-sender-0@example.test", "sender 0")
        (owner,) = await http_bench.account_ids(["bench-sender-0@example.test"])
        model = await http_bench.file_a_draft(applicant)
        count = (WARM_UP + args.requests) * len(args.concurrency)
        drafts = iter(await http_bench.copy_draft(model, [owner], count))
        commitment = http_bench.commitment_version()

        async def a_send() -> None:
            await applicant.send(next(drafts)[1], commitment)

        for concurrency in args.concurrency:
            name = f"send, {concurrency} at a time"
            figures[name] = await timed(a_send, args.requests, watch, concurrency)
    return {"matters": filled["busiest_count"], "figures": figures, "loadavg": os.getloadavg()}


async def timed(call, requests: int, watch: Stopwatch, concurrency: int) -> dict:
    """`requests` calls, `concurrency` at a time (after a warm-up, one at a time)."""
    for _ in range(WARM_UP):
        await call()
    watch.clear()
    latencies: list[float] = []

    async def one_after_another(count: int) -> None:
        for _ in range(count):
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    shares = [requests // concurrency + (n < requests % concurrency) for n in range(concurrency)]
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one_after_another(share) for share in shares))
    latencies.sort()
    return {
        "wall_us": (time.perf_counter() - wall) * 1e6 / requests,
        "cpu_us": (time.process_time() - cpu) * 1e6 / requests,
        "p50_ms": latencies[len(latencies) // 2] * 1e3,
        "p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1e3,
        "parts": watch.per_request(requests),
    }


def run_child(args: argparse.Namespace) -> dict:
    var_dir = Path(os.environ["IPH_VAR_DIR"])
    extra = {"IPH_DATABASE_URL": os.environ["IPH_DATABASE_URL"]}
    namespace = f"iph-bench-parts-{os.getpid()}"
    if args.child == "postgresql":
        extra |= {"IPH_REDIS_URL": args.redis_url, "IPH_STORE_NAMESPACE": namespace}
    bench.setup_database(var_dir, **extra)
    os.environ.update(bench.app_env(var_dir, **extra))  # before the app is imported
    try:
        return asyncio.run(measure_in_process(args, var_dir))
    finally:
        if args.child == "postgresql":
            asyncio.run(http_bench.forget_namespace(args.redis_url, namespace))


def markdown(results: dict[str, dict]) -> str:
    lines = []
    for engine, result in results.items():
        lines += [
            f"{http_bench.PROFILES[engine]}, load average {result['loadavg'][0]:.1f}:",
            "",
            "| request | part | calls / request | µs / request (summed) |",
            "|---|---|--:|--:|",
        ]
        for name, figures in result["figures"].items():
            lines.append(
                f"| {name} | **the requests**: wall / CPU per request, p50 "
                f"{figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms | | "
                f"**{figures['wall_us']:,.0f} / {figures['cpu_us']:,.0f}** |"
            )
            for label, (spent, calls) in figures["parts"].items():
                lines.append(f"| | {label} | {calls:.1f} | {spent:,.0f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument(
        "--redis-url", default=os.environ.get("IPH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="of each kind (300)")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 32], help="requests at a time (1 32)"
    )
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args)))
        return
    options = [f"--redis-url={args.redis_url}", f"--matters={args.matters}"]
    options += [f"--requests={args.requests}", "--concurrency", *map(str, args.concurrency)]
    results = run_on_engines(__file__, args.engines, options, args.postgres_url, BENCH_DATABASE)
    print(markdown(results))


if __name__ == "__main__":
    main()
