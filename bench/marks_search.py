"""Trademark image search over the demo marks: recall, rank and latency per distortion.

    .venv/bin/python bench/marks_search.py                        # 10,000 marks, 540 queries
    .venv/bin/python bench/marks_search.py --marks 100000
    .venv/bin/python bench/marks_search.py --marks 2000 --queries 90 --no-ocr   # a quick look
    .venv/bin/python bench/marks_search.py --marks 100000 --keep /var/tmp/marks-100k  # load once


A benchmark, not a test: pytest never collects it. A fresh SQLite database in a temporary
folder (the embedded profile; the index is the same MarkEntry rows on PostgreSQL) is migrated
and loaded with `--marks` demo marks the way `make run` loads them (drawn, kept under var/marks,
imported, indexed: "load"); then `rebuild_index` makes the index again from scratch ("build").
The query set is seeded: `--queries` marks drawn at random from those indexed, each photographed
by one distortion of tests/marks/photos.py in turn (the eight alone and all together), and
searched with `service.search_marks` (OCR included unless --no-ocr), as the web side calls it.
A mark not in the first 100 counts as rank 101. Prints Markdown tables; bench/README.md
("Trademark image search") holds the figures.

With --keep DIR the folder is kept: a later run with the same DIR and --marks searches the
database loaded and built there (its load and build figures are the first run's), so that the
search can be measured again, on quiet cores or with other settings (--coarse-from-rows), without
the 100,000-mark load of half an hour.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MISSED = 101
LOADED = "bench-loaded.json"  # in a kept folder: what was loaded there, and how long it took


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _row(name: str, ranks: list[int], seconds: list[float]) -> str:
    count = len(ranks)
    return (
        f"| {name} | {count} | {sum(r <= 1 for r in ranks) / count:.2f} "
        f"| {sum(r <= 10 for r in ranks) / count:.2f} | {sum(r <= 100 for r in ranks) / count:.2f} "
        f"| {statistics.mean(ranks):.1f} | {statistics.median(ranks):.0f} "
        f"| {_percentile(seconds, 0.5) * 1000:.0f} | {_percentile(seconds, 0.95) * 1000:.0f} |"
    )


async def _load_and_build(marks: int, marks_dir: Path, kept: Path) -> dict:
    """Load and build, or the figures of a kept folder's earlier load and build."""
    from backend.marks import service
    from backend.marks.demo import load_demo_marks

    figures_file = kept / LOADED
    if figures_file.exists():
        figures = json.loads(figures_file.read_text())
        if figures["marks"] == marks:
            return figures
        raise SystemExit(f"{kept} holds {figures['marks']:,} marks, not {marks:,}")
    started = time.perf_counter()
    await load_demo_marks(marks, marks_dir)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    entries = await service.rebuild_index()
    figures = {
        "marks": marks,
        "load": load_seconds,
        "build": time.perf_counter() - started,
        "entries": entries,
    }
    figures_file.write_text(json.dumps(figures))
    return figures


async def main(marks: int, queries: int, ocr: bool, seed: int, kept: Path) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from backend.core import database
    from backend.marks import index, service, text
    from backend.marks.demo import demo_mark
    from backend.marks.schemas import MarkFilters
    from backend.marks.tables import MarkEntry
    from backend.settings import Settings
    from tests.marks.photos import ALL, DISTORTIONS, distortion_names, photo

    settings = Settings.from_env()
    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards(app_name="all")
    assert result.success, result.message
    engine = MarkEntry._meta.db
    await database.open_engine(engine)
    marks_dir = settings.var_path / "marks"
    figures = await _load_and_build(marks, marks_dir, kept)

    started = time.perf_counter()
    loaded = await index.INDEX.current()
    memory_seconds = time.perf_counter() - started
    stored = sum(len(row["descriptor"]) for row in await MarkEntry.select(MarkEntry.descriptor))
    image_bytes = sum(path.stat().st_size for path in marks_dir.iterdir())
    database_bytes = settings.sqlite_path.stat().st_size

    if not ocr:
        text.read_text = lambda image: []  # image matching alone
    names = [*DISTORTIONS, ALL]
    rng = random.Random(seed)
    ranks: dict[str, list[int]] = {name: [] for name in names}
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for number in range(queries):
        name = names[number % len(names)]
        mark = demo_mark(rng.randrange(marks))
        query = photo(mark.image, distortion_names(name), rng)
        started = time.perf_counter()
        found = await service.search_marks(query, MarkFilters(), limit=100)
        seconds[name].append(time.perf_counter() - started)
        numbers = [match.number for match in found.matches]
        ranks[name].append(numbers.index(mark.number) + 1 if mark.number in numbers else MISSED)
    await database.close_engine(engine)

    print(f"## {marks:,} marks, {queries} queries, OCR {'on' if ocr else 'off'}, seed {seed}\n")
    print(f"- load (draw, keep, import, index): {figures['load']:.0f} s")
    print(
        f"- build (rebuild_index from scratch): {figures['build']:.0f} s, "
        f"{figures['entries']:,} entries"
    )
    print(f"- coarse pass from {service.COARSE_FROM_ROWS:,} rows, {service.COARSE_KEPT:,} kept")
    print(f"- into memory: {memory_seconds:.1f} s; matrix {loaded.vectors.nbytes / 2**20:.0f} MiB")
    print(f"- descriptors stored: {stored / 2**20:.1f} MiB")
    print(f"- database file: {database_bytes / 2**20:.0f} MiB")
    print(f"- mark images: {image_bytes / 2**20:.0f} MiB\n")
    print(
        "| distortion | queries | recall@1 | recall@10 | recall@100 | mean rank | median rank "
        "| p50 ms | p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        print(_row(name, ranks[name], seconds[name]))
    every_rank = [rank for name in names for rank in ranks[name]]
    every_second = [second for name in names for second in seconds[name]]
    print(_row("overall", every_rank, every_second))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--marks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=540)
    parser.add_argument("--no-ocr", dest="ocr", action="store_false")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", type=Path, help="a folder to load into once and search again")
    parser.add_argument("--coarse-from-rows", type=int, help="service.COARSE_FROM_ROWS instead")
    arguments = parser.parse_args()
    var_dir = arguments.keep or Path(tempfile.mkdtemp(prefix="iph-bench-marks-"))
    var_dir.mkdir(parents=True, exist_ok=True)
    if (var_dir / "iph.sqlite3").exists() and not (var_dir / LOADED).exists():
        raise SystemExit(f"{var_dir} holds a load that did not finish: empty it first")
    os.environ.update({"IPH_VAR_DIR": str(var_dir), "IPH_DATABASE_URL": "", "IPH_REDIS_URL": ""})
    os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")
    if arguments.coarse_from_rows is not None:
        from backend.marks import service

        service.COARSE_FROM_ROWS = arguments.coarse_from_rows
    asyncio.run(main(arguments.marks, arguments.queries, arguments.ocr, arguments.seed, var_dir))
