"""The README stays honest: every setting is documented, and the two commands are there.

And the links between README.md, docs/ and bench/*.md lead somewhere: every relative link to an
existing file, every `#anchor` to a heading of it, every design-decision file linked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.settings import PROJECT_ROOT, SETTING_DOCS, Settings

README = (PROJECT_ROOT / "README.md").read_text()


@pytest.mark.parametrize("field", Settings.__struct_fields__)
def test_every_setting_is_in_the_readme_configuration_table(field: str) -> None:
    assert f"| `IPH_{field.upper()}` |" in README
    assert field in SETTING_DOCS


def test_readme_starts_with_the_two_commands() -> None:
    head = README[: README.index("## Configuration")]
    assert "make run" in head and "make test" in head


def test_settings_are_read_and_typed_from_the_environment() -> None:
    settings = Settings.from_env({"IPH_PORT": "9000", "IPH_REDIS_URL": "redis://x:6379/1"})
    assert settings.port == 9000
    assert settings.redis_url == "redis://x:6379/1"
    assert Settings.from_env({}).port == 8000


DOCS = PROJECT_ROOT / "docs"
DECISIONS = DOCS / "decisions"
MARKDOWN_FILES = sorted(
    [PROJECT_ROOT / "README.md", *DOCS.rglob("*.md"), *(PROJECT_ROOT / "bench").glob("*.md")]
)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_INLINE_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:|^//", re.IGNORECASE)


def _prose(text: str) -> str:
    """The text without fenced code blocks, where `[x](y)` and `# x` are not links or headings."""
    return _FENCE.sub("", text)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text lower-cased, punctuation dropped, spaces → -."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = re.sub(r"[`*]|<[^>]+>", "", text).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in a Markdown file; a repeated one gets -1, -2, … as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_prose(path.read_text())):
        slug = github_slug(heading)
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def relative_links(path: Path) -> list[str]:
    text = _CODE_SPAN.sub("", _prose(path.read_text()))
    targets = _INLINE_LINK.findall(text) + _REFERENCE.findall(text)
    return [target for target in targets if target and not _SCHEME.match(target)]


def broken_links(path: Path) -> list[str]:
    broken = []
    for link in relative_links(path):
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.exists():
            broken.append(f"{link}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{link}: no heading with that anchor in {file.name}")
    return broken


@pytest.mark.parametrize(
    "path", MARKDOWN_FILES, ids=lambda path: str(path.relative_to(PROJECT_ROOT))
)
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(path: Path) -> None:
    assert broken_links(path) == []


def test_every_design_decision_file_is_linked_from_the_readme_or_the_index() -> None:
    linked = {
        (source.parent / link.partition("#")[0]).resolve()
        for source in (PROJECT_ROOT / "README.md", DECISIONS / "README.md")
        for link in relative_links(source)
    }
    assert sorted(p.name for p in DECISIONS.glob("*.md") if p not in linked) == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Elder mode (长辈版)", "elder-mode-长辈版"),
        ("Security headers in a `before_send` hook", "security-headers-in-a-before_send-hook"),
        (
            "Background jobs, one code path, two runners",
            "background-jobs-one-code-path-two-runners",
        ),
        ("bench/ — server speed and page weight", "bench--server-speed-and-page-weight"),
        ("How the figures compare (2026-11-29)", "how-the-figures-compare-2026-11-29"),
        ("Lighthouse scores: `bench/lighthouse.py`", "lighthouse-scores-benchlighthousepy"),
    ],
)
def test_heading_anchors_follow_githubs_slug_rules(heading: str, anchor: str) -> None:
    assert github_slug(heading) == anchor


def test_a_broken_link_or_anchor_is_reported(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## A heading\n\n## A heading\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[fine](other.md#a-heading) [repeated](other.md#a-heading-1) [here](#top)\n"
        "[gone](missing.md) [no anchor](other.md#nowhere) [web](https://example.com/x.md)\n"
        "`[code](not-a-link.md)`\n\n```\n[fenced](not-a-link.md)\n```\n\n# Top\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#nowhere: no heading with that anchor in other.md",
    ]
