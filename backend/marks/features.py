"""Shape descriptors of mark images, the same for a clean registered image and a phone photo.

A mark is compared by the layout of its edges, not its colours: the image is made grey, its
light falls evened out, its polarity turned so that the mark is dark on a light ground (a light
mark on a dark sign reads as the same mark), and cropped to the mark. The descriptor is a
pyramid of unsigned gradient-orientation histograms (HOG-like cells, 4x4 and 8x8, eight
orientations modulo 180 degrees: unchanged by inverting or recolouring), square-rooted and
L2-normalised so that a dot product is a cosine similarity. A registered mark is described
whole and, where a blank band divides it, in its two parts; a photo at several crops, its
tight ones also with each side padded (for a mark cut off). bench/README.md says what was
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
QUERY_SIDE = 512  # photos are described at most this large
# A plate (the mark's own ground in a cluttered photo) covers this share of the photo at least
# and at most; so many of the largest are tried.
PLATE_MIN, PLATE_MAX, PLATES = 0.05, 0.9, 6
# The brightest share of a photo, one more cue to a plate (a light ground split by strokes).
PLATE_WHITE = 0.15
# A registered mark is also described in two parts where a blank band at least SPLIT_GAP of
# its side runs across it, each part at least SPLIT_SIDE of the side (a figure and its words).
SPLIT_GAP, SPLIT_SIDE = 0.04, 0.15
# A tight crop of a photographed mark may have lost a side (cut off by the frame or a hand):
# it is also described with each side in turn padded by this share with its ground.
PAD = 0.25


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


def _ground(grey: np.ndarray) -> float:
    """The level of the image's ground: the median of its border."""
    return float(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))


def _dark_on_light(grey: np.ndarray) -> np.ndarray:
    return 255 - grey if _ground(grey) < 128 else grey


def _ink(grey: np.ndarray, threshold: int = 60) -> np.ndarray:
    """What stands out from the ground (dark on light), pixel by pixel."""
    return grey.astype(np.int16) < int(_ground(grey)) - threshold


def _content_box(grey: np.ndarray, threshold: int = 60) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1) of what stands out from the ground (dark on light)."""
    mask = _ink(grey, threshold)
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


def _split(grey: np.ndarray, axis: int) -> list[np.ndarray]:
    """A mark cut in two along its widest blank band across `axis` (0: a band of rows), when
    the band is wide enough and each side large enough to be a part of its own."""
    inked = _ink(grey).any(axis=1 - axis)
    length = inked.size
    best, start = (0, 0), None
    for at, ink in enumerate([*inked, True]):
        if not ink and start is None:
            start = at
        elif ink and start is not None:
            best = max(best, (at - start, start))
            start = None
    gap, begin = best
    if gap < SPLIT_GAP * length or min(begin, length - begin - gap) < SPLIT_SIDE * length:
        return []
    if axis == 0:
        halves = (grey[:begin], grey[begin + gap :])
    else:
        halves = (grey[:, :begin], grey[:, begin + gap :])
    parts = []
    for half in halves:
        box = _content_box(half)
        if box is not None:
            parts.append(_crop(half, box))
    return parts


def describe_mark_views(image: Image.Image) -> np.ndarray:
    """A registered mark's descriptors, one a row: the whole mark first, then its parts apart
    (a figure and its words, say), so that a photo showing one part meets it. Empty when the
    image holds nothing to describe."""
    grey = _dark_on_light(grey_of(image))
    box = _content_box(grey)
    if box is None:
        return np.zeros((0, DIMENSIONS), np.float32)
    whole = _crop(grey, box)
    parts = [whole, *_split(whole, 0), *_split(whole, 1)]
    return np.stack([describe(part) for part in parts if min(part.shape) >= 8])


def _hull(mask: np.ndarray) -> np.ndarray:
    """The convex hull of a mask: a plate is convex, and strokes that reach its edge stay in."""
    points = cv2.findNonZero(mask.astype(np.uint8))
    out = np.zeros(mask.shape, np.uint8)
    if points is not None:
        cv2.fillConvexPoly(out, cv2.convexHull(points), 1)
    return out > 0


def _rectified(plate: np.ndarray, hull: np.ndarray) -> np.ndarray | None:
    """A plate seen at an angle, warped square on: when its outline is a quadrilateral."""
    contours, _ = cv2.findContours(
        hull.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    if not contours:
        return None
    outline = max(contours, key=cv2.contourArea)
    corners = cv2.approxPolyDP(outline, 0.04 * cv2.arcLength(outline, True), True)
    if len(corners) != 4:
        return None
    corners = corners.reshape(4, 2).astype(np.float32)
    by_sum, by_diff = corners.sum(axis=1), np.diff(corners, axis=1).ravel()
    ordered = np.float32(
        [
            corners[by_sum.argmin()],
            corners[by_diff.argmin()],
            corners[by_sum.argmax()],
            corners[by_diff.argmax()],
        ]
    )  # top left, top right, bottom right, bottom left
    width = int(
        max(np.linalg.norm(ordered[1] - ordered[0]), np.linalg.norm(ordered[2] - ordered[3]))
    )
    height = int(
        max(np.linalg.norm(ordered[3] - ordered[0]), np.linalg.norm(ordered[2] - ordered[1]))
    )
    if min(width, height) < 16:
        return None
    target = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    matrix = cv2.getPerspectiveTransform(ordered, target)
    return cv2.warpPerspective(plate, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)


def _plates(
    grey: np.ndarray, evened: np.ndarray
) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
    """Regions that may be the mark's own ground in a cluttered photo, largest first: smooth
    areas (two thresholds), the bright side of Otsu's threshold, the brightest pixels, and
    areas no edge crosses."""
    height, width = grey.shape
    values = grey.astype(np.float32)
    mean, square = cv2.blur(values, (5, 5)), cv2.blur(values * values, (5, 5))
    spread = np.sqrt(np.maximum(square - mean * mean, 0))
    _, bright = cv2.threshold(evened, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    side = max(3, int(max(height, width) * 0.03)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    cues = []
    for cue in (spread < 3, spread < np.percentile(spread, 25), bright > 0):
        closed = cv2.morphologyEx(cue.astype(np.uint8), cv2.MORPH_CLOSE, kernel)
        cues.append(cv2.morphologyEx(closed, cv2.MORPH_OPEN, kernel))
    edges = cv2.Canny(cv2.GaussianBlur(evened, (0, 0), 1.0), 30, 90)
    cues.append((cv2.dilate(edges, np.ones((3, 3), np.uint8)) == 0).astype(np.uint8))
    # Otsu's bright side often holds the plate and a light ground around it together; the
    # brightest pixels alone keep a white plate apart from them.
    white = (evened >= np.percentile(evened, 100 * (1 - PLATE_WHITE))).astype(np.uint8)
    closed = cv2.morphologyEx(white, cv2.MORPH_CLOSE, kernel)
    cues.append(cv2.morphologyEx(closed, cv2.MORPH_OPEN, kernel))
    found = []
    for cue in cues:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(cue, connectivity=4)
        for label in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[label])
            if area < PLATE_MIN * height * width or w * h > PLATE_MAX * height * width:
                continue
            found.append((area, (x, y, x + w, y + h), labels[y : y + h, x : x + w] == label))
    found.sort(key=lambda item: -item[0])
    return [(box, mask) for _, box, mask in found[:PLATES]]


def _completed(crop: np.ndarray) -> Iterator[np.ndarray]:
    """A tight crop and, for a mark that may have lost a side, each side padded in turn with
    the crop's ground (the lost part then reads as blank, not as the rest stretched)."""
    yield crop
    ground = int(_ground(crop))
    height, width = crop.shape
    across, down = int(width * PAD), int(height * PAD)
    for top, bottom, left, right in (
        (0, 0, across, 0),
        (0, 0, 0, across),
        (down, 0, 0, 0),
        (0, down, 0, 0),
    ):
        yield cv2.copyMakeBorder(crop, top, bottom, left, right, cv2.BORDER_CONSTANT, value=ground)


def query_crops(image: Image.Image) -> Iterator[np.ndarray]:
    """The crops of a photo to describe, each grey, evened and dark on light: the whole, its
    centre, what stands out, and each plate found with the clutter around it blanked; the
    tight crops also with each side padded."""
    grey = grey_of(image)
    longest = max(grey.shape)
    if longest > QUERY_SIDE:
        scale = QUERY_SIDE / longest
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    evened = _evened(grey)
    whole = _dark_on_light(evened)
    yield whole
    height, width = whole.shape
    for part in CENTRE_CROPS:
        dy, dx = int(height * (1 - part) / 2), int(width * (1 - part) / 2)
        yield whole[dy : height - dy, dx : width - dx]
    box = _content_box(whole, threshold=40)
    if box is not None and (box[2] - box[0]) * (box[3] - box[1]) < 0.9 * height * width:
        yield from _completed(_crop(whole, box))
    for (x0, y0, x1, y1), mask in _plates(grey, evened):
        plate = evened[y0:y1, x0:x1].copy()
        hull = _hull(mask)
        plate[~hull] = int(np.median(plate[mask]))
        for view in (plate, _rectified(plate, hull)):
            if view is None:
                continue
            view = _dark_on_light(view)
            inner = _content_box(view, threshold=40)
            if inner is None:
                continue  # a bare plate: noise alone can look like a dense mark
            yield view
            yield from _completed(_crop(view, inner))


def describe_query(image: Image.Image) -> np.ndarray:
    """The descriptors of a photo's crops, one a row."""
    return np.stack([describe(crop) for crop in query_crops(image) if min(crop.shape) >= 8])
