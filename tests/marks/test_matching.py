"""Image matching against the demo marks, with photos made here from the marks themselves."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image, ImageDraw

from backend.marks import service
from backend.marks.demo import demo_mark
from backend.marks.schemas import MarkFilters
from backend.marks.service import search_marks
from tests.marks.photos import ALL, DISTORTIONS, distortion_names, inverted, photo

pytestmark = pytest.mark.profiles

# Demo marks among those the tests index: figurative, word (Latin and Chinese) and combined.
SAMPLE = (0, 1, 2, 5, 10, 14, 15)


def _rank(found, number: str) -> int | None:
    numbers = [match.number for match in found.matches]
    return numbers.index(number) + 1 if number in numbers else None


@pytest.mark.parametrize("distortion", DISTORTIONS)
async def test_a_mark_photographed_with_each_distortion_is_found_in_the_top_ten(
    demo_marks: int, distortion: str
):
    rng = random.Random(f"{distortion}-1")
    missed = []
    for index in SAMPLE:
        mark = demo_mark(index)
        query = photo(mark.image, distortion_names(distortion), rng)
        found = await search_marks(query, MarkFilters(), limit=10)
        if _rank(found, mark.number) is None:
            missed.append((index, mark.kind))
    assert not missed, missed


async def test_marks_photographed_with_every_distortion_together_are_found_in_the_top_ten(
    demo_marks: int,
):
    """All eight at once: recoloured, light on dark, part cut off, in clutter, at an angle, lit
    unevenly, blurred, squeezed. Every mark of the sample is found."""
    rng = random.Random("all-1")
    missed = []
    for index in SAMPLE:
        mark = demo_mark(index)
        found = await search_marks(
            photo(mark.image, distortion_names(ALL), rng), MarkFilters(), limit=10
        )
        if _rank(found, mark.number) is None:
            missed.append((index, mark.kind))
    assert not missed, missed


@pytest.mark.parametrize("distortion", [ALL, "clutter", "crop"])
async def test_the_coarse_pass_of_a_large_index_keeps_the_marks_the_full_search_finds(
    demo_marks: int, distortion: str, monkeypatch: pytest.MonkeyPatch
):
    """An index past COARSE_FROM_ROWS scores only the rows its coarse cells rank best: with a
    tenth of the rows kept, each mark comes out where the full search puts it."""
    loaded = await service.INDEX.current()
    rng = random.Random(f"{distortion}-1")  # the seeds the tests above pass with
    photos = [photo(demo_mark(i).image, distortion_names(distortion), rng) for i in SAMPLE]
    exact = [
        _rank(await search_marks(p, MarkFilters(), limit=10), demo_mark(i).number)
        for i, p in zip(SAMPLE, photos, strict=True)
    ]
    monkeypatch.setattr(service, "COARSE_FROM_ROWS", 0)
    monkeypatch.setattr(service, "COARSE_KEPT", len(loaded.vectors) // 10)
    coarse = [
        _rank(await search_marks(p, MarkFilters(), limit=10), demo_mark(i).number)
        for i, p in zip(SAMPLE, photos, strict=True)
    ]
    assert coarse == exact
    assert all(rank is not None for rank in exact)


def _sign(words: str, rng: random.Random) -> Image.Image:
    """The words alone, as a shop sign might letter them: not the mark's drawing."""
    from backend.marks.demo import _truetype

    sign = Image.new("RGB", (640, 360), (70, 40, 30))
    draw = ImageDraw.Draw(sign)
    for _ in range(12):
        x, y = rng.randrange(640), rng.randrange(360)
        draw.rectangle((x, y, x + 60, y + 30), fill=(90, 60, 40))
    draw.rectangle((60, 100, 580, 260), fill=(245, 235, 200))
    font = _truetype(1, 88)
    draw.text((320, 180), words, font=font, fill=(160, 20, 20), anchor="mm")
    return sign


async def test_a_photo_of_a_word_mark_is_found_through_its_text(demo_marks: int):
    rng = random.Random("sign")
    words = [demo_mark(i) for i in range(demo_marks) if demo_mark(i).kind == "word"][:3]
    for mark in words:
        found = await search_marks(_sign(mark.words, rng), MarkFilters(), limit=10)
        assert mark.words.casefold() in found.text_read.casefold()
        best = found.matches[0]
        assert best.number == mark.number and best.through in ("text", "both")
        assert found.close


async def test_an_inverted_mark_is_found_first(demo_marks: int):
    for index in SAMPLE:
        mark = demo_mark(index)
        found = await search_marks(inverted(mark.image, random.Random(0)), MarkFilters())
        assert found.matches[0].number == mark.number
        assert found.close


def _nothing(seed: int) -> Image.Image:
    """Smooth light and noise: a photo of a wall, no mark in it."""
    generator = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:480, 0:640]
    wall = 150 + 60 * np.sin(xs / (90 + seed)) * np.cos(ys / 130)
    pixels = wall[..., None] + generator.normal(0, 6, (480, 640, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_an_image_of_nothing_like_a_mark_has_no_close_match(demo_marks: int, seed: int):
    found = await search_marks(_nothing(seed), MarkFilters())
    assert not found.close


async def test_filters_keep_to_the_class_kind_and_vienna_code(demo_marks: int):
    mark = next(demo_mark(i) for i in range(demo_marks) if demo_mark(i).kind == "figurative")
    query = photo(mark.image, ("blur",), random.Random(1))
    found = await search_marks(query, MarkFilters(nice_class=mark.nice[0], kind="figurative"))
    assert found.matches[0].number == mark.number
    assert all(
        m.number != mark.number
        for m in (await search_marks(query, MarkFilters(kind="word"))).matches
    )
    code = mark.vienna[0][:5]
    by_code = await search_marks(query, MarkFilters(vienna=code))
    assert by_code.matches[0].number == mark.number
    other = "29.01" if not any(c.startswith("29.01") for c in mark.vienna) else "28.01"
    assert not (await search_marks(query, MarkFilters(vienna=other))).matches
