"""Both profiles, one table: requests per second, p50 and p99 at 32 connections and the ratio to
the plain endpoint, for the pages and the two submissions people make most, with 1,000,000
records, 100,000 matters and 100,000 reviews in the database (issue 15).

    .venv/bin/python bench/profiles_table.py            # both profiles, the full data
    .venv/bin/python bench/profiles_table.py --small    # 20,000 records, 5,000 matters, reviews

A benchmark, not a test: pytest never collects it. Each profile runs in a child process on a
fresh database (bench/engines.py: an SQLite file in a temporary var dir, or the PostgreSQL
database `iph_bench_profiles`, dropped at the end):

- **embedded**: SQLite and file stores, one uvicorn process pinned to a core, wrk on the other
  (bench/run.py's `Server`);
- **scale**: PostgreSQL, and sessions, rate limits, page cache and queue in Redis under a
  namespace of its own (removed at the end), two uvicorn web workers; nothing pinned (two
  workers, wrk, PostgreSQL and Redis share the two cores).

The data, written before any server starts: `litestar iph setup` (bench/run.py), then
`--records` records after the demo ones (bench/records_1m.py's generator and bulk load),
`--matters` matters (bench/matters.py's `fill`) and `--reviews` reviews with their events and
cases, the reviewers and the matters they will rate, and the tallies rebuilt (bench/reviews.py
through bench/reviews_http.py's `fill`). The rows, each against the plain endpoint
(bench/plain_app.py) on the same profile's servers:

- *home* `GET /`; *record, cached* and *record, uncached*: the demo record with the longest
  timeline, from the page cache, and from an app that stores nothing there
  (bench/variants.py's `record_pages_uncached`, an empty namespace); *GI search*: bench/run.py's
  `GI_SEARCH`; *guide*: the first guide /guides lists; all with `Accept-Encoding: br, gzip`
  and no session;
- *matter submission*: bench/matters_http.py's send (`POST /my/matters/<reference>/send`, a new
  draft each request, eight applicants signed in with e-mail codes), its counts checked;
- *review submission*: bench/reviews_http.py's rating (`POST /rate/<token>`, a matter just
  ended each request), its counts and the tallies against a recount checked.

Prints one Markdown table and a note per profile; bench/README.md ("Both profiles, one table")
holds the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import http_app, matters_http, records_1m, reviews_http  # noqa: E402
from bench import run as bench  # noqa: E402
from bench.engines import run_on_engines  # noqa: E402
from bench.http_app import BROWSER, Profile, with_engine  # noqa: E402
from bench.lighthouse import a_guide_page  # noqa: E402
from bench.matters import fill as fill_matters  # noqa: E402

BENCH_DATABASE = "iph_bench_profiles"
PROFILE_NAMES = {"sqlite": "embedded", "postgresql": "scale"}
SCALE_WORKERS = 2
SMALL = {"records": 20_000, "matters": 5_000, "reviews": 5_000, "drafts": 5_000, "ratings": 5_000}
# The options a profile's child process is given again (with the loads').
CHILD_OPTIONS = (
    "redis_url",
    "records",
    "matters",
    "reviews",
    "drafts",
    "ratings",
    "applicants",
    "reviewers",
)
ROWS = (
    "plain",
    "home",
    "record, cached",
    "record, uncached",
    "GI search",
    "guide",
    "matter submission",
    "review submission",
)


# --- servers ------------------------------------------------------------------------------------


class Workers(bench.Server):
    """bench/run.py's server with `workers` uvicorn web workers instead of one."""

    def __init__(self, *args, workers: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.command[self.command.index("--workers") + 1] = str(workers)

    def worker_pids(self) -> list[int]:
        """The processes uvicorn's supervisor started (their CPU is the server's)."""
        assert self.process is not None
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
            if parent == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids


@dataclasses.dataclass
class Servers:
    """The servers of one profile: the embedded one's pinned, the scale one's with workers."""

    profile: Profile

    @property
    def scale(self) -> bool:
        return self.profile.engine == "postgresql"

    def server(self, name: str, target: str, **extra: str) -> bench.Server:
        if not self.scale:
            return self.profile.server(name, target, **extra)
        log_dir = self.profile.var_dir / "logs"
        log_dir.mkdir(exist_ok=True)
        env = bench.app_env(self.profile.var_dir, **extra)
        plan = self.profile.settings.plan
        return Workers(name, target, env, plan, log_dir, workers=SCALE_WORKERS)

    def app(self, target: str = "backend.app:app", **extra: str) -> bench.Server:
        return self.server("app", target, **{**self.profile.extra, **extra})

    def helpers(self, server: bench.Server):
        """What works for the server besides its own process: the scale profile's workers,
        PostgreSQL's backends and Redis (counted apart from other processes)."""
        if not self.scale:
            return None
        assert isinstance(server, Workers)
        database = self.profile.helpers or list
        return lambda: server.worker_pids() + database()

    def measure(self, server: bench.Server, target: str, path: str, **options) -> bench.Load:
        return bench.measure(
            self.profile.settings,
            server,
            "main",
            target,
            path,
            helper_pids=self.helpers(server),
            **options,
        )


# --- the data -----------------------------------------------------------------------------------


def fill_records(profile: Profile, count: int) -> dict:
    """`count` generated records after the demo ones (bench/records_1m.py's bulk load)."""
    url = os.environ["IPH_DATABASE_URL"]
    if profile.engine == "sqlite":
        loaded = records_1m.load_sqlite(str(records_1m.sqlite_path()), count, seed=20261203)
    else:
        loaded = asyncio.run(records_1m.load_postgres(url, count, seed=20261203))
    loaded.pop("counts")
    return loaded


async def longest_timeline() -> str:
    """The path of the demo record with the longest timeline (bench/run.py's record page)."""
    from backend.inquiries.tables import Record

    rows = await Record.raw(
        "SELECT record.number FROM record JOIN status_event ON status_event.record = record.id"
        " GROUP BY record.id, record.number ORDER BY count(*) DESC, record.id LIMIT 1"
    )
    return f"/records/{rows[0]['number']}"


async def counted() -> dict[str, int]:
    from backend.inquiries.tables import Record
    from backend.matters.tables import Matter
    from backend.reviews.tables import Review

    return {
        "records": await Record.count(),
        "matters": await Matter.count(),
        "reviews": await Review.count(),
    }


def fill(profile: Profile, args: argparse.Namespace) -> dict:
    """The whole database of the benchmark, and how long each part took to write."""
    seconds = {}
    started = time.perf_counter()
    bench.setup_database(profile.var_dir, **profile.extra)
    seconds["setup"] = time.perf_counter() - started
    bench.log(f"{profile.engine}: {args.records:,} records (bench/records_1m.py)")
    started = time.perf_counter()
    records = fill_records(profile, args.records)
    seconds["records"] = time.perf_counter() - started
    bench.log(f"{profile.engine}: {args.matters:,} matters (bench/matters.py)")
    started = time.perf_counter()
    asyncio.run(with_engine(lambda: fill_matters(args.matters)))
    seconds["matters"] = time.perf_counter() - started
    bench.log(f"{profile.engine}: {args.reviews:,} reviews (bench/reviews.py)")
    started = time.perf_counter()
    reviews = asyncio.run(with_engine(lambda: reviews_http.fill(args)))
    seconds["reviews"] = time.perf_counter() - started
    return {
        "seconds": seconds,
        "record_terms": records["term_rows"],
        "reviews": reviews,
        "record_page": asyncio.run(with_engine(longest_timeline)),
        "counts": asyncio.run(with_engine(counted)),
    }


# --- one profile (the child process) ------------------------------------------------------------


def measure_pages(servers: Servers, record_page: str) -> list[bench.Load]:
    loads = []
    with servers.app() as server:
        guide = a_guide_page(server.url(""))
        for target, path in (
            ("home", "/"),
            ("record, cached", record_page),
            ("GI search", bench.GI_SEARCH),
            ("guide", guide),
        ):
            request = f"`GET {path}` (Accept-Encoding: br, gzip, no session)"
            loads.append(servers.measure(server, target, path, headers=BROWSER, request=request))
    namespace = f"{servers.profile.redis_namespace or 'iph'}-uncached"  # an empty page cache
    uncached = servers.app("bench.variants:record_pages_uncached", IPH_STORE_NAMESPACE=namespace)
    with uncached as server:
        request = f"`GET {record_page}` (Accept-Encoding: br, gzip, no session)"
        loads.append(
            servers.measure(
                server, "record, uncached", record_page, headers=BROWSER, request=request
            )
        )
    return loads


def measure_submissions(
    servers: Servers, args: argparse.Namespace, reviews: dict
) -> tuple[list[bench.Load], dict, dict]:
    """A matter sent and a service rated, through bench/matters_http.py and
    bench/reviews_http.py, on this profile's servers."""
    profile = servers.profile
    original = profile.measure
    profile.measure = servers.measure  # their loads through this profile's servers and helpers
    try:
        # A server each: what wrk left unread is counted in the server's log.
        with servers.app() as server:
            matter, sending = matters_http.measure_sending(profile, server, args)
            matter.target = "matter submission"
        with servers.app() as server:
            review, rating = reviews_http.measure_rating(profile, server, reviews)
            review.target = "review submission"
    finally:
        profile.measure = original
    return [matter, review], sending, rating


def run_profile(args: argparse.Namespace) -> dict:
    profile = Profile.of_child(args, "profiles", IPH_REVIEWS_PER_HOUR=bench.RATE_LIMIT_FOR_BENCH)
    if profile.engine == "postgresql":
        profile.settings.plan = bench.CpuPlan([], [], "nothing pinned")
    servers = Servers(profile)
    filled = fill(profile, args)
    loadavg = {"start": os.getloadavg()}
    try:
        with servers.server("plain", "bench.plain_app:app") as server:
            loads = [servers.measure(server, "plain", "/")]
        loads += measure_pages(servers, filled["record_page"])
        submissions, sending, rating = measure_submissions(servers, args, filled.pop("reviews"))
        loads += submissions
    finally:
        profile.forget_namespace(args.redis_url)
    loadavg["end"] = os.getloadavg()
    return {
        "engine": profile.engine,
        "database": http_app.database_version(profile.engine),
        "plan": profile.settings.plan.note,
        "filled": filled,
        "loads": [dataclasses.asdict(load) for load in loads],
        "loadavg": loadavg,
        "sending": sending,
        "rating": rating,
    }


# --- the report ---------------------------------------------------------------------------------


def table(figures: dict[str, dict]) -> list[str]:
    """One row a target, a group of columns a profile."""
    names = [PROFILE_NAMES[engine] for engine in figures]
    head = "| target |" + "".join(
        f" {name} req/s | p50 ms | p99 ms | vs plain | other CPU |" for name in names
    )
    lines = [head, "|---|" + "--:|--:|--:|--:|--:|" * len(names)]
    by_engine = {
        engine: {load["target"]: bench.Load(**load) for load in result["loads"]}
        for engine, result in figures.items()
    }
    for row in ROWS:
        cells = [row]
        for loads in by_engine.values():
            load, plain = loads.get(row), loads["plain"]
            if load is None:
                cells += ["–"] * 5
                continue
            failed = f" ({load.bad} failed)" if load.bad else ""
            cells += [
                bench.fmt_int(load.rps) + failed,
                bench.fmt_ms(load.p50_ms),
                bench.fmt_ms(load.p99_ms),
                bench.fmt_ratio(load.rps / plain.rps),
                f"{load.other_cores:.2f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def profile_note(engine: str, result: dict, args: argparse.Namespace) -> str:
    filled, seconds = result["filled"], result["filled"]["seconds"]
    counts = filled["counts"]
    sending = matters_http.check_counts(result["sending"])
    rating = reviews_http.check_counts(result["rating"])
    checks = "; ".join(sending + rating) or (
        "every matter sent and every rating sent stored once (or not at all when wrk had gone "
        "before the app read it), the tallies equal to a recount"
    )
    return (
        f"- **{PROFILE_NAMES[engine]}** ({http_app.PROFILES[engine]} {result['database']}; "
        f"{result['plan']}): {counts['records']:,} records, {counts['matters']:,} matters, "
        f"{counts['reviews']:,} reviews, written in {seconds['setup']:.0f} s (`iph setup`) + "
        f"{seconds['records']:.0f} s (records) + {seconds['matters']:.0f} s (matters) + "
        f"{seconds['reviews']:.0f} s (reviews and tallies); record page "
        f"`{filled['record_page']}`; {http_app.loadavg_note(result['loadavg'])}. Checks: "
        f"{checks}."
    )


def markdown(figures: dict[str, dict], info: dict[str, str], args: argparse.Namespace) -> str:
    lines = [
        f"Measured {info['date']}: {info['cpu']}, {info['nproc']} cores, Linux "
        f"{info['kernel']}; Python {info['python']}, Litestar {info['litestar']}, uvicorn "
        f"{info['uvicorn']}, wrk {info['wrk']} (1 thread, {args.connections} connections, "
        f"{args.duration} s after a {args.warmup} s warm-up). Embedded: 1 uvicorn process; "
        f"scale: {SCALE_WORKERS} uvicorn web workers.",
        "",
        *table(figures),
        "",
        "*other CPU*: cores that processes other than the server (its workers), its database "
        "and wrk took during the run; above 0.2 the figures were disturbed (each load waited up "
        f"to {args.max_wait:.0f} s for a quiet machine and ran up to {args.retries} more times; "
        "the least disturbed run is shown).",
        "",
        *(profile_note(engine, result, args) for engine, result in figures.items()),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    http_app.add_load_options(parser)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--drafts", type=int, default=20_000, help="drafts for wrk to send")
    parser.add_argument("--ratings", type=int, default=20_000, help="matters for wrk to rate")
    parser.add_argument("--applicants", type=int, default=8, help="who the drafts are spread over")
    parser.add_argument("--reviewers", type=int, default=8, help="whose matters are rated")
    parser.add_argument("--small", action="store_true", help=f"smaller data: {SMALL}")
    parser.add_argument("--save", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    if args.small:
        for name, value in SMALL.items():
            setattr(args, name, value)
    if args.child:
        print(json.dumps(run_profile(args)))
        return
    started = time.monotonic()
    info = bench.machine_info(bench.ensure_wrk())
    options = http_app.child_options(args, CHILD_OPTIONS)
    figures = run_on_engines(__file__, args.engines, options, args.postgres_url, BENCH_DATABASE)
    if args.save:
        args.save.write_text(json.dumps({"info": info, "figures": figures}))
    print(markdown(figures, info, args))
    print(f"One run took {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    main()
