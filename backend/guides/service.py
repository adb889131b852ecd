"""Guides: import from the content folder, publish versions, read them in the person's locale.

zh_Hant is converted from zh_Hans with OpenCC (s2hk) wherever no hand-written zh_Hant file
exists; a locale without any version falls back to zh_Hans, and the page says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import opencc

from backend.core.database import write_transaction
from backend.core.i18n import DEFAULT_LOCALE, LOCALES
from backend.guides.content import GuideProblem, GuideSource, parse_guide, render
from backend.guides.tables import Guide, GuideVersion
from backend.settings import PROJECT_ROOT

CONTENT_DIR = PROJECT_ROOT / "content" / "guides"


@dataclass
class ImportResult:
    new_versions: int = 0
    unchanged: int = 0
    problems: list[GuideProblem] = field(default_factory=list)


@dataclass(frozen=True)
class GuidePage:
    slug: str
    category: str
    matters: list[str]
    locale: str
    fallback: bool  # shown in zh_Hans because the person's locale has no version
    version: GuideVersion

    @property
    def toc(self) -> list[list]:
        return json.loads(self.version.toc)

    @property
    def sources(self) -> list[str]:
        return json.loads(self.version.sources)


@cache
def _to_traditional() -> opencc.OpenCC:
    return opencc.OpenCC("s2hk")


def read_folder(folder: Path) -> tuple[list[GuideSource], list[GuideProblem]]:
    sources, problems = [], []
    for path in sorted(folder.glob("*/*.md")):
        if path.stem not in LOCALES:
            problems.append(GuideProblem(path, 1, f"file name must be one of {LOCALES}"))
            continue
        try:
            sources.append(parse_guide(path, expected_locale=path.stem))
        except GuideProblem as problem:
            problems.append(problem)
    return sources, problems


async def import_guides(folder: Path = CONTENT_DIR) -> ImportResult:
    """Idempotent: an unchanged file adds nothing; a changed one publishes a new version."""
    sources, problems = read_folder(folder)
    result = ImportResult(problems=problems)
    if problems:
        return result
    by_slug: dict[str, dict[str, GuideSource]] = {}
    for source in sources:
        by_slug.setdefault(source.front.slug, {})[source.front.locale] = source
    for slug, files in by_slug.items():
        if DEFAULT_LOCALE not in files:
            result.problems.append(
                GuideProblem(
                    next(iter(files.values())).path, 1, f"{slug} has no {DEFAULT_LOCALE}.md"
                )
            )
            continue
        for locale in LOCALES:
            published = await _publish_file(files, locale)
            result.new_versions += published
            result.unchanged += not published
    return result


async def _publish_file(files: dict[str, GuideSource], locale: str) -> bool:
    source = files.get(locale)
    generated = source is None and locale == "zh_Hant"
    if source is None and not generated:
        return False
    origin = source or files[DEFAULT_LOCALE]
    front = origin.front
    body, title, summary = origin.body, front.title, front.summary
    content_hash = origin.content_hash
    if generated:
        convert = _to_traditional().convert
        body, title, summary = convert(body), convert(title), convert(summary)
        content_hash = f"opencc:{content_hash}"[:64]
    return await publish(
        slug=front.slug,
        category=front.category,
        matters=front.matters,
        locale=locale,
        title=title,
        summary=summary,
        markdown=body,
        sources=front.sources,
        updated_on=front.updated,
        content_hash=content_hash,
        generated=generated,
    )


async def publish(
    *,
    slug: str,
    category: str,
    matters: list[str],
    locale: str,
    title: str,
    summary: str,
    markdown: str,
    sources: list[str],
    updated_on: dt.date,
    content_hash: str,
    generated: bool = False,
) -> bool:
    """Publish a new version unless the latest one was made from the same content."""
    async with write_transaction(Guide._meta.db):
        guide = await Guide.objects().get_or_create(
            Guide.slug == slug, defaults={Guide.category: category}
        )
        await Guide.update({Guide.category: category, Guide.matters: ",".join(matters)}).where(
            Guide.id == guide.id
        )
        latest = await _latest(guide.id, locale)
        if latest is not None and latest.content_hash == content_hash:
            return False
        rendered = render(markdown)
        await GuideVersion(
            guide=guide.id,
            locale=locale,
            version=(latest.version + 1) if latest else 1,
            title=title[:200],
            summary=summary[:500],
            body_markdown=markdown,
            body_html=rendered.html,
            toc=json.dumps(rendered.toc, ensure_ascii=False),
            sources=json.dumps(sources, ensure_ascii=False),
            updated_on=updated_on,
            content_hash=content_hash,
            generated=generated,
        ).save()
    return True


async def _latest(guide_id: int, locale: str) -> GuideVersion | None:
    return (
        await GuideVersion.objects()
        .where((GuideVersion.guide == guide_id) & (GuideVersion.locale == locale))
        .order_by(GuideVersion.version, ascending=False)
        .first()
    )


def _page(guide: Guide, version: GuideVersion, locale: str) -> GuidePage:
    fallback = version.locale != locale
    return GuidePage(
        slug=guide.slug,
        category=guide.category,
        matters=[m for m in guide.matters.split(",") if m],
        locale=version.locale,
        fallback=fallback and locale != DEFAULT_LOCALE,
        version=version,
    )


async def guide_page(slug: str, locale: str) -> GuidePage | None:
    guide = await Guide.objects().where(Guide.slug == slug).first()
    if guide is None:
        return None
    version = await _latest(guide.id, locale) or await _latest(guide.id, DEFAULT_LOCALE)
    return None if version is None else _page(guide, version, locale)


async def history(slug: str, locale: str) -> list[GuideVersion]:
    guide = await Guide.objects().where(Guide.slug == slug).first()
    if guide is None:
        return []
    return (
        await GuideVersion.objects()
        .where((GuideVersion.guide == guide.id) & (GuideVersion.locale == locale))
        .order_by(GuideVersion.version, ascending=False)
    )


async def all_guides(locale: str) -> list[GuidePage]:
    """Every guide in the locale (or its zh_Hans fallback), most recently updated first.

    Two queries whatever the number of guides: the list page, the search and the offline pack
    all read every guide.
    """
    guides = await Guide.objects()
    versions = await (
        GuideVersion.objects()
        .where(GuideVersion.locale.is_in(sorted({locale, DEFAULT_LOCALE})))
        .order_by(GuideVersion.version)
    )
    latest = {(version.guide, version.locale): version for version in versions}  # last wins
    pages = []
    for guide in guides:
        version = latest.get((guide.id, locale)) or latest.get((guide.id, DEFAULT_LOCALE))
        if version is not None:
            pages.append(_page(guide, version, locale))
    return sorted(pages, key=lambda page: (page.version.updated_on, page.slug), reverse=True)


async def publish_edit(
    page: GuidePage, title: str, summary: str, markdown: str, today: dt.date
) -> bool:
    """Staff publish an edited text from the console: a new version, the old ones kept."""
    digest = hashlib.sha256(f"{title}\n{summary}\n{markdown}".encode()).hexdigest()
    return await publish(
        slug=page.slug,
        category=page.category,
        matters=page.matters,
        locale=page.locale,
        title=title.strip(),
        summary=summary.strip(),
        markdown=markdown,
        sources=page.sources,
        updated_on=today,
        content_hash=f"edit:{digest}"[:64],
    )
