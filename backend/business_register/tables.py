from __future__ import annotations

from piccolo.columns import Boolean, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class BusinessEntity(
    Table,
    help_text="An entity of the business register as our own copy holds it (the default adapter).",
):
    credit_code = Varchar(
        length=18, unique=True, help_text="Unified social credit code, canonical."
    )
    name = Varchar(length=200)
    address = Varchar(length=300, help_text="The registered address (住所).")
    active = Boolean(default=True, help_text="False: deregistered or revoked.")
    is_demo = Boolean(default=False, help_text="A made-up entity of `iph setup`, labelled.")
    source = Text(help_text="Where the entry came from.")
    updated_at = Timestamptz(default=TimestamptzNow())
