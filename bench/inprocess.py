"""The app's own cost per request, driven in-process: no server, no network, no load generator.

    .venv/bin/python bench/inprocess.py [FACTORY] [PATH] [--requests 3000] [--rounds 5]

FACTORY defaults to `bench.variants:record_pages_uncached` (every record page a miss of an empty
page cache) and PATH to the record run.py measures. The app is built, migrated and seeded in a
fresh temporary var dir as run.py does, started (lifespan), warmed up, then called N times per
round with `Accept-Encoding: br, gzip`; each round prints µs per request of wall and of CPU
time. On this shared machine these move far less than wrk's requests per second, which is why
bench/README.md's step-by-step table uses them. Pin it to one core to match run.py:
`taskset -c 0 .venv/bin/python bench/inprocess.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import a_record_page, app_env, setup_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("factory", nargs="?", default="bench.variants:record_pages_uncached")
    parser.add_argument(
        "path",
        nargs="?",
        default=None,
        help="with its query if any (default: run.py's record page)",
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iph-inprocess-") as var_dir:
        setup_database(Path(var_dir))
        path = args.path or a_record_page(Path(var_dir))
        os.environ.update(app_env(Path(var_dir), IPH_STORE_NAMESPACE="uncached"))
        module, name = args.factory.split(":")
        app = getattr(importlib.import_module(module), name)()
        asyncio.run(measure(app, path, args))


async def measure(app, path: str, args: argparse.Namespace) -> None:
    async with app.lifespan():  # Litestar's own start-up and shutdown
        status, size = await request(app, path)
        print(f"GET {path}: {status}, {size} B (br)")
        for _ in range(300):
            await request(app, path)
        for _ in range(args.rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.requests):
                await request(app, path)
            wall = (time.perf_counter() - wall) / args.requests * 1e6
            cpu = (time.process_time() - cpu) / args.requests * 1e6
            print(f"{wall:.0f} µs wall, {cpu:.0f} µs CPU per request")


async def request(app, path: str) -> tuple[int, int]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path.partition("?")[0],
        "raw_path": path.partition("?")[0].encode(),
        "root_path": "",
        "query_string": path.partition("?")[2].encode(),
        "headers": [(b"host", b"127.0.0.1"), (b"accept-encoding", b"br, gzip")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status, size = 0, 0

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            size += len(message.get("body", b""))

    await app(scope, receive, send)
    return status, size


if __name__ == "__main__":
    main()
