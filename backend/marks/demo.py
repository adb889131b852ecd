"""Demo marks for the image search: word, figurative and combined marks, drawn from a seed.

Each mark `n` is drawn from `random.Random(SEED + n)`, so any count gives the same first marks
and a test can draw one again without the rest. Word marks use the fonts the project installs
(WenQuanYi Micro Hei and its monospaced face, from `make font-deps`), Pillow's own font and
OpenCV's Hershey faces; figurative marks are emblems of generated shapes, each shape with its
Vienna code. The records say in their owner that they are demo data.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from saq.queue.redis import RedisQueue

from backend.inquiries.importer import EventRow, RecordRow, write_rows
from backend.inquiries.marks import keep_mark_image
from backend.inquiries.tables import Record
from backend.marks.jobs import index_after_import

SEED = 20261203
DEMO_MARK_COUNT = 10_000  # what `make run` loads
WQY_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DEMO_OWNER = "示例商标权人 (demo data)"
# The 7-digit numbers from here on are demo marks (the other demo trademarks have 8 digits).
FIRST_NUMBER = 1_000_000
LOAD_BATCH = 500

_SYLLABLES = [
    "ka", "lo", "mi", "ra", "ven", "to", "zu", "ne", "sol", "ar", "bri", "co", "dex", "fi",
    "gal", "hu", "io", "jet", "kor", "lum", "max", "nor", "ox", "pra", "qui", "ros", "sta",
    "tek", "ul", "vi", "wen", "xa", "yo", "zen", "ber", "cla", "dor", "eta", "flo", "gre",
]  # fmt: skip
_HANZI = (
    "秦岭禾丰泉云鹤川山茗田月星源华龙凤金玉德福瑞祥宝盛天海兴隆长安和美嘉信达通明光"
    "新康泰恒远鑫诚宏利佳乐尚品优雅锦绣春秋江湖梅兰竹菊松柏青红白黑东南西北中意"
)
_COLOURS = [
    (11, 79, 168), (180, 30, 40), (20, 120, 60), (30, 30, 30), (120, 40, 140),
    (200, 110, 0), (0, 110, 130), (90, 60, 30),
]  # fmt: skip
_HERSHEY = [
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
]


@dataclass(frozen=True)
class DemoMark:
    index: int
    number: str
    kind: str  # word, figurative, combined
    words: str
    vienna: tuple[str, ...]
    nice: tuple[int, ...]
    image: Image.Image

    def png(self) -> bytes:
        out = io.BytesIO()
        self.image.save(out, format="PNG")
        return out.getvalue()


@cache
def _truetype(face: int, size: int) -> ImageFont.FreeTypeFont:
    if WQY_FONT.is_file():
        return ImageFont.truetype(str(WQY_FONT), size, index=face)
    return ImageFont.load_default(size)  # Pillow's own (Latin) font


def _latin_word(rng: random.Random) -> str:
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    style = rng.random()
    return word.upper() if style < 0.4 else word.capitalize() if style < 0.8 else word


def _hanzi_word(rng: random.Random) -> str:
    return "".join(rng.sample(_HANZI, rng.randint(2, 3)))


def _fitted(draw: ImageDraw.ImageDraw, text: str, face: int, box: tuple[int, int]):
    size = 96
    while size > 12:
        font = _truetype(face, size)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        if right - left <= box[0] and bottom - top <= box[1]:
            return font, (left, top, right, bottom)
        size -= 6
    font = _truetype(face, 12)
    return font, draw.textbbox((0, 0), text, font=font)


def _draw_text_pil(image: Image.Image, text: str, face: int, area, colour) -> None:
    x0, y0, x1, y1 = area
    draw = ImageDraw.Draw(image)
    font, (left, top, right, bottom) = _fitted(draw, text, face, (x1 - x0, y1 - y0))
    x = x0 + (x1 - x0 - (right - left)) // 2 - left
    y = y0 + (y1 - y0 - (bottom - top)) // 2 - top
    draw.text((x, y), text, font=font, fill=colour)


def _draw_text_hershey(image: Image.Image, text: str, font: int, area, colour, bold: int) -> None:
    x0, y0, x1, y1 = area
    pixels = np.array(image)
    (width, height), base = cv2.getTextSize(text, font, 1.0, bold)
    scale = min((x1 - x0) / max(width, 1), (y1 - y0) / max(height + base, 1))
    thickness = max(1, int(bold * scale))
    (width, height), base = cv2.getTextSize(text, font, scale, thickness)
    origin = (x0 + (x1 - x0 - width) // 2, y0 + (y1 - y0 + height) // 2)
    cv2.putText(pixels, text, origin, font, scale, colour, thickness, cv2.LINE_AA)
    image.paste(Image.fromarray(pixels))


def _draw_words(image: Image.Image, rng: random.Random, words: str, area, colour) -> None:
    latin = words.isascii()
    if latin and rng.random() < 0.5:
        _draw_text_hershey(image, words, rng.choice(_HERSHEY), area, colour, rng.randint(2, 5))
    else:
        _draw_text_pil(image, words, rng.choice((0, 1)), area, colour)


# Shapes of figurative marks, each with its Vienna code (the Vienna Classification, WIPO).
def _star(draw, rng, centre, radius, colour, fill):
    points = rng.choice((5, 6, 8))
    inner = radius * rng.uniform(0.38, 0.6)
    turn = rng.uniform(0, math.pi)
    vertices = [
        (
            centre[0] + (radius if k % 2 == 0 else inner) * math.cos(turn + k * math.pi / points),
            centre[1] + (radius if k % 2 == 0 else inner) * math.sin(turn + k * math.pi / points),
        )
        for k in range(points * 2)
    ]
    draw.polygon(vertices, fill=colour if fill else None, outline=colour, width=6)
    return "01.01.01"


def _circle(draw, rng, centre, radius, colour, fill):
    box = (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius)
    draw.ellipse(box, fill=colour if fill else None, outline=colour, width=int(6 + radius / 10))
    return "26.01.01"


def _polygon(draw, rng, centre, radius, colour, fill):
    sides = rng.choice((3, 4, 5, 6, 8))
    turn = rng.uniform(0, math.pi)
    vertices = [
        (
            centre[0] + radius * math.cos(turn + 2 * math.pi * k / sides),
            centre[1] + radius * math.sin(turn + 2 * math.pi * k / sides),
        )
        for k in range(sides)
    ]
    draw.polygon(vertices, fill=colour if fill else None, outline=colour, width=6)
    return {3: "26.03.01", 4: "26.04.01"}.get(sides, "26.05.01")


def _crescent(draw, rng, centre, radius, colour, fill):
    box = (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius)
    draw.ellipse(box, fill=colour)
    shift = radius * rng.uniform(0.35, 0.6)
    angle = rng.uniform(0, 2 * math.pi)
    dx, dy = shift * math.cos(angle), shift * math.sin(angle)
    draw.ellipse((box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy), fill=(255, 255, 255))
    return "01.07.01"


def _leaves(draw, rng, centre, radius, colour, fill):
    count = rng.choice((3, 4, 5, 6))
    turn = rng.uniform(0, math.pi)
    for k in range(count):
        angle = turn + 2 * math.pi * k / count
        cx = centre[0] + radius * 0.5 * math.cos(angle)
        cy = centre[1] + radius * 0.5 * math.sin(angle)
        half_long, half_short = radius * 0.5, radius * 0.2
        outline = []
        for step in range(24):
            t = 2 * math.pi * step / 24
            px, py = half_long * math.cos(t), half_short * math.sin(t)
            outline.append(
                (
                    cx + px * math.cos(angle) - py * math.sin(angle),
                    cy + px * math.sin(angle) + py * math.cos(angle),
                )
            )
        draw.polygon(outline, fill=colour)
    return "05.03.13"


def _bands(draw, rng, centre, radius, colour, fill):
    count = rng.randint(2, 4)
    slope = rng.uniform(-0.6, 0.6)
    for k in range(count):
        y = centre[1] - radius + (k + 0.5) * 2 * radius / count
        draw.line(
            (centre[0] - radius, y - slope * radius, centre[0] + radius, y + slope * radius),
            fill=colour,
            width=int(radius / (count * 1.6)) + 3,
        )
    return "26.11.01"


def _shield(draw, rng, centre, radius, colour, fill):
    x, y = centre
    top = y - radius
    vertices = [
        (x - radius * 0.8, top),
        (x + radius * 0.8, top),
        (x + radius * 0.8, y + radius * 0.1),
        (x, y + radius),
        (x - radius * 0.8, y + radius * 0.1),
    ]
    draw.polygon(vertices, fill=colour if fill else None, outline=colour, width=7)
    return "24.01.03"


_SHAPES: list[Callable[..., str]] = [_star, _circle, _polygon, _crescent, _leaves, _bands, _shield]


def _figure(image: Image.Image, rng: random.Random, area) -> tuple[str, ...]:
    """Two to four shapes in `area`, the first large; returns their Vienna codes."""
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = area
    side = min(x1 - x0, y1 - y0)
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    colours = rng.sample(_COLOURS, 2)
    codes = [rng.choice(_SHAPES)(draw, rng, centre, side * 0.45, colours[0], rng.random() < 0.5)]
    for _ in range(rng.randint(1, 3)):
        offset = side * 0.25
        spot = (
            centre[0] + rng.uniform(-offset, offset),
            centre[1] + rng.uniform(-offset, offset),
        )
        shape = rng.choice(_SHAPES)
        codes.append(shape(draw, rng, spot, side * rng.uniform(0.12, 0.3), colours[1], True))
    return tuple(sorted(set(codes)))


def demo_mark(index: int) -> DemoMark:
    """Demo mark `index`, the same every time."""
    rng = random.Random(SEED + index)
    kind = ("word", "figurative", "combined")[rng.choices((0, 1, 2), (4, 3, 3))[0]]
    colour = rng.choice(_COLOURS)
    words, vienna = "", ()
    if kind == "word":
        words = _hanzi_word(rng) if rng.random() < 0.4 else _latin_word(rng)
        width = 300 if len(words) > 3 else 220
        image = Image.new("RGB", (width, 120), (255, 255, 255))
        _draw_words(image, rng, words, (12, 14, width - 12, 106), colour)
        if rng.random() < 0.4:
            ImageDraw.Draw(image).rounded_rectangle(
                (3, 3, width - 4, 116), radius=14, outline=colour, width=4
            )
    elif kind == "figurative":
        image = Image.new("RGB", (240, 240), (255, 255, 255))
        vienna = _figure(image, rng, (10, 10, 230, 230))
    else:
        words = _hanzi_word(rng) if rng.random() < 0.5 else _latin_word(rng)
        image = Image.new("RGB", (260, 260), (255, 255, 255))
        vienna = _figure(image, rng, (40, 8, 220, 188))
        _draw_words(image, rng, words, (14, 194, 246, 252), colour)
    nice = tuple(sorted(rng.sample(range(1, 46), rng.randint(1, 3))))
    return DemoMark(
        index=index,
        number=str(FIRST_NUMBER + index),
        kind=kind,
        words=words,
        vienna=vienna,
        nice=nice,
        image=image,
    )


_TM_STAGES = (
    ("tm_registered", "注册公告"),
    ("tm_registered", "注册公告"),
    ("tm_opposition", "初审公告"),
    ("tm_substantive_examination", "实质审查"),
    ("tm_filed", "申请收文"),
)


def demo_row(mark: DemoMark, address: str) -> RecordRow:
    """The demo record of a mark whose image is kept at `address`."""
    rng = random.Random(SEED - mark.index)
    stage, official = rng.choice(_TM_STAGES)
    filed = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(365 * 16))
    registered = filed + dt.timedelta(days=400) if stage == "tm_registered" else None
    events = [EventRow(date=filed, stage="tm_filed", official_status="申请收文")]
    if stage != "tm_filed":
        events.append(EventRow(date=registered or filed, stage=stage, official_status=official))
    title = mark.words or f"图形商标 {mark.number}"
    return RecordRow(
        number=mark.number,
        kind=Record.Kind.trademark,
        title=title,
        filing_date=filed,
        applicants=DEMO_OWNER,
        stage=stage,
        official_status=official,
        granted_on=registered,
        nice_classes=",".join(str(n) for n in mark.nice),
        mark_image=address,
        mark_kind=mark.kind,
        vienna_codes=",".join(mark.vienna),
        mark_words=mark.words,
        events=events,
    )


async def load_demo_marks(
    count: int,
    marks_dir: Path,
    queue: RedisQueue | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
    first: int = 0,
) -> int:
    """Demo marks `first`..`first + count - 1` as records, their images kept and indexed
    (missing ones only: loading again adds nothing). Returns how many records were created."""
    created = 0
    for start in range(first, first + count, LOAD_BATCH):
        indexes = range(start, min(start + LOAD_BATCH, first + count))
        numbers = [str(FIRST_NUMBER + index) for index in indexes]
        present = {
            row["number"]
            for row in await Record.select(Record.number).where(Record.number.is_in(numbers))
        }
        rows = await asyncio.to_thread(
            _rows_for, [i for i in indexes if str(FIRST_NUMBER + i) not in present], marks_dir
        )
        if rows:
            result = await write_rows(rows)
            created += result.created
            await index_after_import(result.trademark_ids, queue)
        progress(start + len(indexes) - first, count)
    return created


def _rows_for(indexes: list[int], marks_dir: Path) -> list[RecordRow]:
    rows = []
    for index in indexes:
        mark = demo_mark(index)
        rows.append(demo_row(mark, keep_mark_image(mark.png(), ".png", marks_dir)))
    return rows
