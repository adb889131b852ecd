"""Photograph-like distortions of a mark image, seeded: what the tests and bench/marks_search.py
search with. Each takes and returns an RGB image; `photo(image, names, rng)` applies several in
the order a camera would meet them.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

DISTORTIONS = (
    "perspective",
    "clutter",
    "light",
    "blur",
    "jpeg",
    "crop",
    "colour",
    "inverted",
)
ALL = "all"


def _enlarged(image: Image.Image, side: int = 420) -> Image.Image:
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.convert("RGB").resize(size, Image.Resampling.BICUBIC)


def perspective(image: Image.Image, rng: random.Random) -> Image.Image:
    """Seen at an angle: each corner moved by up to a sixth of the side, on a grey ground."""
    pixels = np.asarray(image)
    height, width = pixels.shape[:2]
    margin = int(max(height, width) * 0.15)
    source = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    moved = source + np.float32(
        [[rng.uniform(-1, 1) * width / 6, rng.uniform(-1, 1) * height / 6] for _ in range(4)]
    )
    moved += margin
    matrix = cv2.getPerspectiveTransform(source, moved)
    ground = tuple(int(v) for v in rng.choice([(200, 200, 195), (235, 235, 230), (150, 150, 150)]))
    out = cv2.warpPerspective(
        pixels,
        matrix,
        (width + 2 * margin, height + 2 * margin),
        flags=cv2.INTER_LINEAR,
        borderValue=ground,
    )
    return Image.fromarray(out)


def clutter(image: Image.Image, rng: random.Random) -> Image.Image:
    """The mark on a sign among other things: boxes, lines and noise around it."""
    width, height = (
        int(image.width * rng.uniform(1.6, 2.0)),
        int(image.height * rng.uniform(1.6, 2.0)),
    )
    ground = Image.new("RGB", (width, height), tuple(rng.randrange(120, 230) for _ in range(3)))
    draw = ImageDraw.Draw(ground)
    for _ in range(rng.randint(8, 16)):
        colour = tuple(rng.randrange(0, 256) for _ in range(3))
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(20, width // 2), y0 + rng.randrange(20, height // 2)
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.line((x0, y0, x1, y1), fill=colour, width=rng.randint(2, 10))
    noise = np.asarray(ground).astype(np.int16) + np.random.default_rng(
        rng.randrange(2**32)
    ).integers(-25, 25, (height, width, 3))
    ground = Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8))
    x = rng.randrange(0, width - image.width + 1)
    y = rng.randrange(0, height - image.height + 1)
    ground.paste(image, (x, y))
    return ground


def light(image: Image.Image, rng: random.Random) -> Image.Image:
    """Uneven light: a gradient from full light to a third of it, and a soft shadow."""
    pixels = np.asarray(image).astype(np.float32)
    height, width = pixels.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width]
    ramp = np.cos(angle) * xs / width + np.sin(angle) * ys / height
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    gain = 0.35 + 0.65 * ramp
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    shadow = np.exp(-(((xs - cx) / (width / 3)) ** 2 + ((ys - cy) / (height / 3)) ** 2))
    gain *= 1 - 0.3 * shadow
    return Image.fromarray(np.clip(pixels * gain[..., None], 0, 255).astype(np.uint8))


def blur(image: Image.Image, rng: random.Random) -> Image.Image:
    """Out of focus or shaken: a Gaussian blur of 1.5 to 3 px at about 420 px."""
    return image.filter(ImageFilter.GaussianBlur(rng.uniform(1.5, 3.0)))


def jpeg(image: Image.Image, rng: random.Random) -> Image.Image:
    """Squeezed hard: JPEG at quality 10 to 25."""
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=rng.randint(10, 25))
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def crop(image: Image.Image, rng: random.Random) -> Image.Image:
    """Part of the mark cut off: 15 to 25 % of one side."""
    cut = rng.uniform(0.15, 0.25)
    width, height = image.size
    side = rng.choice("lrtb")
    box = {
        "l": (int(width * cut), 0, width, height),
        "r": (0, 0, int(width * (1 - cut)), height),
        "t": (0, int(height * cut), width, height),
        "b": (0, 0, width, int(height * (1 - cut))),
    }[side]
    return image.crop(box)


def colour(image: Image.Image, rng: random.Random) -> Image.Image:
    """Another colour: the hue turned by a third to two thirds of the circle."""
    hsv = np.asarray(image.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + rng.randint(85, 170)) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


def inverted(image: Image.Image, rng: random.Random) -> Image.Image:
    """A light mark on a dark ground."""
    return Image.fromarray(255 - np.asarray(image))


FUNCTIONS: dict[str, Callable[[Image.Image, random.Random], Image.Image]] = {
    "perspective": perspective,
    "clutter": clutter,
    "light": light,
    "blur": blur,
    "jpeg": jpeg,
    "crop": crop,
    "colour": colour,
    "inverted": inverted,
}
# All eight together, in a camera's order (the mark itself first, light on dark in another
# colour, then the scene, then the camera).
TOGETHER = ("colour", "inverted", "crop", "clutter", "perspective", "light", "blur", "jpeg")


def photo(image: Image.Image, names: Sequence[str], rng: random.Random) -> Image.Image:
    """`image` enlarged as a photo would hold it, then each distortion named in turn."""
    out = _enlarged(image)
    for name in names:
        out = FUNCTIONS[name](out, rng)
    return out


def distortion_names(name: str) -> tuple[str, ...]:
    return TOGETHER if name == ALL else (name,)
