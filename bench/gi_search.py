"""GI search with the whole seed loaded, timed at the database, on SQLite and PostgreSQL.

    .venv/bin/python bench/gi_search.py                      # both engines
    .venv/bin/python bench/gi_search.py --engines sqlite     # one

A benchmark, not a test: pytest never collects it. For each engine a fresh database (an SQLite
file in a temporary folder, or the PostgreSQL database `iph_bench_gi`, dropped at the end) is
migrated and loaded with the seed by `service.load_seed`, the path `iph setup` takes (the
importer writes the search terms). Each engine runs in a child process, as bench/records_1m.py
does: the app reads its database from the environment when it is imported.

Each search mode is a list of real queries made from the seed's names; every query runs
`--repeat` times. "database" is `at_database`: the statement of `search.find_candidates` (the
candidate rows), and for a category word the two of `search.category_page`; "whole" is
`service.search_products` (the candidates confirmed with
pinyin.matches, ordered, paged, and suggestions when nothing is found), no HTTP.
Prints a Markdown table; bench/README.md ("GI search") holds the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engines import DEFAULT_POSTGRES_URL, run_on_engines  # noqa: E402

BENCH_DATABASE = "iph_bench_gi"


def queries_by_mode(names: list[str], per_mode: int) -> dict[str, list[str]]:
    """Queries of each mode from the seed's names (every `step`-th name: spread, repeatable)."""
    from backend.geo_indications import pinyin

    plain = [name for name in names if len(name) >= 4 and name.isalnum()]
    step = max(1, len(plain) // per_mode)
    picked = plain[::step][:per_mode]
    first = [pinyin.readings(name)[0].split() for name in picked]
    return {
        "characters": [name[:2] for name in picked],
        "full pinyin": ["".join(syllables) for syllables in first],
        "pinyin with spaces": [" ".join(syllables[:3]) for syllables in first],
        "initials": ["".join(s[0] for s in syllables) for syllables in first],
        "mixed": [
            name[:2] + "".join(s[0] for s in syllables[2:])
            for name, syllables in zip(picked, first, strict=True)
        ],
        "english category": ["rice", "tea", "wine", "fruit", "fish", "herbs", "crafts"],
        "one letter": list("abcdefghjklmnpqrstwxyz"),
        "no match": [name[::-1] + "乙" for name in picked[: max(5, per_mode // 4)]],
    }


async def at_database(query: str) -> None:
    """The search's statements for the first page: the candidate rows, and for a category word
    the category's count and first page."""
    from backend.geo_indications import search, service

    await search.find_candidates(query, {})
    category = search.category_of_word(query)
    if category is not None:
        await search.category_page(category, {}, [], 0, service.PAGE_SIZE)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    at = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    return {"p50": statistics.median(ordered), "p99": at(0.99), "max": ordered[-1]}


async def timed(call, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def run_engine(args: argparse.Namespace) -> dict:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    with contextlib.redirect_stdout(io.StringIO()) as log:
        migrated = await run_forwards(app_name="all")
    assert migrated.success, log.getvalue()
    from backend.core.database import close_engine, open_engine
    from backend.geo_indications import service
    from backend.geo_indications.tables import GIProduct, GISearchTerm

    await open_engine(GIProduct._meta.db)  # as the app does: the pool, SQLite's read connections
    started = time.perf_counter()
    loaded = await service.load_seed()
    load_s = time.perf_counter() - started
    await GIProduct.raw("ANALYZE")  # the statistics autovacuum (or `iph setup`) would gather
    names = [row["name"] for row in await GIProduct.select(GIProduct.name).order_by(GIProduct.id)]
    figures: dict[str, dict] = {}
    for mode, queries in queries_by_mode(names, args.queries).items():
        database, whole, found = [], [], []
        for query in queries:
            await at_database(query)  # warm
            database += await timed(lambda q=query: at_database(q), args.repeat)
            whole += await timed(lambda q=query: service.search_products(q), args.repeat)
            found.append((await service.search_products(query)).total)
        figures[mode] = {
            "queries": len(queries),
            "database": percentiles(database),
            "whole": percentiles(whole),
            "found_median": statistics.median(found),
            "found_max": max(found),
        }
    postings = await GISearchTerm.count()
    await close_engine(GIProduct._meta.db)
    return {
        "products": loaded,
        "postings": postings,
        "load_s": load_s,
        "modes": figures,
        "loadavg": os.getloadavg()[0],
    }


def run_all(args: argparse.Namespace) -> None:
    options = [f"--queries={args.queries}", f"--repeat={args.repeat}"]
    print(
        markdown(run_on_engines(__file__, args.engines, options, args.postgres_url, BENCH_DATABASE))
    )


def markdown(figures: dict[str, dict]) -> str:
    lines = []
    for engine, result in figures.items():
        lines += [
            f"{engine}: {result['products']} products, {result['postings']:,} postings, "
            f"seed loaded with its terms in {result['load_s']:.1f} s "
            f"(load average {result['loadavg']:.1f})",
            "",
            "| mode | queries | database p50 / p99 ms | whole p50 / p99 ms | found median / max |",
            "|---|---|---|---|---|",
        ]
        for mode, row in result["modes"].items():
            db, whole = row["database"], row["whole"]
            lines.append(
                f"| {mode} | {row['queries']} | {db['p50']:.2f} / {db['p99']:.2f} "
                f"| {whole['p50']:.2f} / {whole['p99']:.2f} "
                f"| {row['found_median']:g} / {row['found_max']} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--queries", type=int, default=40, help="queries per mode")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(run_engine(args))))
    else:
        run_all(args)


if __name__ == "__main__":
    main()
