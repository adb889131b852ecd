"""Guide files: front matter checked with file and line, Markdown rendered and sanitised.

A guide is `content/guides/<slug>/<locale>.md`: YAML front matter between `---` lines, then
Markdown. Raw HTML in the Markdown is not rendered, and the HTML that is produced passes nh3
with an allow-list, so no script, event handler or javascript: link reaches a page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import msgspec
import nh3
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

CATEGORIES = (
    "patents",
    "trademarks",
    "geographical-indications",
    "ic-layout-designs",
    "fees-and-reductions",
    "online-services",
    "protection-and-enforcement",
)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ALLOWED_TAGS = {
    "h2",
    "h3",
    "h4",
    "p",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "code",
    "pre",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "br",
    "hr",
}
ALLOWED_ATTRIBUTES = {"h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "a": {"href", "title"}}


class FrontMatter(msgspec.Struct, forbid_unknown_fields=True):
    slug: str
    title: str
    category: str
    summary: str
    version: int
    updated: dt.date
    locale: str
    matters: list[str] = []
    sources: list[str] = []


class GuideProblem(Exception):
    """Something wrong in a guide file; says where."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass(frozen=True)
class GuideSource:
    path: Path
    front: FrontMatter
    body: str
    content_hash: str


@dataclass(frozen=True)
class Rendered:
    html: str
    toc: list[tuple[int, str, str]]  # (level, anchor id, heading text)


def _line_of(front_text: str, key: str) -> int:
    """The file line where `key:` stands in the front matter (the opening --- is line 1)."""
    for number, text in enumerate(front_text.splitlines(), start=2):
        if text.startswith(f"{key}:"):
            return number
    return 1


def parse_guide(path: Path, expected_locale: str | None = None) -> GuideSource:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise GuideProblem(path, 1, "a guide starts with front matter between --- lines")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise GuideProblem(path, 1, "the front matter has no closing --- line")
    front_text, body = text[4:end], text[end + 5 :]
    try:
        raw = yaml.safe_load(front_text) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise GuideProblem(path, (mark.line + 2) if mark else 1, f"YAML: {error}") from error
    try:
        front = msgspec.convert(raw, FrontMatter)
    except msgspec.ValidationError as error:
        key = re.search(r"\$\.(\w+)", str(error))
        missing = re.search(r"missing required field `(\w+)`", str(error))
        line = _line_of(front_text, key.group(1)) if key else 1
        message = f"missing {missing.group(1)}" if missing else str(error)
        raise GuideProblem(path, line, message) from error
    _check(path, front_text, front, expected_locale)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return GuideSource(path=path, front=front, body=body, content_hash=digest)


def _check(path: Path, front_text: str, front: FrontMatter, expected_locale: str | None) -> None:
    if not SLUG.match(front.slug) or front.slug != path.parent.name:
        raise GuideProblem(
            path,
            _line_of(front_text, "slug"),
            f"slug {front.slug!r} must be the folder name in lower-case-hyphens",
        )
    if front.category not in CATEGORIES:
        raise GuideProblem(
            path,
            _line_of(front_text, "category"),
            f"category {front.category!r} is not one of {', '.join(CATEGORIES)}",
        )
    if expected_locale and front.locale != expected_locale:
        raise GuideProblem(
            path,
            _line_of(front_text, "locale"),
            f"locale {front.locale!r} does not match the file name",
        )


_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False})
    .enable("table")
    .use(anchors_plugin, min_level=2, max_level=3)
)


def render(markdown: str) -> Rendered:
    tokens = _markdown.parse(markdown)
    toc = [
        (int(token.tag[1]), token.attrs.get("id", ""), tokens[index + 1].content)
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag in {"h2", "h3"}
    ]
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Rendered(html=clean, toc=[(level, str(anchor), text) for level, anchor, text in toc])
