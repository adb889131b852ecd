"""create_app(settings): the one place that wires plugins, routes and stores."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import msgspec
from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.config.response_cache import ResponseCacheConfig
from litestar.datastructures import State
from litestar.logging.config import LoggingConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXConfig, HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig

from backend.auth.domain import DOMAIN as AUTH
from backend.auth.guards import CurrentAccountMiddleware, SignInRequired, send_to_sign_in
from backend.auth.passkeys import RelyingParty
from backend.auth.service import AuthEnvironment
from backend.auth.sessions import SessionPolicy
from backend.business_register.service import register_for
from backend.certificates.api_keys import API_KEY_COMPONENTS
from backend.certificates.domain import DOMAIN as CERTIFICATES
from backend.cli import IPHCLIPlugin
from backend.core import database, domains, page_cache, stores
from backend.core.api_docs import SwaggerUIPage
from backend.core.compression import compression_config
from backend.core.errors import render_error
from backend.core.health import healthz, readyz
from backend.core.jobs import job_queue_for
from backend.core.metrics import MetricsController, prometheus_config
from backend.core.middleware import LocaleMiddleware, add_content_language
from backend.core.rate_limit import CountingRateLimitMiddleware
from backend.core.request_log import with_request_log
from backend.core.scheduler import Scheduler
from backend.core.security import security_headers_hook
from backend.core.sessions import LazySessionConfig
from backend.core.static_assets import (
    ICONS_DIR,
    IMMUTABLE,
    SERVICE_WORKER_SOURCE,
    TEMPLATES_DIR,
    StaticAssets,
    static_file,
)
from backend.core.templating import configure_jinja
from backend.core.view_cache import KeptViews
from backend.geo_indications.domain import DOMAIN as GEO_INDICATIONS
from backend.guides.domain import DOMAIN as GUIDES
from backend.idempotency.domain import DOMAIN as IDEMPOTENCY
from backend.inquiries.domain import DOMAIN as INQUIRIES
from backend.inquiries.marks import MARK_URL_PREFIX
from backend.jobs import service as failed_jobs
from backend.jobs.domain import DOMAIN as JOBS
from backend.marks.domain import DOMAIN as MARKS
from backend.matters import queue_shown
from backend.matters.domain import DOMAIN as MATTERS
from backend.notifications import service as notifications
from backend.notifications.domain import DOMAIN as NOTIFICATIONS
from backend.notifications.email import mail_sender_for
from backend.notifications.push import PushSender, vapid_private_key
from backend.notifications.service import Notifier
from backend.outlets.domain import DOMAIN as OUTLETS
from backend.reviews import published as reviews_published
from backend.reviews.domain import DOMAIN as REVIEWS
from backend.settings import Settings
from backend.shell.domain import DOMAIN as SHELL

# The domains, each with its controllers, template globals, site-search group, part of a
# person's data and periodic jobs (backend/<domain>/domain.py). The site search lists its groups
# in this order when equally good, and the first source that claims a whole query (a number)
# answers it.
DOMAINS = (
    SHELL,
    MATTERS,
    GUIDES,
    INQUIRIES,
    GEO_INDICATIONS,
    OUTLETS,
    AUTH,
    NOTIFICATIONS,
    CERTIFICATES,
    REVIEWS,
    IDEMPOTENCY,
    MARKS,
    JOBS,
)
# Requests that must never be throttled or that serve immutable files.
RATE_LIMIT_EXEMPT = ["/static/", "/icons/", "/healthz", "/readyz"]
# Public pages served from the page cache (their routes say `cache=`): record pages, GI
# products' pages and the reviews' disclosure.
CACHED_PAGE_PREFIXES = ("/records/", "/gi/", "/disclosure")
# Pages kept under their family's generation (core/page_cache.py), forgotten all at once.
CACHED_PAGE_FAMILIES = (reviews_published.DISCLOSURE_PATH,)
# File stores whose expired entries the scheduler purges (Redis expires keys itself).
FILE_STORES = ("sessions", "rate_limit", "challenges", "codes", page_cache.PAGE_CACHE_STORE)


def _service_worker_source(assets: StaticAssets) -> str:
    """pwa/sw.js with the shell version (its cache name) and precache list filled in.

    Its full-line comments are for the people who read pwa/sw.js: left out, they save every first
    visit about 0.6 KB of its 50 KB budget (DESIGN.md "Budgets").
    """
    lines = SERVICE_WORKER_SOURCE.read_text().splitlines()
    source = "\n".join(line for line in lines if not line.lstrip().startswith("//")) + "\n"
    return source.replace("__SHELL_VERSION__", assets.shell_version).replace(
        "__PRECACHE_URLS__", msgspec.json.encode(["/offline", *assets.shell_urls]).decode()
    )


def _auth_environment(settings: Settings, registry: StoreRegistry) -> AuthEnvironment:
    return AuthEnvironment(
        party=RelyingParty(
            id=settings.relying_party_id, name="IP Handheld", origins=(settings.origin,)
        ),
        challenges=registry.get("challenges"),
        codes=registry.get("codes"),
        mail=mail_sender_for(settings.smtp_url, settings.mail_from, settings.outbox_path),
        secret=settings.resolved_secret_key().encode(),
        clock=lambda: datetime.now(UTC),
    )


async def _throttled(request: Request) -> bool:
    """The shared limiter counts requests that change something and the API.

    Reading a page costs less than counting it in the store (about 1 ms a request, bench/), and
    page reads are the reverse proxy's to limit. (Async: Litestar runs a sync one in a thread.)
    """
    return request.method not in {"GET", "HEAD", "OPTIONS"} or request.url.path.startswith("/api/")


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    engine = database.engine_for(settings)
    database.bind_tables(engine)
    assets = StaticAssets()

    marks_dir = settings.var_path / "marks"
    marks_dir.mkdir(parents=True, exist_ok=True)
    scheduler = Scheduler()
    registry = stores.store_registry_for(settings)
    page_store = page_cache.PageStore(registry.get(page_cache.PAGE_CACHE_STORE))
    registry.register(page_cache.PAGE_CACHE_STORE, page_store, allow_override=True)
    kept_views = KeptViews(page_store.store)
    # Once a write that moved a review figure commits, the disclosure is forgotten; once one
    # that moved a matter in the staff queue does, that outlet's queue.
    database.when_committed(
        engine, reviews_published.SHOWN, reviews_published.forgetting(page_store)
    )
    database.when_committed(engine, queue_shown.SHOWN, queue_shown.forgetting(kept_views))
    if not settings.redis_url:
        scheduler.every(
            600, "purge-expired-sessions", lambda: stores.purge_expired(registry, FILE_STORES)
        )

    auth = _auth_environment(settings, registry)
    push = PushSender(
        vapid_private_key(settings.vapid_private_key, settings.vapid_key_path),
        subject=settings.vapid_subject,
        services=settings.push_service_list,
    )
    job_queue = job_queue_for(settings)  # the scale profile's, for `litestar iph worker`
    notifier = Notifier(auth.mail, push, job_queue)
    database.when_committed(engine, notifications.RECORDED, notifier.deliver_recorded)
    # The jobs read the clock through `auth`, so a clock a test holds or moves there
    # (app.state.auth.clock; tests/browser/server_app.py) is theirs too.
    periodic_jobs = domains.periodic_jobs_of(
        DOMAINS,
        domains.JobContext(settings=settings, clock=lambda: auth.clock(), notifier=notifier),
    )
    if job_queue is None:  # embedded: this process runs them
        for job in periodic_jobs:
            scheduler.every(job.every.total_seconds(), job.name, job.run)

    async def start() -> None:
        await database.open_engine(engine, statement_seconds=database.REQUEST_STATEMENT_SECONDS)
        await scheduler.start()
        # Objects made at start-up live as long as the process: keep them out of the
        # collector's full passes, which otherwise pause the server for ~100 ms (bench/).
        gc.collect()
        gc.freeze()

    async def stop() -> None:
        await scheduler.stop()
        await notifier.finish_pushes(timeout=5)
        await database.close_engine(engine)

    app = Litestar(
        route_handlers=[
            *domains.route_handlers_of(DOMAINS),
            healthz,
            readyz,
            MetricsController,
            static_file,
            create_static_files_router(
                path=MARK_URL_PREFIX.rstrip("/"),
                directories=[marks_dir],
                cache_control=IMMUTABLE,  # named by their content hash (inquiries/marks.py)
                opt={"skip_rate_limit": True},
                include_in_schema=False,
            ),
            create_static_files_router(
                path="/icons",
                directories=[ICONS_DIR],
                include_in_schema=False,
            ),
        ],
        # htmx's responses (ClientRedirect), but not its request class: no route reads
        # request.htmx (core/htmx.py reads the headers), and each HTMXRequest and its details
        # refer to each other, garbage only the cycle collector frees (3 a request; bench/).
        plugins=[HTMXPlugin(HTMXConfig(set_request_class_globally=False)), IPHCLIPlugin()],
        middleware=[
            prometheus_config().middleware,  # first: it times the whole stack
            LazySessionConfig(
                store="sessions",
                key="iph_session",
                max_age=settings.session_idle_minutes * 60,
                renew_on_access=False,  # renewed when written (core/sessions.py)
                secure=settings.cookies_secure,
                httponly=True,
                samesite="lax",
            ).middleware,
            CurrentAccountMiddleware(
                SessionPolicy(
                    idle=timedelta(minutes=settings.session_idle_minutes),
                    staff_idle=timedelta(minutes=settings.staff_idle_minutes),
                    absolute=timedelta(hours=settings.session_absolute_hours),
                )
            ),
            LocaleMiddleware(),
            RateLimitConfig(
                rate_limit=("minute", settings.rate_limit_per_minute),
                exclude=RATE_LIMIT_EXEMPT,
                exclude_opt_key="skip_rate_limit",
                check_throttle_handler=_throttled,
                middleware_class=CountingRateLimitMiddleware,
            ).middleware,
        ],
        csrf_config=CSRFConfig(
            secret=settings.resolved_secret_key(),
            cookie_name="iph_csrf",
            cookie_secure=settings.cookies_secure,
            cookie_samesite="lax",
            header_name="x-csrftoken",
        ),
        response_cache_config=ResponseCacheConfig(
            store=page_cache.PAGE_CACHE_STORE, cache_response_filter=page_cache.should_store
        ),
        compression_config=compression_config(),
        template_config=TemplateConfig(
            directory=TEMPLATES_DIR,
            engine=JinjaTemplateEngine,
            engine_callback=lambda jinja: configure_jinja(
                jinja, assets, domains.template_globals_of(DOMAINS)
            ),
        ),
        openapi_config=OpenAPIConfig(
            title="IP Handheld API",
            version="1",
            path="/schema",
            components=API_KEY_COMPONENTS,  # the data interface's X-API-Key
            # Drawn from the app's own files, under the pages' CSP (core/api_docs.py).
            render_plugins=[SwaggerUIPage()],
        ),
        stores=registry,
        logging_config=LoggingConfig(
            root={"handlers": ["queue_listener"], "level": settings.log_level},
            formatters={"standard": {"format": "%(message)s"}},
        ),
        exception_handlers={SignInRequired: send_to_sign_in, Exception: render_error},
        before_send=[
            security_headers_hook(
                hsts=settings.cookies_secure, sandboxed_prefixes=(MARK_URL_PREFIX,)
            ),
            add_content_language,
        ],
        on_startup=[start],
        on_shutdown=[stop],
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "assets": assets,
                "kept_views": kept_views,  # signed-in pages' shared parts (core/view_cache.py)
                "service_worker_source": _service_worker_source(assets),
                "auth": auth,
                "notify": notifier,
                "business_register": register_for(settings),  # the adapter the settings name
                "push": push,
                "jobs": job_queue,
                "periodic_jobs": periodic_jobs,
                "scheduler": scheduler,
                "job_tasks": domains.job_tasks_of(DOMAINS),
                "record_failed_job": failed_jobs.record_failure,  # the worker's failed list
                "search_sources": domains.search_sources_of(DOMAINS),
                "privacy_parts": domains.privacy_parts_of(DOMAINS),
            }
        ),
    )
    # Wrap the whole handler (not a route middleware) so that requests matching no route are
    # logged with a request id too.
    # Cached public pages are answered in front of the middleware (core/page_cache.py).
    cached_pages = page_cache.front_door(
        app.asgi_handler, page_store, CACHED_PAGE_PREFIXES, families=CACHED_PAGE_FAMILIES
    )
    app.asgi_handler = with_request_log(cached_pages)
    return app


app = create_app()
