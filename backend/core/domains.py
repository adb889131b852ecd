"""What each domain adds to the app, in one place of its own (`backend/<domain>/domain.py`).

app.py lists the domains; each brings its controllers, the template globals its pages use, its
group in the site search and its part of a person's data (the export, and what deleting the
account must do beyond the database's ON DELETE CASCADE), its periodic jobs and the tasks its
queued jobs run. So the app is a readable list, and auth/privacy.py gathers a person's data
without importing every other domain.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from backend.core.jobs import PeriodicJob
from backend.settings import Settings


class PrivacyPart(msgspec.Struct, frozen=True):
    """A domain's part of a person's data: `export(account_id)` under `key` in the export;
    `erase(account_id, var_path)` runs before the account is deleted (its files on disk, say)."""

    key: str
    export: Callable[[int], Awaitable[Any]]
    erase: Callable[[int, Path], Awaitable[None]] | None = None


class JobContext(msgspec.Struct, frozen=True, kw_only=True):
    """What a periodic job may need from the app: its settings, its clock and its notifier."""

    settings: Settings
    clock: Callable[[], datetime]
    notifier: Any


class Domain(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    route_handlers: Sequence[Any] = ()
    template_globals: Mapping[str, Any] = {}
    search_sources: Sequence[Any] = ()
    privacy: Sequence[PrivacyPart] = ()
    jobs: Callable[[JobContext], Sequence[PeriodicJob]] | None = None
    tasks: Sequence[tuple[str, Callable[..., Awaitable[Any]]]] = ()  # queued jobs' (name, task)


def route_handlers_of(domains: Sequence[Domain]) -> list[Any]:
    return [handler for domain in domains for handler in domain.route_handlers]


def template_globals_of(domains: Sequence[Domain]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for domain in domains:
        clash = merged.keys() & domain.template_globals.keys()
        if clash:
            raise ValueError(f"{domain.name} redefines template globals {sorted(clash)}")
        merged.update(domain.template_globals)
    return merged


def search_sources_of(domains: Sequence[Domain]) -> tuple[Any, ...]:
    return tuple(source for domain in domains for source in domain.search_sources)


def privacy_parts_of(domains: Sequence[Domain]) -> tuple[PrivacyPart, ...]:
    return tuple(part for domain in domains for part in domain.privacy)


def periodic_jobs_of(domains: Sequence[Domain], context: JobContext) -> tuple[PeriodicJob, ...]:
    return tuple(job for domain in domains if domain.jobs for job in domain.jobs(context))


def job_tasks_of(domains: Sequence[Domain]) -> tuple[tuple[str, Any], ...]:
    """The tasks the scale profile's worker runs when a web worker or command queues them."""
    return tuple(task for domain in domains for task in domain.tasks)
