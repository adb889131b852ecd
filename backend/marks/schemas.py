"""What the image search takes and answers (the contract with the web side)."""

from __future__ import annotations

import msgspec

MARK_KINDS = ("word", "figurative", "combined")


class MarkFilters(msgspec.Struct, frozen=True, kw_only=True):
    nice_class: int | None = None  # 1..45
    kind: str | None = None  # "word" | "figurative" | "combined"
    vienna: str | None = None  # a Vienna code prefix, e.g. "03.01"


class MarkMatch(msgspec.Struct, frozen=True, kw_only=True):
    record_id: int
    number: str
    title: str
    owner: str  # Record.applicants
    status: str  # Record.stage, the plain stage code (stage_view_of gives its chip)
    image: str  # the mark image's /marks/ address
    score: float  # 0..1, higher is closer
    through: str  # "image" | "text" | "both"


class MarkSearch(msgspec.Struct, frozen=True, kw_only=True):
    matches: list[MarkMatch]  # best first, at most `limit`
    close: bool  # False: the page says "no close match"
    text_read: str  # words/characters OCR read in the photo ("" if none)
