"""Attachments to a matter: received within a size limit, checked by content, stored by token.

The pipeline, in order: `receive_upload` copies an async stream of byte chunks into a spooled
temporary file and stops the moment the limit is passed; `store_attachment` decides the type
from the content alone (magic bytes, then Pillow decoding the whole image, or a PDF's header and
end-of-file marker), re-encodes images upright, downscaled and without metadata, and writes the
result under a random token with temp file + `os.replace`. A refused upload comes back as
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
import threading
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

import anyio.to_thread
import msgspec
import pillow_heif
from PIL import Image, ImageCms, ImageOps

from backend.settings import Settings

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
"""At most 10 MiB an attachment, counted on the bytes received (the multipart envelope aside)."""
MAX_PIXELS = 64_000_000
"""A 50 MP phone photo (8160 × 6120) passes; 64 M pixels decode to at most 256 MB in RGBA."""
MAX_LONG_SIDE = 2560
"""Images are downscaled to this long side: a page of A4 scanned at about 220 dpi."""
JPEG_QUALITY = 85
READ_CHUNK_BYTES = 64 * 1024
SPOOL_IN_MEMORY_BYTES = 1024 * 1024
PDF_EOF_WINDOW = 1024
"""The `%%EOF` marker must be in a PDF's last 1024 bytes, as readers look for it (ISO 32000)."""
DISPLAY_NAME_MAX_CHARS = 120
# Two decodes at once per process bound the memory a burst of large photos can take.
_DECODE_SLOTS = threading.BoundedSemaphore(2)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32): 256 bits, 43 characters
_SRGB = ImageCms.createProfile("sRGB")

# HEIC/HEIF through Pillow. Embedded thumbnails, depth and auxiliary images are never used: not
# reading them leaves less of libheif to reach and lets `draft` never pick a thumbnail.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


class Refusal(enum.StrEnum):
    """Why an upload was refused; the form maps each to a sentence in the person's language."""

    TOO_LARGE = "too_large"
    EMPTY = "empty"
    UNSUPPORTED_TYPE = "unsupported_type"
    CORRUPT = "corrupt"
    TOO_MANY_PIXELS = "too_many_pixels"


class Refused(msgspec.Struct, frozen=True):
    reason: Refusal


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


class _Readable(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


class _Kind(enum.Enum):
    PDF = ("application/pdf", "pdf", None)
    JPEG = ("image/jpeg", "jpg", ("JPEG",))
    PNG = ("image/png", "png", ("PNG",))
    HEIF = ("image/heif", "heic", ("HEIF",))

    def __init__(self, media_type: str, extension: str, pillow_formats: tuple[str, ...] | None):
        self.media_type = media_type
        self.extension = extension
        self.pillow_formats = pillow_formats


_STORED_KINDS = {kind.extension: kind for kind in (_Kind.PDF, _Kind.JPEG, _Kind.PNG)}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
# A multi-picture JPEG (most phone cameras) opens as Pillow's MPO, a JPEG all the same.
_DECODED_FORMATS = {_Kind.JPEG: {"JPEG", "MPO"}, _Kind.PNG: {"PNG"}, _Kind.HEIF: {"HEIF"}}


def attachments_dir(settings: Settings) -> Path:
    """Under var/, beside the database; no static route serves it (unlike var/marks)."""
    return settings.var_path / "attachments"


def declared_length_refusal(content_length: int | None) -> Refused | None:
    """A declared Content-Length over the limit is refused before a byte is read."""
    if content_length is not None and content_length > MAX_ATTACHMENT_BYTES:
        return Refused(Refusal.TOO_LARGE)
    return None


async def upload_chunks(upload: _Readable) -> AsyncIterator[bytes]:
    """The chunks of an object with an async `read(size)`, such as Litestar's UploadFile."""
    while chunk := await upload.read(READ_CHUNK_BYTES):
        yield chunk


async def receive_upload(
    chunks: AsyncIterable[bytes], *, declared_length: int | None = None
) -> BinaryIO | Refused:
    """The upload in a spooled temporary file (rewound), or why not.

    Reading stops at the first chunk that passes the limit, so an oversized body is never held
    whole. The file rolls over to an unnamed temporary file past 1 MiB; the caller closes it.
    """
    if refusal := declared_length_refusal(declared_length):
        return refusal
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115 (returned)
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > MAX_ATTACHMENT_BYTES:
                spool.close()
                return Refused(Refusal.TOO_LARGE)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    if received == 0:
        spool.close()
        return Refused(Refusal.EMPTY)
    spool.seek(0)
    return spool  # type: ignore[return-value]  # a SpooledTemporaryFile is a binary file


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
    kind = _sniff(spool)
    if kind is None:
        return Refused(Refusal.UNSUPPORTED_TYPE)
    if kind is _Kind.PDF:
        if not _pdf_ends_with_eof_marker(spool):
            return Refused(Refusal.CORRUPT)
        spool.seek(0)
        return _write(root, spool, _Kind.PDF, filename)
    with _DECODE_SLOTS:
        normalised = _normalised_image(spool, kind)
    if isinstance(normalised, Refused):
        return normalised
    data, stored_kind = normalised
    return _write(root, io.BytesIO(data), stored_kind, filename)


def _sniff(spool: BinaryIO) -> _Kind | None:
    spool.seek(0)
    head = spool.read(16)
    if re.match(rb"%PDF-[12]\.\d", head):
        return _Kind.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return _Kind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _Kind.PNG
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return _Kind.HEIF
    return None


def _pdf_ends_with_eof_marker(spool: BinaryIO) -> bool:
    size = spool.seek(0, os.SEEK_END)
    spool.seek(max(0, size - PDF_EOF_WINDOW))
    return b"%%EOF" in spool.read()


def _normalised_image(spool: BinaryIO, kind: _Kind) -> tuple[bytes, _Kind] | Refused:
    """Decoded whole, upright, at most MAX_LONG_SIDE, in sRGB, re-encoded without metadata."""
    spool.seek(0)
    try:
        with Image.open(spool, formats=kind.pillow_formats) as image:
            if image.format not in _DECODED_FORMATS[kind]:
                return Refused(Refusal.UNSUPPORTED_TYPE)
            pillow_limit = Image.MAX_IMAGE_PIXELS or MAX_PIXELS
            if image.width * image.height > min(MAX_PIXELS, pillow_limit):
                return Refused(Refusal.TOO_MANY_PIXELS)
            if kind is _Kind.JPEG:  # libjpeg decodes at 1/2, 1/4 or 1/8 scale: less memory
                image.draft("RGB", (MAX_LONG_SIDE, MAX_LONG_SIDE))
            image.load()
            icc_profile = image.info.get("icc_profile")
            upright = _upright(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Refused(Refusal.TOO_MANY_PIXELS)
    except Exception:  # any decoder failure on untrusted bytes means the file is not whole
        return Refused(Refusal.CORRUPT)
    return _encoded(upright, icc_profile, keep_png=kind is _Kind.PNG)


def _upright(image: Image.Image) -> Image.Image:
    """Turned by its EXIF orientation; a photo whose EXIF cannot be read stays as decoded."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # malformed EXIF is metadata we drop anyway, not a reason to refuse
        return image.copy()


def _encoded(
    image: Image.Image, icc_profile: bytes | None, *, keep_png: bool
) -> tuple[bytes, _Kind]:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.mode.startswith("I"):  # 16-bit grey (PNG): scaled to 8 bits, not clipped to white
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode not in ("RGB", "RGBA", "L", "CMYK"):
        image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((MAX_LONG_SIDE, MAX_LONG_SIDE), Image.Resampling.LANCZOS)
    image = _in_srgb(image, icc_profile)
    transparent = image.mode == "RGBA" and image.getchannel("A").getextrema()[0] < 255
    if keep_png and transparent:
        kind, options = _Kind.PNG, {"optimize": True}
    else:
        if image.mode == "RGBA":
            image = _on_white(image)
        kind, options = _Kind.JPEG, {"quality": JPEG_QUALITY, "optimize": True}
    image.info.clear()  # JPEG copies a comment and PNG an ICC profile from info when saving
    out = io.BytesIO()
    image.save(out, kind.name, **options)
    return out.getvalue(), kind


def _in_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Converted from its embedded profile (a phone's Display P3, a CMYK scan) to plain sRGB."""
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=output_mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # an unreadable or unsuited profile: the pixels are taken as sRGB
        else:
            if converted is not None:
                return converted
    return image if image.mode in ("RGB", "RGBA", "L") else image.convert(output_mode)


def _on_white(image: Image.Image) -> Image.Image:
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    return flat


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
