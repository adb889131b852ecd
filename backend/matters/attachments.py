"""Attachments to a matter: received within a size limit, checked by content, stored by token.

The pipeline, in order: `receive_upload` (backend/core/uploads.py, the rules every upload
follows) copies an async stream of byte chunks into a spooled temporary file and stops the
moment the limit is passed; `store_attachment` decides the type from the content alone (magic
bytes, then Pillow decoding the whole image, or a PDF's header and end-of-file marker),
re-encodes images upright, downscaled and without metadata, and writes the result under a
random token with temp file + `os.replace`. A refused upload comes back as
`Refused(reason)`, never an exception, and leaves nothing on disk. This module knows nothing of
HTTP: the route turns a `Refused` into a message in the person's language and a status code.
Decisions and what is not checked inside a PDF: docs/decisions/attachments.md.
"""

from __future__ import annotations

import enum
import hashlib
import io
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import AsyncIterable
from pathlib import Path
from typing import BinaryIO, NamedTuple

import anyio.to_thread
import msgspec

from backend.core import uploads
from backend.core.uploads import DECODE_SLOTS, ImageFormat, on_white, open_image, resized_in_srgb
from backend.core.uploads import MAX_PIXELS as MAX_PIXELS
from backend.core.uploads import Refusal as Refusal
from backend.core.uploads import Refused as Refused
from backend.core.uploads import declared_length_refusal as declared_length_refusal
from backend.core.uploads import receive_upload as receive_upload
from backend.core.uploads import upload_chunks as upload_chunks
from backend.settings import Settings

MAX_ATTACHMENT_BYTES = uploads.MAX_UPLOAD_BYTES
"""At most 10 MiB an attachment, counted on the bytes received (the multipart envelope aside)."""
MAX_LONG_SIDE = 2560
"""Images are downscaled to this long side: a page of A4 scanned at about 220 dpi."""
JPEG_QUALITY = 85
READ_CHUNK_BYTES = uploads.READ_CHUNK_BYTES
PDF_EOF_WINDOW = 1024
"""The `%%EOF` marker must be in a PDF's last 1024 bytes, as readers look for it (ISO 32000)."""
DISPLAY_NAME_MAX_CHARS = 120
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32): 256 bits, 43 characters


class StoredAttachment(msgspec.Struct, frozen=True, kw_only=True):
    """What a matter keeps of an attachment; the file itself is found again by `token`."""

    token: str
    media_type: str
    size: int
    sha256: str
    display_name: str
    """The person's file name, cleaned, for display only: never a path, never the stored name."""


class AttachmentFile(NamedTuple):
    file: BinaryIO
    media_type: str


class AttachmentNotFound(LookupError):
    """No attachment has this token (or the token could not be one)."""


class _Kind(enum.Enum):
    """What an attachment is stored as."""

    PDF = ("application/pdf", "pdf")
    JPEG = ("image/jpeg", "jpg")
    PNG = ("image/png", "png")

    def __init__(self, media_type: str, extension: str):
        self.media_type = media_type
        self.extension = extension


_STORED_KINDS = {kind.extension: kind for kind in _Kind}
# The image formats an attachment may be (WebP is not one: a scan or a photo never is).
_ACCEPTED_IMAGES = (ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.HEIF)


def attachments_dir(settings: Settings) -> Path:
    """Under var/, beside the database; no static route serves it (unlike var/marks)."""
    return settings.var_path / "attachments"


async def store_attachment(
    chunks: AsyncIterable[bytes],
    *,
    root: Path,
    filename: str | None = None,
    declared_length: int | None = None,
) -> StoredAttachment | Refused:
    """Receive, check, normalise and store one upload; a refusal stores nothing."""
    spool = await receive_upload(chunks, declared_length=declared_length)
    if isinstance(spool, Refused):
        return spool
    try:
        return await anyio.to_thread.run_sync(_check_and_store, spool, root, filename)
    finally:
        spool.close()


def open_attachment(token: str, *, root: Path) -> AttachmentFile:
    """The stored file, opened for reading; the token's shape is checked before any disk access."""
    if not is_token(token):
        raise AttachmentNotFound(token)
    for extension, kind in _STORED_KINDS.items():
        try:
            return AttachmentFile(_path_for(root, token, extension).open("rb"), kind.media_type)
        except FileNotFoundError:
            continue
    raise AttachmentNotFound(token)


def remove_attachment(token: str, *, root: Path) -> None:
    """Delete the stored file (the account that attached it is deleted); none is no error."""
    if not is_token(token):
        raise AttachmentNotFound(token)
    for extension in _STORED_KINDS:
        _path_for(root, token, extension).unlink(missing_ok=True)


def is_token(token: str) -> bool:
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None


def display_name(filename: str | None) -> str:
    """The last path segment, NFC, without control or formatting characters, at most 120."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        " " if unicodedata.category(c) == "Zs" else c
        for c in name
        if not unicodedata.category(c).startswith(("C", "Zl", "Zp"))
    )
    name = " ".join(name.split()).strip(" .")
    if len(name) > DISPLAY_NAME_MAX_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 8:
            name = f"{stem[: DISPLAY_NAME_MAX_CHARS - len(extension) - 2]}….{extension}"
        else:
            name = f"{name[: DISPLAY_NAME_MAX_CHARS - 1]}…"
    return name or "attachment"


def _check_and_store(
    spool: BinaryIO, root: Path, filename: str | None
) -> StoredAttachment | Refused:
    head = uploads.head_of(spool)
    if re.match(rb"%PDF-[12]\.\d", head):
        if not _pdf_ends_with_eof_marker(spool):
            return Refused(Refusal.CORRUPT)
        spool.seek(0)
        return _write(root, spool, _Kind.PDF, filename)
    image_format = uploads.sniff_image(head)
    if image_format not in _ACCEPTED_IMAGES:
        return Refused(Refusal.UNSUPPORTED_TYPE)
    with DECODE_SLOTS:
        decoded = open_image(spool, image_format, long_side=MAX_LONG_SIDE)
        if isinstance(decoded, Refused):
            return decoded
        data, stored_kind = _encoded(decoded, keep_png=image_format is ImageFormat.PNG)
    return _write(root, io.BytesIO(data), stored_kind, filename)


def _pdf_ends_with_eof_marker(spool: BinaryIO) -> bool:
    size = spool.seek(0, os.SEEK_END)
    spool.seek(max(0, size - PDF_EOF_WINDOW))
    return b"%%EOF" in spool.read()


def _encoded(decoded: uploads.DecodedImage, *, keep_png: bool) -> tuple[bytes, _Kind]:
    """Upright, at most MAX_LONG_SIDE, in sRGB, re-encoded without metadata."""
    image = resized_in_srgb(decoded, MAX_LONG_SIDE)
    transparent = image.mode == "RGBA" and image.getchannel("A").getextrema()[0] < 255
    if keep_png and transparent:
        kind, options = _Kind.PNG, {"optimize": True}
    else:
        if image.mode == "RGBA":
            image = on_white(image)
        kind, options = _Kind.JPEG, {"quality": JPEG_QUALITY, "optimize": True}
    image.info.clear()  # JPEG copies a comment and PNG an ICC profile from info when saving
    out = io.BytesIO()
    image.save(out, kind.name, **options)
    return out.getvalue(), kind


def _path_for(root: Path, token: str, extension: str) -> Path:
    return root / token[:2] / f"{token}.{extension}"


def _write(root: Path, source: BinaryIO, kind: _Kind, filename: str | None) -> StoredAttachment:
    """Copied into var/attachments/tmp, then renamed into place: a reader never sees half."""
    token = secrets.token_urlsafe(32)
    target = _path_for(root, token, kind.extension)
    staging = root / "tmp"
    staging.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    descriptor, temporary = tempfile.mkstemp(dir=staging, prefix=".part-")
    try:
        with os.fdopen(descriptor, "wb") as out:
            while block := source.read(READ_CHUNK_BYTES):
                digest.update(block)
                size += len(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return StoredAttachment(
        token=token,
        media_type=kind.media_type,
        size=size,
        sha256=digest.hexdigest(),
        display_name=display_name(filename),
    )
