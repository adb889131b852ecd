from __future__ import annotations

from piccolo.columns import Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class IdempotencyRecord(
    Table,
    help_text="A submission made once under its Idempotency-Key, and the answer it was given.",
):
    natural_key = Varchar(
        length=200,
        unique=True,
        help_text="scope|owner|key: the same key of another person or purpose is another record.",
    )
    fingerprint = Varchar(length=64, help_text="SHA-256 of the payload, canonical JSON.")
    response = Text(help_text="The answer given the first time, JSON.")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
