"""Where a rating's time goes: the app driven in-process, the functions on its way timed
(diagnostics for bench/reviews_http.py), and /disclosure's miss beside it.

    taskset -c 0 .venv/bin/python bench/reviews_parts.py                   # both profiles
    taskset -c 0 .venv/bin/python bench/reviews_parts.py --engines sqlite --reviews 20000

For each profile (bench/engines.py: a fresh database in a child process) the database
bench/reviews_http.py measures: `iph setup`, bench/reviews.py's `fill_reviews`, a reviewer
signed in with an e-mail code and matters of theirs to rate. The app is `backend.app:app`
through httpx's ASGI transport with its lifespan, as bench/matters_parts.py drives it (its
Stopwatch, `timed` and table): no server, no network. `--requests` ratings (each another
matter, a new key), one at a time and `--concurrency` at a time, after a warm-up; then
`/disclosure` rendered afresh each time (the page cache forgotten before each). Parts nest:
`reviews.service.submit_review` includes `idempotency.service.once` and the statements.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import http_app  # noqa: E402
from bench import reviews as filling  # noqa: E402
from bench import run as bench  # noqa: E402
from bench.engines import run_on_engines  # noqa: E402
from bench.matters_parts import WARM_UP, Stopwatch, markdown, timed  # noqa: E402

BENCH_DATABASE = "iph_bench_reviews_parts"


def wrap_the_app(app, watch: Stopwatch) -> None:
    import brotli
    import jinja2
    from piccolo.engine.postgres import PostgresTransaction
    from piccolo.engine.sqlite import SQLiteTransaction

    from backend.auth import limits
    from backend.auth import service as auth_service
    from backend.core import page_cache
    from backend.core.database import WriterTransaction
    from backend.idempotency import service as idempotency
    from backend.reviews import disclosure, published, service, tallies
    from backend.working_days import service as working_days

    for module, names in (
        (service, ("target_of", "submit_review", "_store_review", "_open_case")),
        (limits, ("check",)),
        (tallies, ("rated",)),
        (published, ("shown_changed",)),
        (page_cache, ("forget",)),
        (idempotency, ("once",)),
        (working_days, ("load_calendar",)),
        (auth_service, ("account_by_id",)),
        (disclosure, ("published", "rectified_cases")),
    ):
        for name in names:
            watch.wrap(module, name, f"{module.__name__.removeprefix('backend.')}.{name}")
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
        watch.wrap(WriterTransaction, "get_connection", "waiting for the writing connection")
    watch.wrap_sync(jinja2.Template, "render", "Jinja render")
    watch.wrap_sync(brotli, "compress", "brotli")


async def measure_in_process(args: argparse.Namespace, var_dir: Path) -> dict:
    from backend.app import app
    from backend.core import page_cache

    watch = Stopwatch()
    figures = {}
    async with app.lifespan():
        await filling.fill_reviews(args.reviews, tally=False)
        (owner,) = await filling.reviewer_accounts(1)
        count = (WARM_UP + args.requests) * len(args.concurrency)
        tokens = iter(await filling.prepare_ratings([owner], count))
        await filling.retally()
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        reviewer = http_app.Visitor(
            httpx.AsyncClient(transport=transport, base_url=app.state.settings.origin),
            var_dir / "outbox",
        )
        await reviewer.sign_in("bench-reviewer-0@example.test")
        wrap_the_app(app, watch)
        rng = random.Random(20261206)

        async def a_rating() -> None:
            _owner, token = next(tokens)
            form = filling.rating_form(rng, reviewer.client.cookies["iph_csrf"], owner)
            answer = await reviewer.client.post(f"/rate/{token}", data=form)
            assert answer.status_code == 303 and "/sent?" in answer.headers["location"]

        for concurrency in args.concurrency:
            name = f"rate, {concurrency} at a time"
            figures[name] = await timed(a_rating, args.requests, watch, concurrency)
        store = app.stores.get(page_cache.PAGE_CACHE_STORE)
        anonymous = httpx.AsyncClient(transport=transport, base_url=app.state.settings.origin)

        async def a_disclosure_miss() -> None:
            await page_cache.forget(store, ["/disclosure"])
            page = await anonymous.get("/disclosure", headers=http_app.BROWSER)
            assert page.status_code == 200

        figures["disclosure, rendered afresh"] = await timed(
            a_disclosure_miss, args.requests, watch, 1
        )
    return {"figures": figures, "loadavg": os.getloadavg()}


def run_child(args: argparse.Namespace) -> dict:
    var_dir = Path(os.environ["IPH_VAR_DIR"])
    extra = {
        "IPH_DATABASE_URL": os.environ["IPH_DATABASE_URL"],
        "IPH_REVIEWS_PER_HOUR": bench.RATE_LIMIT_FOR_BENCH,
    }
    namespace = f"iph-bench-reviews-parts-{os.getpid()}"
    if args.child == "postgresql":
        extra |= {"IPH_REDIS_URL": args.redis_url, "IPH_STORE_NAMESPACE": namespace}
    bench.setup_database(var_dir, **extra)
    os.environ.update(bench.app_env(var_dir, **extra))  # before the app is imported
    try:
        return asyncio.run(measure_in_process(args, var_dir))
    finally:
        if args.child == "postgresql":
            asyncio.run(http_app.forget_namespace(args.redis_url, namespace))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    http_app.add_load_options(parser)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="of each kind (300)")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 32], help="requests at a time (1 32)"
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args)))
        return
    options = [f"--redis-url={args.redis_url}", f"--reviews={args.reviews}"]
    options += [f"--requests={args.requests}", "--concurrency", *map(str, args.concurrency)]
    results = run_on_engines(__file__, args.engines, options, args.postgres_url, BENCH_DATABASE)
    print(markdown(results))


if __name__ == "__main__":
    main()
