"""Running a benchmark once per database engine, each in a fresh database and a child process.

The app reads its database from the environment when it is imported, so each engine's run is a
child process of the benchmark's own script (`--child ENGINE`), which prints its figures as one
JSON line. SQLite gets a file in a temporary folder; PostgreSQL a database of the benchmark's
name, dropped at the end. Used by bench/gi_search.py and bench/matters.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


async def _postgres(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _child(script: str, engine: str, options: list[str], var_dir: str, url: str) -> dict:
    environment = {
        **os.environ,
        "PICCOLO_CONF": "backend.piccolo_conf",
        "IPH_VAR_DIR": var_dir,
        "IPH_DATABASE_URL": url,
        "IPH_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    output = subprocess.run(
        [sys.executable, script, "--child", engine, *options],
        env=environment,
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def run_on_engines(
    script: str, engines: list[str], options: list[str], postgres_url: str, database: str
) -> dict[str, dict]:
    """Each engine's figures: `script --child ENGINE *options` on a fresh database."""
    figures: dict[str, dict] = {}
    for engine in engines:
        var_dir = tempfile.mkdtemp(prefix=f"{database}-")
        drop = f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"
        if engine == "sqlite":
            url = f"sqlite:///{var_dir}/{database}.sqlite3"
        else:
            url = urlunsplit(urlsplit(postgres_url)._replace(path=f"/{database}"))
            asyncio.run(_postgres(postgres_url, drop))
            asyncio.run(_postgres(postgres_url, f"CREATE DATABASE {database}"))
        try:
            figures[engine] = _child(script, engine, options, var_dir, url)
        finally:
            if engine == "postgresql":
                asyncio.run(_postgres(postgres_url, drop))
            subprocess.run(["rm", "-rf", var_dir], check=False)
    return figures
