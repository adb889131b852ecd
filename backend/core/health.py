"""Liveness and readiness for the process manager and the load balancer."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from backend.core.database import database_problem
from backend.core.stores import store_problem


class Readiness(msgspec.Struct):
    status: str
    problems: list[str]


# Probes need no CSRF cookie (drawing one is a system call and a Set-Cookie per probe).
PROBE = {"skip_rate_limit": True, "exclude_from_csrf": True}


@get("/healthz", media_type="text/plain", cache_control=None, opt=PROBE)
async def healthz() -> str:
    return "ok"


@get("/readyz", opt=PROBE)
async def readyz(request: Request) -> Response[Readiness]:
    state = request.app.state
    problems = [
        problem
        for problem in (
            await database_problem(state.engine),
            await store_problem(request.app.stores.get("readiness")),
        )
        if problem
    ]
    return Response(
        Readiness(status="not ready" if problems else "ready", problems=problems),
        status_code=HTTP_503_SERVICE_UNAVAILABLE if problems else HTTP_200_OK,
        headers={"Cache-Control": "no-store"},
    )
