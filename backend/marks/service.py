"""Trademark image search: index the records' mark images, search them with a photo.

The web side hands `search_marks` a decoded, upright RGB image (longest side <= 1024); nothing
of the photo is kept. The index is MarkEntry rows (both profiles) held in memory by index.py;
`index_record_mark` is called when an import creates or changes a trademark (in the scale
profile through the job queue, marks/jobs.py), `rebuild_index` by `litestar iph marks-rebuild`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from backend.core.database import write_transaction
from backend.inquiries.marks import MARK_URL_PREFIX
from backend.inquiries.tables import Record
from backend.marks import features, text
from backend.marks.index import COARSE, INDEX, Loaded, unit_rows
from backend.marks.schemas import MarkFilters, MarkMatch, MarkSearch
from backend.marks.tables import MarkEntry
from backend.settings import Settings

# Cosine similarities of the shape descriptor are mapped to 0..1 between these: below FLOOR
# is what unrelated marks score, CEILING what the same mark photographed scores at best.
IMAGE_FLOOR, IMAGE_CEILING = 0.70, 0.98
TEXT_FLOOR = 0.3  # a Dice coefficient below this is no match of the text
# From so many rows a search first ranks them by their coarse cells and scores only the best
# COARSE_KEPT with the whole descriptor (index.py says why; bench/README.md what it costs).
COARSE_FROM_ROWS, COARSE_KEPT = 50_000, 4_000
CLOSE = 0.5  # the best match's score from which the page shows it as close
CANDIDATES = 200
BATCH = 200


@cache
def _marks_dir() -> Path:
    return Settings.from_env().var_path / "marks"


def mark_image_path(address: str, marks_dir: Path | None = None) -> Path | None:
    if not address.startswith(MARK_URL_PREFIX):
        return None
    name = address.removeprefix(MARK_URL_PREFIX)
    if "/" in name or name.startswith("."):
        return None
    return (marks_dir or _marks_dir()) / name


def descriptor_of_file(path: Path | None) -> bytes:
    """The stored descriptors of a mark image file's views, one after another; b"" when
    unreadable (an SVG, say)."""
    if path is None or path.suffix.lower() == ".svg" or not path.is_file():
        return b""
    try:
        with Image.open(path) as image:
            image.load()
            views = features.describe_mark_views(image)
    except (UnidentifiedImageError, OSError, ValueError):
        return b""
    return views.astype(np.float16).tobytes()


def _words_of(record: Record) -> str:
    return record.mark_words or (record.title if record.mark_kind != "figurative" else "")


def _entry_values(record: Record, descriptor: bytes) -> dict:
    return {
        "record": record.id,
        "image": record.mark_image,
        "descriptor": descriptor,
        "words": _words_of(record)[:300],
        "kind": record.mark_kind,
        "nice_classes": record.nice_classes,
        "vienna_codes": record.vienna_codes,
    }


def _written() -> dict:
    return {"written": time.time_ns()}


def _indexable(record: Record | None) -> bool:
    return (
        record is not None
        and record.kind == Record.Kind.trademark
        and bool(record.mark_image or record.mark_words)
    )


async def index_record_mark(record_id: int) -> None:
    """(Re)index one record's mark: its row replaced, its image described again if it changed."""
    await index_record_marks([record_id])


async def index_record_marks(
    record_ids: Sequence[int], progress: Callable[[int, int], None] = lambda done, total: None
) -> None:
    """(Re)index records' marks in batches; records with no mark (any longer) are forgotten."""
    for start in range(0, len(record_ids), BATCH):
        await _index_batch(list(record_ids[start : start + BATCH]))
        progress(min(start + BATCH, len(record_ids)), len(record_ids))


async def _index_batch(record_ids: list[int]) -> None:
    records = await Record.objects().where(Record.id.is_in(record_ids))
    old = {
        entry.record: entry
        for entry in await MarkEntry.objects().where(MarkEntry.record.is_in(record_ids))
    }
    fresh = [record for record in records if _indexable(record)]
    to_describe = [r for r in fresh if r.id not in old or old[r.id].image != r.mark_image]
    described = await asyncio.to_thread(
        lambda: {r.id: descriptor_of_file(mark_image_path(r.mark_image)) for r in to_describe}
    )
    rows = []
    for record in fresh:
        descriptor = described[record.id] if record.id in described else old[record.id].descriptor
        values = _entry_values(record, descriptor)
        kept = old.get(record.id)
        if kept is None or any(getattr(kept, key) != value for key, value in values.items()):
            rows.append(MarkEntry(**values, **_written()))
    gone = set(old) - {record.id for record in fresh}
    replaced = [row.record for row in rows if row.record in old]
    if not rows and not gone:
        return
    async with write_transaction(MarkEntry._meta.db):
        if gone or replaced:
            await MarkEntry.delete().where(MarkEntry.record.is_in([*gone, *replaced]))
        if rows:
            await MarkEntry.insert(*rows)


async def forget_record_mark(record_id: int) -> None:
    await MarkEntry.delete().where(MarkEntry.record == record_id)


async def rebuild_index(progress: Callable[[int, int], None] = lambda done, total: None) -> int:
    """The index made again from every trademark record; returns how many entries it holds.

    `progress(done, total)` after each batch. It indexes each record as an import does, so
    its result is the same as the incremental one."""
    query = Record.select(Record.id).where(
        (Record.kind == Record.Kind.trademark)
        & ((Record.mark_image != "") | (Record.mark_words != ""))
    )
    ids = [row["id"] for row in await query.order_by(Record.id)]
    await MarkEntry.delete(force=True)
    await index_record_marks(ids, progress)
    return await MarkEntry.count()


def _cosines_of_rows(loaded: Loaded, queries: np.ndarray) -> np.ndarray:
    """Each row's best cosine over the query's crops; past the coarse pass's kept rows, -1."""
    rows = len(loaded.vectors)
    if rows < COARSE_FROM_ROWS or rows <= COARSE_KEPT:
        return (loaded.vectors @ queries.T).max(axis=1)
    rough = (loaded.coarse @ unit_rows(queries[:, :COARSE]).T).max(axis=1)
    kept = np.argpartition(-rough, COARSE_KEPT)[:COARSE_KEPT]
    cosines = np.full(rows, -1.0, np.float32)
    cosines[kept] = (loaded.vectors[kept] @ queries.T).max(axis=1)
    return cosines


def _image_scores(loaded: Loaded, queries: np.ndarray) -> np.ndarray:
    """Each entry's score by image, 0..1: its best cosine over the query's crops and its own
    views (the whole mark, its parts), mapped."""
    if not len(loaded):
        return np.zeros(0, np.float32)
    cosines = np.full(len(loaded), -1.0, np.float32)
    np.maximum.at(cosines, loaded.entry_of_row, _cosines_of_rows(loaded, queries))
    # Not clipped at 0: below the floor the order still counts (the score shown is clipped).
    scores = np.minimum((cosines - IMAGE_FLOOR) / (IMAGE_CEILING - IMAGE_FLOOR), 1)
    return np.where(loaded.has_image, scores, -1).astype(np.float32)


def _text_scores(loaded: Loaded, lines: list[str]) -> np.ndarray:
    scores = np.zeros(len(loaded), np.float32)
    pieces = [*lines, " ".join(lines)] if len(lines) > 1 else lines
    for piece in pieces:
        query = text.grams(piece)
        seen = {position for gram in query for position in loaded.by_gram.get(gram, ())}
        for position in seen:
            scores[position] = max(scores[position], text.dice(query, loaded.word_grams[position]))
    return np.where(scores >= TEXT_FLOOR, scores, 0)


def rank(
    loaded: Loaded, queries: np.ndarray, lines: list[str], filters: MarkFilters, limit: int
) -> list[tuple[int, float, str]]:
    """The best entries: (position, score, through) best first."""
    by_image = _image_scores(loaded, queries)
    by_text = _text_scores(loaded, lines)
    combined = np.maximum(by_image, by_text) + 0.2 * np.clip(np.minimum(by_image, by_text), 0, 1)
    allowed = loaded.allowed(filters)
    if allowed is not None:
        combined = np.where(allowed, combined, -np.inf)
    count = min(limit, len(loaded))
    if count == 0:
        return []
    # Equal scores (text matches often tie) ordered by record id, not by where each entry
    # happens to sit in the index: an index rebuilt from scratch then answers as the one kept
    # up incrementally. Every entry tying with the last one taken is a candidate.
    cutoff = np.partition(-combined, count - 1)[count - 1]
    candidates = np.flatnonzero(-combined <= cutoff)
    order = np.lexsort((loaded.record_ids[candidates], -combined[candidates]))
    top = candidates[order][:count]
    ranked = []
    for position in top:
        if not np.isfinite(combined[position]) or combined[position] <= -1:
            break  # filtered out, or neither image nor words to compare
        score = float(np.clip(combined[position], 0, 1))
        image_part, text_part = by_image[position] > 0, by_text[position] > 0
        through = "both" if image_part and text_part else "text" if text_part else "image"
        ranked.append((int(position), score, through))
    return ranked


async def search_marks(image: Image.Image, filters: MarkFilters, *, limit: int = 20) -> MarkSearch:
    """The registered marks closest to a photo, best first."""
    loaded = await INDEX.current()
    queries, lines = await asyncio.gather(
        asyncio.to_thread(features.describe_query, image), asyncio.to_thread(text.read_text, image)
    )
    ranked = rank(loaded, queries, lines, filters, limit)
    ids = [int(loaded.record_ids[position]) for position, _, _ in ranked]
    records = {r.id: r for r in await Record.objects().where(Record.id.is_in(ids))} if ids else {}
    matches = [
        MarkMatch(
            record_id=record.id,
            number=record.number,
            title=record.title,
            owner=record.applicants,
            status=record.stage,
            image=record.mark_image,
            score=round(score, 4),
            through=through,
        )
        for (position, score, through) in ranked
        if (record := records.get(int(loaded.record_ids[position]))) is not None
    ]
    close = bool(matches) and matches[0].score >= CLOSE
    return MarkSearch(matches=matches, close=close, text_read=" ".join(lines))
