"""Matters with 100,000 in the database: a submission and the staff queue, timed at the service.

    .venv/bin/python bench/matters.py                      # both engines
    .venv/bin/python bench/matters.py --engines sqlite     # one

A benchmark, not a test: pytest never collects it. For each engine a fresh database (an SQLite
file in a temporary folder, or the PostgreSQL database `iph_bench_matters`, dropped at the end),
migrated and loaded with the seed's outlets, three accounts (applicant, staff, supervisor) and
20 acceptance windows of its own (the seed has none), then `--matters` matters written in bulk
(spread over the windows, every status, submissions over a year, one event each). Then, through
`backend/matters/service.py` as the routes call it: *submit*: `start_matter` (the draft) and
`submit_matter` (the idempotency record, the workflow's transition, the due date in working
days, in one transaction); *repeat*: the same submission again (the stored
answer); *queue*: `queue_for` of a staff member of the busiest outlet, and of a supervisor over
all outlets. No HTTP: requests per second through the app are for bench/run.py once the pages are
there. Prints a Markdown table; bench/README.md ("Matters") holds the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import io
import json
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engines import DEFAULT_POSTGRES_URL, run_on_engines  # noqa: E402

BENCH_DATABASE = "iph_bench_matters"
KIND = "bibliographic-change"
BATCH = 500
WINDOWS = 20  # outlets the matters are spread over


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


async def timed(call, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def write_matters(count: int, outlets: list[int], applicant: int) -> None:
    """`count` matters in bulk (one multi-row INSERT a batch, events likewise)."""
    from backend.matters.service import new_reference
    from backend.matters.tables import Matter, MatterEvent
    from backend.matters.workflow import Status

    rng = random.Random(20261203)
    statuses = [s for s in Status if s != Status.draft]
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    for first in range(0, count, BATCH):
        rows = []
        for _ in range(min(BATCH, count - first)):
            at = start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 330))
            rows.append(
                Matter(
                    reference=new_reference(),
                    type_code=KIND,
                    applicant=applicant,
                    outlet=rng.choice(outlets),
                    status=rng.choice(statuses),
                    submitted_at=at,
                    due_on=(at + dt.timedelta(days=14)).date(),
                    updated_at=at,
                )
            )
        await Matter.insert(*rows)
        ids = await Matter.select(Matter.id).order_by(Matter.id, ascending=False).limit(len(rows))
        await MatterEvent.insert(
            *(
                MatterEvent(
                    matter=row["id"],
                    action="submit",
                    from_status="draft",
                    to_status="submitted",
                    actor_id=applicant,
                    actor_role="applicant",
                    at=start,
                )
                for row in ids
            )
        )


async def fill(count: int) -> dict:
    """The database of this benchmark, on an open engine: the seed's outlets (unless there are
    outlets already), WINDOWS acceptance windows, an applicant, a staff member and a supervisor,
    `count` matters of the applicant's over the windows, the staff member at the busiest one,
    ANALYZE. Also used by bench/matters_http.py."""
    from backend.auth.tables import Account
    from backend.matters import service
    from backend.matters.tables import Matter
    from backend.outlets.importer import load_seed_outlets
    from backend.outlets.tables import Outlet, OutletStaff

    await load_seed_outlets()
    # The seed holds no acceptance window (the type most matters go to): the bench has its own.
    for number in range(1, WINDOWS + 1):
        await Outlet(
            name=f"bench window {number}", type=Outlet.Type.acceptance_window, source="bench"
        ).save()
    kind = service.matter_type(KIND)
    outlets = [
        row["id"]
        for row in await Outlet.select(Outlet.id).where(Outlet.type.is_in(list(kind.outlet_types)))
    ]
    accounts = {}
    for role in ("applicant", "staff", "supervisor"):
        account = Account(
            email=f"bench-{role}@example.test",
            display_name=role,
            role=role,
            user_handle=secrets.token_urlsafe(32),
        )
        await account.save()
        accounts[role] = account.id
    started = time.perf_counter()
    await write_matters(count, outlets, accounts["applicant"])
    load_s = time.perf_counter() - started
    busiest = (
        await Matter.raw("SELECT outlet, COUNT(*) AS n FROM matter GROUP BY outlet ORDER BY n DESC")
    )[0]
    await OutletStaff(account=accounts["staff"], outlet=busiest["outlet"]).save()
    await Matter.raw("ANALYZE")
    return {
        "accounts": accounts,
        "outlets": outlets,
        "busiest_outlet": busiest["outlet"],
        "busiest_count": busiest["n"],
        "load_s": load_s,
    }


async def run_engine(args: argparse.Namespace) -> dict:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    with contextlib.redirect_stdout(io.StringIO()) as log:
        migrated = await run_forwards(app_name="all")
    assert migrated.success, log.getvalue()
    from backend.core.database import close_engine, open_engine
    from backend.matters import service
    from backend.matters.tables import Matter

    await open_engine(Matter._meta.db)
    filled = await fill(args.matters)
    accounts = filled["accounts"]

    async def a_submission() -> None:
        draft = await service.start_matter(accounts["applicant"], KIND)
        await service.submit_matter(
            draft.reference, accounts["applicant"], secrets.token_urlsafe(16), {"a": "1"}
        )

    key = secrets.token_urlsafe(16)
    repeated = await service.start_matter(accounts["applicant"], KIND)
    await service.submit_matter(repeated.reference, accounts["applicant"], key, {"a": "1"})
    staff = await service.actor_of(accounts["staff"])
    supervisor = await service.actor_of(accounts["supervisor"])
    figures = {
        "submit": await timed(a_submission, args.repeat),
        "repeat": await timed(
            lambda: service.submit_matter(
                repeated.reference, accounts["applicant"], key, {"a": "1"}
            ),
            args.repeat,
        ),
        "queue, staff": await timed(lambda: service.queue_for(staff), args.repeat),
        "queue, supervisor": await timed(lambda: service.queue_for(supervisor), args.repeat),
    }
    total = await Matter.count()
    await close_engine(Matter._meta.db)
    return {
        "matters": total,
        "busiest_outlet": filled["busiest_count"],
        "outlets": len(filled["outlets"]),
        "load_s": filled["load_s"],
        "figures": {name: percentiles(samples) for name, samples in figures.items()},
        "loadavg": os.getloadavg()[0],
    }


def run_all(args: argparse.Namespace) -> None:
    options = [f"--matters={args.matters}", f"--repeat={args.repeat}"]
    print(
        markdown(run_on_engines(__file__, args.engines, options, args.postgres_url, BENCH_DATABASE))
    )


def markdown(figures: dict[str, dict]) -> str:
    lines = []
    for engine, result in figures.items():
        lines += [
            f"{engine}: {result['matters']:,} matters over {result['outlets']} outlets (the "
            f"busiest {result['busiest_outlet']:,}), written in {result['load_s']:.1f} s "
            f"(load average {result['loadavg']:.1f})",
            "",
            "| call | p50 ms | p99 ms |",
            "|---|--:|--:|",
        ]
        for name, row in result["figures"].items():
            lines.append(f"| {name} | {row['p50']:.2f} | {row['p99']:.2f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(run_engine(args))))
    else:
        run_all(args)


if __name__ == "__main__":
    main()
