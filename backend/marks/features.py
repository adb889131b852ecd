"""Shape descriptors of mark images, the same for a clean registered image and a phone photo.

A mark is compared by the layout of its edges, not its colours: the image is made grey, its
light falls evened out, its polarity turned so that the mark is dark on a light ground (a light
mark on a dark sign reads as the same mark), and cropped to the mark. The descriptor is a
pyramid of unsigned gradient-orientation histograms (HOG-like cells, 4x4 and 8x8, eight
orientations modulo 180 degrees: unchanged by inverting or recolouring), square-rooted and
L2-normalised so that a dot product is a cosine similarity. bench/README.md says what was
measured against what.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
from PIL import Image

SIDE = 96  # the mark is described at SIDE x SIDE (aspect not kept: photos skew it anyway)
GRIDS = (4, 8)
BINS = 8
DIMENSIONS = sum(grid * grid for grid in GRIDS) * BINS
# A query is described at several crops: the whole photo, its centre, the mark's region.
CENTRE_CROPS = (0.8, 0.6)


def grey_of(image: Image.Image) -> np.ndarray:
    """8-bit grey, transparency laid on white."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        ground = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(ground, image)
    return np.asarray(image.convert("L"), dtype=np.uint8)


def _evened(grey: np.ndarray) -> np.ndarray:
    """Uneven light divided out: each pixel over a wide blur of its neighbourhood."""
    side = max(grey.shape)
    sigma = max(side / 8, 4)
    ground = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), sigma) + 1.0
    ratio = grey.astype(np.float32) / ground
    return np.clip(ratio * 200.0, 0, 255).astype(np.uint8)


def _dark_on_light(grey: np.ndarray) -> np.ndarray:
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return 255 - grey if np.median(border) < 128 else grey


def _content_box(grey: np.ndarray, threshold: int = 60) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1) of what stands out from the ground (dark on light)."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    mask = grey.astype(np.int16) < int(np.median(border)) - threshold
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0 or cols.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _crop(grey: np.ndarray, box: tuple[int, int, int, int], margin: float = 0.04) -> np.ndarray:
    x0, y0, x1, y1 = box
    pad_x, pad_y = int((x1 - x0) * margin) + 1, int((y1 - y0) * margin) + 1
    height, width = grey.shape
    return grey[
        max(0, y0 - pad_y) : min(height, y1 + pad_y), max(0, x0 - pad_x) : min(width, x1 + pad_x)
    ]


def describe(grey: np.ndarray) -> np.ndarray:
    """The descriptor of an already cropped, dark-on-light grey mark (float32, unit length)."""
    square = cv2.resize(grey, (SIDE, SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)
    square = cv2.GaussianBlur(square, (0, 0), 1.2)
    gx = cv2.Sobel(square, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(square, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.sqrt(gx * gx + gy * gy)
    angle = (np.arctan2(gy, gx) % np.pi) / np.pi * BINS  # unsigned: 0..BINS
    low = np.floor(angle).astype(np.int32) % BINS
    high = (low + 1) % BINS
    weight_high = angle - np.floor(angle)
    channels = np.zeros((SIDE, SIDE, BINS), np.float32)
    rows, cols = np.indices((SIDE, SIDE))
    np.add.at(channels, (rows, cols, low), magnitude * (1 - weight_high))
    np.add.at(channels, (rows, cols, high), magnitude * weight_high)
    parts = [
        cv2.resize(channels, (grid, grid), interpolation=cv2.INTER_AREA).reshape(-1)
        for grid in GRIDS
    ]
    vector = np.sqrt(np.concatenate(parts))
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def describe_mark(image: Image.Image) -> np.ndarray | None:
    """A registered mark's descriptor; None when the image holds nothing to describe."""
    grey = _dark_on_light(grey_of(image))
    box = _content_box(grey)
    if box is None:
        return None
    return describe(_crop(grey, box))


def query_crops(image: Image.Image) -> Iterator[np.ndarray]:
    """The crops of a photo to describe, each grey, evened and dark on light."""
    grey = grey_of(image)
    longest = max(grey.shape)
    if longest > 512:
        scale = 512 / longest
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grey = _dark_on_light(_evened(grey))
    yield grey
    height, width = grey.shape
    for part in CENTRE_CROPS:
        dy, dx = int(height * (1 - part) / 2), int(width * (1 - part) / 2)
        yield grey[dy : height - dy, dx : width - dx]
    box = _content_box(grey, threshold=40)
    if box is not None and (box[2] - box[0]) * (box[3] - box[1]) < 0.9 * height * width:
        yield _crop(grey, box)


def describe_query(image: Image.Image) -> np.ndarray:
    """The descriptors of a photo's crops, one a row."""
    return np.stack([describe(crop) for crop in query_crops(image) if min(crop.shape) >= 8])
