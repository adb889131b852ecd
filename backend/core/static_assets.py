"""Content-hashed static URLs and the app-shell version the service worker's cache is named by."""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

from backend.settings import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "frontend" / "static"
ICONS_DIR = PROJECT_ROOT / "pwa" / "icons"
TEMPLATES_DIR = PROJECT_ROOT / "frontend" / "templates"
SERVICE_WORKER_SOURCE = PROJECT_ROOT / "pwa" / "sw.js"

# Files whose change must give the shell a new version (and so a new cache name).
SHELL_INPUTS: tuple[Path, ...] = (
    SERVICE_WORKER_SOURCE,
    TEMPLATES_DIR / "base.html",
    TEMPLATES_DIR / "shell" / "offline.html",
)
# Precached by the service worker: small, needed to draw any page offline.
SHELL_FILES: tuple[str, ...] = (
    "css/app.css",
    "js/app.js",
    "vendor/htmx-4.0.1.min.js",
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class StaticAssets:
    """Hashes computed once at start-up; files do not change under a running process."""

    def __init__(self, static_dir: Path = STATIC_DIR, icons_dir: Path = ICONS_DIR) -> None:
        self.static_dir = static_dir
        self.icons_dir = icons_dir
        self._hashes = {
            path.relative_to(static_dir).as_posix(): _digest(path)[:10]
            for path in sorted(static_dir.rglob("*"))
            if path.is_file()
        }

    def url(self, name: str) -> str:
        """/static/<name>?v=<hash>: cacheable for a year, changed when the file changes."""
        return f"/static/{name}?v={self._hashes[name]}"

    def icon_url(self, name: str) -> str:
        return f"/icons/{name}"

    @cached_property
    def shell_urls(self) -> list[str]:
        return [self.url(name) for name in SHELL_FILES]

    @cached_property
    def shell_version(self) -> str:
        """One hash over every static file, icon, catalog and shell template."""
        hasher = hashlib.sha256()
        for name, digest in self._hashes.items():
            hasher.update(f"{name}:{digest}\n".encode())
        extra = [*SHELL_INPUTS, *sorted(self.icons_dir.glob("*")), *catalogs()]
        for path in extra:
            if path.is_file():
                hasher.update(f"{path.name}:{_digest(path)}\n".encode())
        return hasher.hexdigest()[:12]


def catalogs() -> list[Path]:
    return sorted((PROJECT_ROOT / "locales").glob("*/LC_MESSAGES/messages.mo"))
