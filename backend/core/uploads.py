"""Files people upload: received within a size limit, images decoded by their content, upright.

The rules every upload follows, whoever keeps it after (matters' attachments store it; the mark
search keeps nothing): `receive_upload` copies an async stream of byte chunks into a spooled
file and stops at the first chunk past the limit, so an oversized body is never held whole; the
type comes from the first bytes alone (`sniff_image`), never the file name or declared type;
`open_image` decodes the whole image with Pillow restricted to that one format, refuses a
decompression bomb before a pixel is decoded, and turns it by its EXIF orientation;
`resized_in_srgb` downscales it and converts its colour profile to sRGB. A refusal is a value,
`Refused(reason)`, never an exception, so a form can say why in the person's language. This
module knows nothing of HTTP. Decisions: docs/decisions/attachments.md.
"""

from __future__ import annotations

import enum
import io
import tempfile
import threading
from collections.abc import AsyncIterable, AsyncIterator
from typing import BinaryIO, NamedTuple, Protocol

import msgspec
import pillow_heif
from PIL import Image, ImageCms, ImageOps

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""At most 10 MiB an upload, counted on the bytes received (the multipart envelope aside)."""
MAX_PIXELS = 64_000_000
"""A 50 MP phone photo (8160 × 6120) passes; 64 M pixels decode to at most 256 MB in RGBA."""
READ_CHUNK_BYTES = 64 * 1024
SPOOL_IN_MEMORY_BYTES = 1024 * 1024
# Two decodes at once per process bound the memory a burst of large photos can take.
DECODE_SLOTS = threading.BoundedSemaphore(2)
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


class ImageFormat(enum.Enum):
    """An image format told by its first bytes, with the Pillow decoders allowed to open it."""

    JPEG = ("image/jpeg", ("JPEG",), frozenset({"JPEG", "MPO"}))
    PNG = ("image/png", ("PNG",), frozenset({"PNG"}))
    HEIF = ("image/heif", ("HEIF",), frozenset({"HEIF"}))
    WEBP = ("image/webp", ("WEBP",), frozenset({"WEBP"}))

    def __init__(
        self, media_type: str, pillow_formats: tuple[str, ...], decoded: frozenset[str]
    ) -> None:
        self.media_type = media_type
        self.pillow_formats = pillow_formats
        # A multi-picture JPEG (most phone cameras) opens as Pillow's MPO, a JPEG all the same.
        self.decoded = decoded


class DecodedImage(NamedTuple):
    image: Image.Image
    """Decoded whole and turned upright; its mode as decoded (RGB, RGBA, L, I;16, CMYK, P…)."""
    icc_profile: bytes | None


class _Readable(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


def sniff_image(head: bytes) -> ImageFormat | None:
    """The image format the first 16 bytes claim, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return ImageFormat.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ImageFormat.PNG
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return ImageFormat.HEIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return ImageFormat.WEBP
    return None


def declared_length_refusal(
    content_length: int | None, limit: int = MAX_UPLOAD_BYTES
) -> Refused | None:
    """A declared Content-Length over the limit is refused before a byte is read."""
    if content_length is not None and content_length > limit:
        return Refused(Refusal.TOO_LARGE)
    return None


async def upload_chunks(upload: _Readable) -> AsyncIterator[bytes]:
    """The chunks of an object with an async `read(size)`, such as Litestar's UploadFile."""
    while chunk := await upload.read(READ_CHUNK_BYTES):
        yield chunk


async def receive_upload(
    chunks: AsyncIterable[bytes],
    *,
    declared_length: int | None = None,
    limit: int = MAX_UPLOAD_BYTES,
    in_memory: int = SPOOL_IN_MEMORY_BYTES,
) -> BinaryIO | Refused:
    """The upload in a spooled temporary file (rewound), or why not.

    Reading stops at the first chunk that passes the limit, so an oversized body is never held
    whole. The file rolls over to an unnamed temporary file past `in_memory` bytes (give the
    limit to keep it in memory only); the caller closes it.
    """
    if refusal := declared_length_refusal(declared_length, limit):
        return refusal
    spool = tempfile.SpooledTemporaryFile(max_size=in_memory)  # noqa: SIM115 (returned)
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > limit:
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


def open_image(
    spool: BinaryIO, image_format: ImageFormat, *, long_side: int
) -> DecodedImage | Refused:
    """Decoded whole, bomb-checked before any pixel is decoded, turned by its EXIF orientation.

    A JPEG is decoded at libjpeg's reduced scale where that still leaves `long_side` pixels.
    Call it holding one of DECODE_SLOTS.
    """
    spool.seek(0)
    try:
        with Image.open(spool, formats=image_format.pillow_formats) as image:
            if image.format not in image_format.decoded:
                return Refused(Refusal.UNSUPPORTED_TYPE)
            pillow_limit = Image.MAX_IMAGE_PIXELS or MAX_PIXELS
            if image.width * image.height > min(MAX_PIXELS, pillow_limit):
                return Refused(Refusal.TOO_MANY_PIXELS)
            if image_format is ImageFormat.JPEG:  # decodes at 1/2, 1/4 or 1/8: less memory
                image.draft("RGB", (long_side, long_side))
            image.load()
            icc_profile = image.info.get("icc_profile")
            return DecodedImage(_upright(image), icc_profile)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Refused(Refusal.TOO_MANY_PIXELS)
    except Exception:  # any decoder failure on untrusted bytes means the file is not whole
        return Refused(Refusal.CORRUPT)


def resized_in_srgb(decoded: DecodedImage, long_side: int) -> Image.Image:
    """At most `long_side`, in plain sRGB without its profile; mode RGB, RGBA or L."""
    image = decoded.image
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.mode.startswith("I"):  # 16-bit grey (PNG): scaled to 8 bits, not clipped to white
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode not in ("RGB", "RGBA", "L", "CMYK"):
        image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    return _in_srgb(image, decoded.icc_profile)


def upright_rgb(
    spool: BinaryIO, accepted: tuple[ImageFormat, ...], *, long_side: int
) -> Image.Image | Refused:
    """The image, if it is one of `accepted`: decoded whole, upright, at most `long_side`, RGB
    in sRGB, transparency on white. Blocking: run it in a worker thread."""
    image_format = sniff_image(head_of(spool))
    if image_format not in accepted:
        return Refused(Refusal.UNSUPPORTED_TYPE)
    with DECODE_SLOTS:
        decoded = open_image(spool, image_format, long_side=long_side)
        if isinstance(decoded, Refused):
            return decoded
        image = resized_in_srgb(decoded, long_side)
        return on_white(image) if image.mode == "RGBA" else image.convert("RGB")


def on_white(image: Image.Image) -> Image.Image:
    """Transparency flattened onto white (what JPEG and the eye make of a logo cut-out)."""
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def head_of(spool: BinaryIO) -> bytes:
    """The first 16 bytes, for `sniff_image`; the spool is rewound."""
    spool.seek(0)
    head = spool.read(16)
    spool.seek(0)
    return head


def _upright(image: Image.Image) -> Image.Image:
    """Turned by its EXIF orientation; a photo whose EXIF cannot be read stays as decoded."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # malformed EXIF is metadata we drop anyway, not a reason to refuse
        return image.copy()


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
