from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Guide(Table, help_text="A policy guide; its text lives in GuideVersion, one per locale."):
    slug = Varchar(length=80, unique=True, index=True)
    category = Varchar(length=40, index=True)
    matters = Varchar(length=300, default="", help_text="Related matter codes, comma-separated.")


class GuideVersion(Table, help_text="Every published version of a guide in one locale is kept."):
    guide = ForeignKey(references=Guide, on_delete=OnDelete.cascade, index=True)
    locale = Varchar(length=10)
    version = Integer()
    title = Varchar(length=200)
    summary = Varchar(length=500)
    body_markdown = Text()
    body_html = Text(help_text="Rendered and sanitised once, at publication.")
    toc = Text(default="[]", help_text="JSON list of [level, id, text].")
    sources = Text(default="[]", help_text="JSON list of source descriptions.")
    updated_on = Date()
    content_hash = Varchar(length=64, help_text="What it was made from: unchanged → no version.")
    generated = Boolean(default=False, help_text="zh_Hant converted from zh_Hans by OpenCC.")
    published_at = Timestamptz(default=TimestamptzNow())
