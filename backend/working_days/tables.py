from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Date, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AnnouncedDay(
    Table,
    help_text=(
        "A day of the State Council's holiday arrangement, added by an administrator for a year "
        "chinese-calendar does not cover yet (or to correct one it does)."
    ),
):
    class Kind(StrEnum):
        holiday = "holiday"  # 放假: a day off, whatever the weekday
        working_day = "working_day"  # 调休上班: an adjusted working day, usually a weekend

    day = Date(unique=True, index=True, help_text="The import key: one kind per day.")
    kind = Varchar(length=20, choices=Kind)
    name = Varchar(length=100, default="", help_text="The festival it belongs to (国庆节).")
    source = Text(help_text="Where it comes from: the notice's title and number, or a URL.")
    updated_at = Timestamptz(default=TimestamptzNow())
