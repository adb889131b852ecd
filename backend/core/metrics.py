"""/metrics in Prometheus's text format: Litestar's Prometheus integration and our own figures.

Requests are counted and timed by Litestar's PrometheusMiddleware, labelled with the route's
template (`/records/{number:str}`), never the raw path, so a crawler cannot grow the label set.
Pages the page cache answers at the front door (core/page_cache.py) never reach the middleware:
they are counted as page-cache hits here instead. The queue's figures (depth, jobs retried and
failed, counted in Redis by the workers that ran them) are read from Redis at each scrape, so
every web worker reports the same numbers whichever worker ran the jobs.

Several uvicorn workers each count their own requests: with PROMETHEUS_MULTIPROC_DIR set (an
empty folder, emptied at each start), prometheus_client writes each process's counts there and
/metrics sums them (its multiprocess mode, which Litestar's controller reads).

/metrics is not for the public: with IPH_METRICS_TOKEN set it asks for that bearer token;
without one it answers only on the loopback address (the reverse proxy does not pass it on).
"""

from __future__ import annotations

import logging
import os
import secrets

from litestar import Request, get
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.plugins.prometheus import (
    PrometheusConfig,
    PrometheusController,
    PrometheusMiddleware,
)
from litestar.response import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from saq.queue.redis import RedisQueue

from backend.core.jobs import job_counts_key

logger = logging.getLogger("backend.metrics")
METRICS_PATH = "/metrics"
LOOPBACK = frozenset({"127.0.0.1", "::1"})

_page_cache_lookups = Counter(
    "iph_page_cache_lookups",
    "Public pages looked up in the page cache before the app, by result (hit or miss).",
    ["result"],
)
PAGE_CACHE_HITS = _page_cache_lookups.labels(result="hit")
PAGE_CACHE_MISSES = _page_cache_lookups.labels(result="miss")


class _RouteTemplateMiddleware(PrometheusMiddleware):
    """Litestar's middleware, labelling by the route template without first parsing the URL (its
    own reads `request.url.path` before replacing it with the template: bench/metrics_overhead.py).
    """

    def _get_default_labels(self, request: Request) -> dict[str, str | int | float]:
        return {
            "method": request.scope["method"],
            "path": request.scope["path_template"],
            "status_code": 200,
            "app_name": self._config.app_name,
        }


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="iph",
        prefix="iph",
        group_path=True,  # the route template, not the path asked for
        exclude=[f"^{METRICS_PATH}$", "^/healthz$", "^/readyz$"],
        scopes={"http"},
        middleware_class=_RouteTemplateMiddleware,
    )


async def metrics_access(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """The bearer token of IPH_METRICS_TOKEN, or (without one) a client on this machine.
    (Async, as every guard here: Litestar runs a sync guard in a worker thread.)"""
    token = connection.app.state.settings.metrics_token
    if token:
        given = connection.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise NotAuthorizedException
        return
    if connection.client is None or connection.client.host not in LOOPBACK:
        raise NotFoundException


class MetricsController(PrometheusController):
    path = METRICS_PATH

    @get(guards=[metrics_access], include_in_schema=False, opt={"skip_rate_limit": True})
    async def get(self, request: Request) -> Response:
        registry = REGISTRY
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # several processes: their counts summed
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
        if request.app.state.jobs is not None:
            body += generate_latest(_Figures(await queue_figures(request.app.state.jobs)))
        return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})


class _Figures(CollectorRegistry):
    """A registry of figures read beforehand (the queue's, read from Redis without blocking)."""

    def __init__(self, figures: list[Metric]) -> None:
        super().__init__(auto_describe=False)
        self.figures = figures

    def collect(self):
        yield from self.figures


async def queue_figures(queue: RedisQueue) -> list[Metric]:
    reachable = GaugeMetricFamily("iph_queue_up", "1 when the job queue's Redis answered.")
    try:
        depth = {kind: await queue.count(kind) for kind in ("queued", "active", "incomplete")}
        counts = await queue.redis.hgetall(job_counts_key(queue))
    except Exception as error:  # Redis away: say so, the other figures still go out
        logger.warning("queue figures unread: %r", error)
        reachable.add_metric([], 0)
        return [reachable]
    reachable.add_metric([], 1)
    jobs = GaugeMetricFamily(
        "iph_queue_jobs",
        "Jobs in the queue: queued (waiting for a worker), active (running), incomplete "
        "(every job not finished, those waiting to be retried included).",
        labels=["state"],
    )
    for kind, count in depth.items():
        jobs.add_metric([kind], count)
    retried = CounterMetricFamily(
        "iph_jobs_retried", "Job attempts that failed and were retried, by job.", labels=["job"]
    )
    failed = CounterMetricFamily(
        "iph_jobs_failed", "Jobs that failed their last attempt (the failed list).", labels=["job"]
    )
    for field, value in sorted(counts.items()):
        name, _, outcome = field.decode().rpartition("|")
        (failed if outcome == "failed" else retried).add_metric([name], int(value))
    return [reachable, jobs, retried, failed]
