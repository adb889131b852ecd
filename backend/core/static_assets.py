"""Content-hashed static URLs and the app-shell version the service worker's cache is named by."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
from functools import cached_property, lru_cache
from pathlib import Path

import brotli
from litestar import Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from backend.core.compression import encoding_for
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

    def encoded(self, name: str, encoding: str) -> bytes:
        """The file's bytes in `encoding` (br, gzip or identity), compressed once at the
        highest quality: static files are compressed when first asked for, not per request."""
        if name not in self._hashes:
            raise KeyError(name)
        return _encoded(self.static_dir / name, encoding)

    def export(self, target: Path) -> int:
        """Write every static file under `target` with `.br` and `.gz` copies beside it, the
        very bytes served here, for a reverse proxy to serve from disk (deploy/nginx/iph.conf:
        brotli_static, gzip_static). Each file is replaced whole, so a proxy reading the folder
        meanwhile never sees half a file. Returns how many files were written."""
        written = 0
        for name in self._hashes:
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            for suffix, encoding in (("", "identity"), (".br", "br"), (".gz", "gzip")):
                _replace(
                    destination.with_name(destination.name + suffix),
                    _encoded(self.static_dir / name, encoding),
                )
                written += 1
        return written

    def etag(self, name: str, encoding: str) -> str:
        return f'"{self._hashes[name]}-{encoding}"'

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


# Brotli 11 spends seconds on a large file, on the event loop of the first request for it: the
# API docs' Swagger UI (1.7 MB) takes 3.7 s at 11 and 0.2 s at 9, which is 9 % larger (392 KB).
LARGE_FILE_BYTES = 100 * 1024


@lru_cache(maxsize=64)
def _encoded(path: Path, encoding: str) -> bytes:
    raw = path.read_bytes()
    if encoding == "br":
        return brotli.compress(raw, quality=11 if len(raw) < LARGE_FILE_BYTES else 9)
    if encoding == "gzip":
        return gzip.compress(raw, compresslevel=9, mtime=0)
    return raw


def _replace(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


# Static URLs carry their content hash (?v=…), so a year of caching is safe.
IMMUTABLE = CacheControlHeader(max_age=365 * 24 * 3600, public=True)


@get(
    "/static/{name:path}",
    cache_control=IMMUTABLE,
    include_in_schema=False,
    opt={"skip_rate_limit": True, "skip_compression": True},
)
async def static_file(request: Request, name: FromPath[str]) -> Response[bytes]:
    """The shell's CSS and scripts, pre-compressed: brotli 11 makes htmx 12.0 KB against 13.9 KB
    at the pages' quality (the first visit's 50 KB budget) and costs nothing per request."""
    assets: StaticAssets = request.app.state.assets
    name = name.lstrip("/")
    encoding = encoding_for(request.headers.get("accept-encoding", ""))
    try:
        body = assets.encoded(name, encoding)
    except KeyError as error:
        raise NotFoundException from error
    headers = {"Vary": "Accept-Encoding", "ETag": assets.etag(name, encoding)}
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(b"", status_code=304, headers=headers)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(body, media_type=media_type, headers=headers)
