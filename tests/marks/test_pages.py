"""/search/image and POST /api/v1/marks/search over HTTP: the form in each locale, the filters,
the upload rules (type from the content, the limit while reading, bombs, EXIF orientation,
nothing kept), the results, the API's JSON, its limit and its schema.

The marks searched are the demo marks of tests/marks/conftest.py, drawn and indexed through the
real loader. What the page hands to the search is seen by wrapping `service.search_marks`,
which still runs.
"""

from __future__ import annotations

import io
import re
import struct
import tempfile
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pillow_heif
import pytest
from litestar import Litestar
from PIL import Image, PngImagePlugin

from backend.inquiries.tables import Record
from backend.marks import routes, service
from backend.marks.photo_form import MAX_PHOTO_BYTES
from backend.marks.schemas import MarkFilters
from tests.conftest import VAR_DIR, serve

pytestmark = pytest.mark.usefixtures("demo_marks")

ORIENTATION = 0x0112
RED, BLUE = (255, 0, 0), (0, 0, 255)
CHUNK = 64 * 1024
HEADINGS = {"zh_Hans": "以图搜商标", "zh_Hant": "以圖搜商標", "en": "Search trademarks by photo"}


class Seen:
    """What the page handed to the search: each (image, filters), the search run as it is."""

    def __init__(self) -> None:
        self.calls: list[tuple[Image.Image, MarkFilters]] = []


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    seen, real = Seen(), service.search_marks

    async def recording(image: Image.Image, filters: MarkFilters, **options: Any):
        seen.calls.append((image.copy(), filters))
        return await real(image, filters, **options)

    monkeypatch.setattr(service, "search_marks", recording)
    return seen


@pytest.fixture
async def english(client: httpx.AsyncClient) -> httpx.AsyncClient:
    client.cookies.set("iph_locale", "en")
    return client


async def a_demo_mark() -> tuple[Record, bytes]:
    record = (
        await Record.objects()
        .where((Record.kind == "trademark") & Record.mark_image.like("%.png"))
        .order_by(Record.id)
        .first()
    )
    path = service.mark_image_path(record.mark_image)
    assert path is not None
    return record, path.read_bytes()


def encoded(image: Image.Image, image_format: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def as_png(data: bytes) -> bytes:
    """The mark's image file as a PNG photo of it."""
    with Image.open(io.BytesIO(data)) as image:
        return encoded(image.convert("RGB"), "PNG")


def left_red_landscape() -> Image.Image:
    """400 × 200, red on the left half: upright after orientation 6, red is on top."""
    image = Image.new("RGB", (400, 200), BLUE)
    image.paste(RED, (0, 0, 200, 200))
    return image


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header claims width × height pixels."""

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


async def post_photo(
    client: httpx.AsyncClient,
    photo: bytes | None,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    path: str = "/search/image",
    field: str = "photo",
    htmx: bool = False,
    **filters: str,
) -> httpx.Response:
    files = {field: (filename, photo or b"", content_type)}
    headers = {"HX-Request": "true", "HX-Request-Type": "partial"} if htmx else {}
    return await client.post(path, data=filters, files=files, headers=headers)


def error_summary(html: str) -> list[str]:
    summary = re.search(r'<div class="app-error-summary".*?</div>', html, re.S)
    assert summary, html
    return [text.strip() for text in re.findall(r'<a href="#[^"]+">([^<]+)</a>', summary.group(0))]


# The form.


@pytest.mark.parametrize("locale", sorted(HEADINGS))
async def test_the_form_renders_in_each_locale_with_camera_and_file_and_the_privacy_note(
    client: httpx.AsyncClient, locale: str
) -> None:
    client.cookies.set("iph_locale", locale)
    response = await client.get("/search/image")

    assert response.status_code == 200
    html = response.text
    assert f'<h1 class="app-heading-l">{HEADINGS[locale]}</h1>' in html
    assert re.search(r'<input[^>]+id="photo"[^>]+accept="image/\*"', html)
    assert re.search(r'<input[^>]+id="photo-camera"[^>]+capture="environment"', html)
    assert 'enctype="multipart/form-data"' in html and 'action="/search/image"' in html
    assert 'id="mark-privacy"' in html
    assert response.headers["cache-control"] == "private, no-store"


async def test_the_privacy_note_says_the_photo_is_not_kept_in_plain_words(
    english: httpx.AsyncClient,
) -> None:
    html = (await english.get("/search/image")).text
    assert "Your photo is used for this search only: it is not kept and not logged." in html


async def test_the_record_search_and_the_home_search_link_the_image_search(
    client: httpx.AsyncClient,
) -> None:
    for page in ("/", "/records", "/search"):
        assert 'href="/search/image"' in (await client.get(page)).text, page


# Results.


@pytest.mark.profiles
async def test_a_plain_file_posted_without_javascript_finds_the_mark_and_links_its_record(
    english: httpx.AsyncClient, seen: Seen
) -> None:
    record, data = await a_demo_mark()

    response = await post_photo(english, as_png(data), filename="IMG_0001.PNG")

    assert response.status_code == 200
    html = response.text
    assert html.startswith("<!doctype html>")
    found = re.findall(r'<a href="/records/([^"]+)">', html.split('id="mark-results"')[1])
    assert record.number in found[:10], found
    assert f'src="{record.mark_image}"' in html
    assert "Marks that look like your photo" in html
    assert len(seen.calls) == 1


async def test_htmx_gets_the_results_fragment_from_the_same_handler(
    english: httpx.AsyncClient,
) -> None:
    _, data = await a_demo_mark()

    response = await post_photo(english, as_png(data), htmx=True)

    assert response.status_code == 200
    assert "<html" not in response.text and 'class="app-marks"' in response.text
    assert "HX-Request" in response.headers["vary"]
    assert response.headers["cache-control"] == "private, no-store"


async def test_a_photo_like_no_mark_is_answered_no_close_match_in_plain_words(
    english: httpx.AsyncClient,
) -> None:
    # A photo of a wall: smooth light and a little noise, nothing like a logo, and no text.
    ys, xs = np.mgrid[0:480, 0:640]
    wall = 150 + 60 * np.sin(xs / 91) * np.cos(ys / 130)
    pixels = wall[..., None] + np.random.default_rng(7).normal(0, 6, (480, 640, 3))
    nothing = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))

    html = (await post_photo(english, encoded(nothing, "JPEG"))).text

    assert "No close match" in html
    assert 'class="app-marks"' not in html


async def test_of_the_two_photo_inputs_the_one_left_empty_is_skipped(
    english: httpx.AsyncClient, seen: Seen
) -> None:
    """The form has a file input and a camera input, both named photo: a browser sends both."""
    photo = encoded(left_red_landscape(), "PNG")
    for parts in (
        [
            ("photo", ("a.png", photo, "image/png")),
            ("photo", ("", b"", "application/octet-stream")),
        ],
        [
            ("photo", ("", b"", "application/octet-stream")),
            ("photo", ("b.png", photo, "image/png")),
        ],
    ):
        response = await english.post("/search/image", files=parts)
        assert response.status_code == 200, response.text
    assert [image.size for image, _ in seen.calls] == [(400, 200), (400, 200)]


# Filters.


async def test_filters_are_parsed_and_handed_to_the_search(
    english: httpx.AsyncClient, seen: Seen
) -> None:
    _, data = await a_demo_mark()

    response = await post_photo(
        english, as_png(data), nice_class="25", kind="figurative", vienna="3.1"
    )

    assert response.status_code == 200
    [(_, filters)] = seen.calls
    assert filters == MarkFilters(nice_class=25, kind="figurative", vienna="03.01")
    # The form shows them again.
    assert '<option value="25" selected>' in response.text
    assert '<option value="figurative" selected>' in response.text


async def test_blank_filters_search_every_mark(english: httpx.AsyncClient, seen: Seen) -> None:
    _, data = await a_demo_mark()
    await post_photo(english, as_png(data), nice_class="", kind="", vienna=" ")
    assert seen.calls[0][1] == MarkFilters()


async def test_bad_filters_are_refused_with_a_message_each_and_nothing_searched(
    english: httpx.AsyncClient, seen: Seen
) -> None:
    _, data = await a_demo_mark()

    response = await post_photo(
        english, as_png(data), nice_class="46", kind="sound", vienna="03/01"
    )

    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Choose a Nice class from 1 to 45, or any class.",
        "Choose word, figurative or combined mark, or any kind.",
        "Write a Vienna code as numbers and dots, for example 03.01 or 03.01.01.",
    ]
    assert 'id="vienna"' in response.text and 'value="03/01"' in response.text
    assert seen.calls == []


async def test_a_refusal_asked_by_htmx_swaps_the_whole_form_with_its_summary(
    english: httpx.AsyncClient,
) -> None:
    response = await post_photo(english, None, filename="", htmx=True)

    assert response.status_code == 400
    assert response.headers["hx-retarget"] == "#mark-search"
    assert response.headers["hx-reswap"] == "outerHTML"
    assert 'id="mark-search"' in response.text and "<html" not in response.text
    assert error_summary(response.text) == ["Choose a photo of the mark, or take one."]


async def test_the_page_is_refused_in_the_persons_language(client: httpx.AsyncClient) -> None:
    response = await post_photo(client, b"#!/bin/sh\necho hello\n")
    assert response.status_code == 400
    assert error_summary(response.text) == ["这个文件不是 JPEG、PNG、WebP 或 HEIC 照片。"]


# Upload rules.


async def test_the_type_comes_from_the_content_not_the_name_or_declared_type(
    english: httpx.AsyncClient, seen: Seen
) -> None:
    png = encoded(left_red_landscape(), "PNG")
    script = b"#!/bin/sh\nrm -rf /\n"

    accepted = await post_photo(english, png, filename="photo.heic", content_type="image/heic")
    refused = await post_photo(english, script, filename="photo.jpg", content_type="image/jpeg")

    assert accepted.status_code == 200 and len(seen.calls) == 1
    assert refused.status_code == 400
    assert error_summary(refused.text) == ["This file is not a JPEG, PNG, WebP or HEIC photo."]


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "HEIF"])
async def test_jpeg_png_webp_and_heic_photos_are_searched_as_rgb(
    english: httpx.AsyncClient, seen: Seen, image_format: str
) -> None:
    if image_format == "HEIF":
        heif = pillow_heif.from_pillow(left_red_landscape())
        out = io.BytesIO()
        heif.save(out, quality=90)
        data = out.getvalue()
    else:
        data = encoded(left_red_landscape(), image_format)

    response = await post_photo(english, data, filename="x")

    assert response.status_code == 200, response.text
    [(image, _)] = seen.calls
    assert image.mode == "RGB" and image.size == (400, 200)


async def test_a_large_photo_is_shrunk_to_1024_on_its_long_side(
    english: httpx.AsyncClient, seen: Seen
) -> None:
    await post_photo(english, encoded(Image.new("RGB", (3000, 1500), BLUE), "JPEG"))
    [(image, _)] = seen.calls
    assert image.size == (1024, 512)


async def test_the_exif_orientation_is_honoured_the_search_gets_the_photo_upright(
    english: httpx.AsyncClient, seen: Seen
) -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera held upright: the pixels are stored turned
    photo = encoded(left_red_landscape(), "JPEG", exif=exif.tobytes(), quality=95)

    assert (await post_photo(english, photo)).status_code == 200

    [(image, _)] = seen.calls
    assert image.size == (200, 400)
    top, bottom = image.getpixel((100, 50)), image.getpixel((100, 350))
    assert top[0] > 200 and top[2] < 60, top  # red on top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


async def test_a_decompression_bomb_is_refused_before_it_is_decoded(
    english: httpx.AsyncClient, seen: Seen
) -> None:
    response = await post_photo(english, png_declaring(100_000, 100_000), filename="bomb.png")

    assert response.status_code == 400
    assert error_summary(response.text) == [
        "This image has too many pixels: take the photo again at a lower resolution."
    ]
    assert seen.calls == []


async def test_a_damaged_photo_and_an_empty_file_are_refused_each_with_its_reason(
    english: httpx.AsyncClient,
) -> None:
    jpeg = encoded(Image.effect_noise((800, 600), 64).convert("RGB"), "JPEG", quality=90)

    damaged = await post_photo(english, jpeg[: len(jpeg) // 2])
    empty = await post_photo(english, b"", filename="empty.jpg")
    none = await post_photo(english, b"", filename="")

    assert error_summary(damaged.text) == [
        "This photo is damaged or incomplete: take it again or choose another file."
    ]
    assert error_summary(empty.text) == ["The file is empty: choose the photo again."]
    assert error_summary(none.text) == ["Choose a photo of the mark, or take one."]


class CountedBody:
    """An ASGI receive that sends `total` bytes of a multipart photo in 64 KiB chunks, counting
    how many the app took."""

    def __init__(self, total: int) -> None:
        head = (
            b'--b\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff"
        )
        self.body = head + b"\0" * (total - len(head))
        self.taken = 0

    async def __call__(self) -> dict[str, Any]:
        start = self.taken * CHUNK
        self.taken += 1
        chunk = self.body[start : start + CHUNK]
        return {"type": "http.request", "body": chunk, "more_body": start + CHUNK < len(self.body)}


async def call_asgi(
    app: Litestar, receive: Any, headers: list[tuple[bytes, bytes]]
) -> tuple[int, str]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/search/image",
        "raw_path": b"/search/image",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver.local"),
            (b"content-type", b"multipart/form-data; boundary=b"),
            (b"cookie", b"iph_locale=en"),
            *headers,
        ],
        "client": ("10.99.0.1", 50000),
        "server": ("testserver.local", 80),
        "state": {},
    }
    await app(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body.decode()


@pytest.fixture
async def running_app(app: Litestar) -> AsyncIterator[Litestar]:
    async with serve(app):
        yield app


async def test_a_photo_over_10_mib_is_refused_at_the_first_chunk_past_the_limit(
    running_app: Litestar,
) -> None:
    body = CountedBody(3 * MAX_PHOTO_BYTES)

    status, html = await call_asgi(running_app, body, [])

    assert status == 413
    assert "The photo is larger than 10 MB" in html
    assert body.taken <= MAX_PHOTO_BYTES // CHUNK + 2  # of 480 chunks sent


async def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read(
    running_app: Litestar,
) -> None:
    body = CountedBody(3 * MAX_PHOTO_BYTES)
    declared = [(b"content-length", str(len(body.body)).encode())]

    status, html = await call_asgi(running_app, body, declared)

    assert status == 413 and "The photo is larger than 10 MB" in html
    assert body.taken == 0


# Nothing kept.


def files_under(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.profiles
async def test_the_photo_is_never_written_to_disk_nor_logged(
    english: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))  # where any spooled file would go
    marker = "photo-marker-7f3a9c"
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", marker)
    noise = Image.effect_noise((1600, 1200), 60).convert("RGB")  # several MB: past any spool
    photo = encoded(noise, "PNG", pnginfo=info)
    assert len(photo) > 2 * 1024 * 1024
    var_before = {path for path in Path(VAR_DIR).rglob("*") if path.is_file()}

    with caplog.at_level("DEBUG"):
        response = await post_photo(english, photo, filename=f"{marker}.png")

    assert response.status_code == 200
    var_after = files_under(Path(VAR_DIR))
    # What a search may add under var/: the database's own files, the rate limiter's counter.
    new_files = {
        path
        for path in set(var_after) - var_before
        if not path.name.endswith(("-wal", "-shm", "-journal")) and "rate_limit" not in path.parts
    }
    assert new_files == set()
    assert not [path for path, data in var_after.items() if marker.encode() in data]
    assert files_under(spool) == {}
    assert marker not in caplog.text
    assert marker not in response.text


# The data interface.


@pytest.mark.profiles
async def test_the_api_answers_ranked_json(client: httpx.AsyncClient) -> None:
    record, data = await a_demo_mark()

    response = await post_photo(
        client, as_png(data), path="/api/v1/marks/search", field="image", nice_class=""
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    assert set(answer) == {"matches", "close", "text_read"}
    numbers = [match["number"] for match in answer["matches"]]
    assert record.number in numbers[:10]
    scores = [match["score"] for match in answer["matches"]]
    assert scores == sorted(scores, reverse=True)
    first = answer["matches"][0]
    assert set(first) == {
        "record_id",
        "number",
        "title",
        "owner",
        "status",
        "image",
        "score",
        "through",
    }
    assert first["image"].startswith("/marks/")


async def test_the_api_refuses_in_english_json_with_each_field(client: httpx.AsyncClient) -> None:
    response = await post_photo(
        client, b"not an image", path="/api/v1/marks/search", field="image", kind="sound"
    )

    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400
    assert problem["fields"] == {
        "image": "This file is not a JPEG, PNG, WebP or HEIC photo.",
        "kind": "Choose word, figurative or combined mark, or any kind.",
    }


async def test_the_api_needs_multipart(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/marks/search", json={"image": "x"})
    assert response.status_code == 400
    assert response.json()["detail"] == "send the form as multipart/form-data"


@pytest.mark.profiles
async def test_searches_are_limited_per_client_page_and_api_together(
    make_app: Any,
) -> None:
    limited = make_app(mark_searches_per_minute=2)
    photo = encoded(left_red_landscape(), "PNG")
    async with serve(limited) as client:
        client.cookies.set("iph_locale", "en")
        first = await post_photo(client, photo)
        second = await post_photo(client, photo, path="/api/v1/marks/search", field="image")
        third = await post_photo(client, photo, path="/api/v1/marks/search", field="image")
        fourth = await post_photo(client, photo)

    assert (first.status_code, second.status_code) == (200, 200)
    assert third.status_code == 429 and int(third.headers["retry-after"]) > 0
    assert third.json()["title"] == "Too many searches"
    assert fourth.status_code == 429
    [message] = error_summary(fourth.text)
    assert message.startswith("You have searched many times in a short while: wait ")


async def test_the_schema_documents_the_multipart_body_and_the_refusals(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/schema/openapi.json")).json()

    operation = schema["paths"]["/api/v1/marks/search"]["post"]
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["required"] == ["image"]
    assert body["properties"]["image"] == {"type": "string", "format": "binary"}
    assert body["properties"]["kind"]["enum"] == ["word", "figurative", "combined"]
    assert {"200", "400", "413", "429"} <= set(operation["responses"])
    assert operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert "security" not in operation  # open, limited per client


def test_the_routes_name_every_refusal() -> None:
    assert set(routes.PHOTO_REFUSALS) == set(routes.Refusal)
