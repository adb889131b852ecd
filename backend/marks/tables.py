from __future__ import annotations

from piccolo.columns import BigInt, Bytea, ForeignKey, OnDelete, Varchar
from piccolo.table import Table

from backend.inquiries.tables import Record


class MarkEntry(
    Table,
    help_text="The image-search index (marks/index.py): one row per trademark record with a mark "
    "image or word elements. A change replaces the row with a later `written`, so a process "
    "sees by count and latest `written` that its copy in memory is stale.",
):
    record = ForeignKey(references=Record, on_delete=OnDelete.cascade, unique=True)
    image = Varchar(length=300, default="", help_text="The Record.mark_image described.")
    descriptor = Bytea(default=b"", help_text="float16 shape descriptor; empty when no image.")
    words = Varchar(length=300, default="", help_text="Word elements, '; '-separated.")
    kind = Varchar(length=12, default="", help_text="word, figurative or combined.")
    nice_classes = Varchar(length=100, default="", help_text="As Record.nice_classes.")
    vienna_codes = Varchar(length=200, default="", help_text="As Record.vienna_codes.")
    written = BigInt(default=0, help_text="time.time_ns() when written (SQLite reuses ids).")
