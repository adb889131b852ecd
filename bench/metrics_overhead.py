"""What Litestar's Prometheus middleware (backend/core/metrics.py) adds to a request.

One trivial route, called straight through ASGI (no server, no client) in an app
without the middleware and in one with `prometheus_config()`'s; the difference is the
middleware's cost: counting, timing into the histogram, the in-progress gauge. Run:
`.venv/bin/python bench/metrics_overhead.py` (figures in bench/README.md, "/metrics").
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar import Litestar, get

from backend.core.metrics import prometheus_config

REQUESTS = 10_000
ROUNDS = 7
SCOPE = {
    "type": "http",
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "query_string": b"",
    "headers": [],
    "server": ("bench", 80),
    "client": ("192.0.2.1", 50000),
    "root_path": "",
}


@get("/items/{item_id:int}")
async def item(item_id: int) -> str:
    return "ok"


def app_of(with_metrics: bool) -> Litestar:
    return Litestar([item], middleware=[prometheus_config().middleware] if with_metrics else [])


async def microseconds_a_request(app: Litestar, requests: int) -> float:
    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        pass

    async def call(number: int) -> None:
        scope = {**SCOPE, "path": f"/items/{number}", "raw_path": b"", "state": {}}
        await app(scope, receive, send)

    for number in range(500):  # warm up
        await call(number)
    started = time.perf_counter()
    for number in range(requests):
        await call(number)
    return (time.perf_counter() - started) / requests * 1e6


async def main() -> None:
    """Rounds alternate between the two apps; the fastest round of each is reported, the one the
    other processes on the machine disturbed least."""
    plain_app, metered_app = app_of(False), app_of(True)
    plain, metered = [], []
    for _ in range(ROUNDS):
        plain.append(await microseconds_a_request(plain_app, REQUESTS))
        metered.append(await microseconds_a_request(metered_app, REQUESTS))
    print(f"without {min(plain):.1f} µs, with it {min(metered):.1f} µs a request (fastest of")
    print(f"{ROUNDS} rounds of {REQUESTS}): the middleware adds {min(metered) - min(plain):.1f} µs")


if __name__ == "__main__":
    asyncio.run(main())
