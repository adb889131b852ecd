"""A short statement's CPU in a write transaction: Piccolo's `Table.raw` against
`database.execute` (core/database.py), on the embedded profile, in process.

    PYTHONPATH=. taskset -c 0 .venv/bin/python bench/raw_statements.py

A fresh var dir set up with `iph setup`; then, each way twice, 300 write transactions of 10
statements (`SELECT` of three values); CPU time (process_time) per statement, BEGIN and COMMIT
shared among the ten.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATEMENT = "SELECT {} AS a, {} AS b, {} AS c"
TRANSACTIONS, STATEMENTS = 300, 10


async def measure() -> None:
    from backend.app import app
    from backend.auth.tables import AttemptCounter
    from backend.core import database

    ways = {
        "Table.raw": lambda: AttemptCounter.raw(STATEMENT, 1, "x", 3),
        "database.execute": lambda: database.execute(AttemptCounter, STATEMENT, 1, "x", 3),
    }
    async with app.lifespan():
        for name, statement in [*ways.items()] * 2:
            started = time.process_time()
            for _ in range(TRANSACTIONS):
                async with database.write_transaction(app.state.engine):
                    for _ in range(STATEMENTS):
                        await statement()
            spent = (time.process_time() - started) / (TRANSACTIONS * STATEMENTS)
            print(f"{name}: {spent * 1e6:.1f} µs of CPU a statement")


def main() -> None:
    var_dir = tempfile.mkdtemp(prefix="iph-bench-raw-")
    os.environ.update(IPH_VAR_DIR=var_dir, PICCOLO_CONF="backend.piccolo_conf")
    setup = [str(ROOT / ".venv/bin/litestar"), "--app", "backend.app:app", "iph", "setup"]
    subprocess.run(
        setup, cwd=ROOT, env={**os.environ, "IPH_DEMO_MARKS": "0"}, check=True, capture_output=True
    )
    sys.path.insert(0, str(ROOT))
    asyncio.run(measure())


if __name__ == "__main__":
    main()
