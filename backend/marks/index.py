"""The index in memory: every MarkEntry's descriptor in one matrix, multiplied by a photo's crops.

The rows live in the database (MarkEntry), the same in both profiles; each process keeps a copy
in memory and reloads it when the table's count or latest write moved (a change replaces a row
with a later `written`). A search multiplies the matrix by the photo's crops. Up to tens of
thousands of rows that is exact; above COARSE_FROM_ROWS a first pass over the descriptors'
coarse cells alone (a fifth of the numbers) picks the rows the full descriptor then scores,
since the full product over ~180,000 rows and ~30 crops takes most of a second on two cores
(bench/README.md has the figures).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from backend.marks import features, text
from backend.marks.schemas import MarkFilters
from backend.marks.tables import MarkEntry

# The first numbers of a descriptor are its 4x4 cells (features.GRIDS), the coarse pass's.
COARSE = features.GRIDS[0] ** 2 * features.BINS


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row scaled to unit length (a zero row stays zero), contiguous float32."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.where(norms > 0, norms, 1), dtype=np.float32)


@dataclass
class Loaded:
    """What a search reads: arrays over the entries, in one order."""

    stamp: tuple[int, int] = (-1, 0)  # (count, latest written) of MarkEntry when loaded
    record_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # One row per view of a mark (the whole, then its parts), `entry_of_row` the position of
    # the entry it belongs to; an entry without an image has no row.
    vectors: np.ndarray = field(
        default_factory=lambda: np.zeros((0, features.DIMENSIONS), np.float32)
    )
    # The rows' coarse cells, each row made unit length again, for the first pass.
    coarse: np.ndarray = field(default_factory=lambda: np.zeros((0, COARSE), np.float32))
    entry_of_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    has_image: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    kinds: list[str] = field(default_factory=list)
    nice: list[frozenset[int]] = field(default_factory=list)
    vienna: list[tuple[str, ...]] = field(default_factory=list)
    word_grams: list[frozenset[str]] = field(default_factory=list)
    by_gram: dict[str, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.kinds)

    def _passes(self, position: int, filters: MarkFilters) -> bool:
        if filters.nice_class is not None and filters.nice_class not in self.nice[position]:
            return False
        if filters.kind and self.kinds[position] != filters.kind:
            return False
        return not filters.vienna or any(
            code.startswith(filters.vienna) for code in self.vienna[position]
        )

    def allowed(self, filters: MarkFilters) -> np.ndarray | None:
        """A mask of the entries the filters let through; None when there are no filters."""
        if filters.nice_class is None and not filters.kind and not filters.vienna:
            return None
        mask = np.ones(len(self), bool)
        for position in range(len(self)):
            mask[position] = self._passes(position, filters)
        return mask


def _views_of(descriptor: bytes) -> np.ndarray:
    """The stored descriptors of a mark's views, one a row (none when it has no image)."""
    values = np.frombuffer(descriptor, dtype=np.float16)
    if values.size == 0 or values.size % features.DIMENSIONS:
        return np.zeros((0, features.DIMENSIONS), np.float32)
    return values.reshape(-1, features.DIMENSIONS).astype(np.float32)


def _numbers(listed: str) -> frozenset[int]:
    return frozenset(int(part) for part in listed.split(",") if part.strip().isdigit())


def _codes(listed: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in listed.split(",") if part.strip())


def build(rows: list[dict], stamp: tuple[int, int]) -> Loaded:
    loaded = Loaded(stamp=stamp)
    views = [_views_of(row["descriptor"]) for row in rows]
    counts = np.array([len(view) for view in views], np.int64)
    vectors = (
        np.concatenate(views) if counts.sum() else np.zeros((0, features.DIMENSIONS), np.float32)
    )
    has_image = counts > 0
    by_gram: defaultdict[str, list[int]] = defaultdict(list)
    for position, row in enumerate(rows):
        loaded.kinds.append(row["kind"])
        loaded.nice.append(_numbers(row["nice_classes"]))
        loaded.vienna.append(_codes(row["vienna_codes"]))
        word_grams = text.grams(row["words"])
        loaded.word_grams.append(word_grams)
        for gram in word_grams:
            by_gram[gram].append(position)
    loaded.record_ids = np.array([row["record"] for row in rows], np.int64)
    loaded.vectors = vectors
    loaded.coarse = unit_rows(vectors[:, :COARSE])
    loaded.entry_of_row = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    loaded.has_image = has_image
    loaded.by_gram = dict(by_gram)
    return loaded


async def _stamp() -> tuple[int, int]:
    rows = await MarkEntry.raw(
        "SELECT COUNT(*) AS n, COALESCE(MAX(written), 0) AS top FROM mark_entry"
    )
    return int(rows[0]["n"]), int(rows[0]["top"])


class MarkIndex:
    """The process's copy of the index, reloaded when the table changed."""

    def __init__(self) -> None:
        self.loaded = Loaded()
        self._lock = asyncio.Lock()

    async def current(self) -> Loaded:
        stamp = await _stamp()
        if stamp == self.loaded.stamp:
            return self.loaded
        async with self._lock:
            stamp = await _stamp()
            if stamp != self.loaded.stamp:
                rows = await MarkEntry.select(
                    MarkEntry.record,
                    MarkEntry.descriptor,
                    MarkEntry.words,
                    MarkEntry.kind,
                    MarkEntry.nice_classes,
                    MarkEntry.vienna_codes,
                ).order_by(MarkEntry.id)
                self.loaded = await asyncio.to_thread(build, rows, stamp)
        return self.loaded


INDEX = MarkIndex()
