"""Guide sources are public documents a reader can look up, and no guide shows a working marker.

Each guide file is read the way the import reads it (`read_folder`, which uses
`backend.guides.content.parse_guide`). A source must be one of: a law, regulation, rule or
standard by its title in 《》 (or an English title of one); an announcement or notice with its
number; the fee schedule with its date; or a named page of the office's public website
("国家知识产权局网站 › …"). Never a file of this project, and never a "check" marker: where a fact
could not be confirmed, the body says in plain words what to confirm with the office.
"""

from __future__ import annotations

import re

import pytest

from backend.guides.content import GuideSource
from backend.guides.service import CONTENT_DIR, read_folder

# A file or folder of this project: a file name, a path, or one of the shared working notes.
PROJECT_FILE = re.compile(
    r"\.(md|json|py|csv|ya?ml|txt)\b|shared/|DESIGN|DOMAIN|SECURITY|STYLE|README"
)
# "/" is a path, except in the prefix of a recommended national standard (GB/T, GB/Z).
SLASH = re.compile(r"(?<!GB)/|GB/(?![TZ])")
# A marker that a figure still needs checking, in either language.
MARKER = re.compile(r"check|marked|待核|核实标记|todo|tbd|fixme|\?\?", re.IGNORECASE)

TITLE_KINDS = "法|条例|细则|办法|规定|规则|指南|标准|规范|意见|决定|通知|区分表"
PUBLIC_KINDS = {
    "law or regulation": re.compile(rf"《[^》]*({TITLE_KINDS})[^》]*》"),
    "law or regulation (English title)": re.compile(
        r"\b(Law|Regulations?|Rules|Measures|Provisions|Guidelines)\b of the\b"
    ),
    "announcement or notice with its number": re.compile(
        r"公告第[〇零一二三四五六七八九十百千\d]+号|〔\d{4}〕\d+号|Announcement No\. ?\d+"
    ),
    "fee schedule with its date": re.compile(
        r"(收费标准|fee schedule).*(\d{4}年\d{1,2}月|\d{4}-\d{2})", re.IGNORECASE
    ),
    "named page of the office's website": re.compile(
        r"^(国家知识产权局[^›\s]*网站?|中国商标网|世界知识产权组织网站|(CNIPA|WIPO) website)"
        r"( › [^›\s][^›]*)+$"
    ),
}

# In the body: the team's notes or a bare hedge that names neither what to confirm nor with whom.
BODY_MARKER = re.compile(
    r"[(（]\s*check\s*[)）]|marked\s+[\"“]?check|标注[“\"]?check|(?-i:DOMAIN|DESIGN\.md|TODO)"
    r"|待核|核实标记|check (the )?current (rules|requirements|conditions|practice)"
    r"|depends? on the current rules"
    r"|以现行(规定|要求|做法)为准",
    re.IGNORECASE,
)


def _guides() -> list[GuideSource]:
    guides, problems = read_folder(CONTENT_DIR)
    assert problems == [], problems
    assert guides, f"no guide files found in {CONTENT_DIR}"
    return guides


def _name(guide: GuideSource) -> str:
    return str(guide.path.relative_to(CONTENT_DIR))


def source_problem(source: str) -> str | None:
    """Why `source` is not a public document a reader can look up, or None when it is."""
    if found := PROJECT_FILE.search(source) or SLASH.search(source):
        return f"names a file of this project ({found.group(0)!r})"
    if found := MARKER.search(source):
        return f"carries a working marker ({found.group(0)!r})"
    if not any(kind.search(source) for kind in PUBLIC_KINDS.values()):
        return "is not a law, regulation, numbered announcement, dated fee schedule or office page"
    return None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("《中华人民共和国专利法》（2020年修正）第四十二条", None),
        ("国家知识产权局公告第三五四号（2020年4月3日）", None),
        ("《专利收费减缴办法》（财税〔2016〕78号）", None),
        ("GB/T 39735-2020《政务服务评价工作指南》", None),
        ("国家知识产权局网站 › 专利收费标准", None),
        ("DOMAIN.md（审批阶段与状态）", "names a file of this project ('DOMAIN')"),
        ("shared/DOMAIN", "names a file of this project ('shared/')"),
        ("CNIPA fee schedule (figures marked check)", "carries a working marker ('marked')"),
        ("《专利法》（待核实）", "carries a working marker ('待核')"),
        (
            "国家知识产权局 内部资料",
            "is not a law, regulation, numbered announcement, dated fee schedule or office page",
        ),
        (
            "知识产权掌上办 使用说明（记录绑定）",
            "is not a law, regulation, numbered announcement, dated fee schedule or office page",
        ),
        (
            "国家知识产权局关于某事项的公告（2021年）",
            "is not a law, regulation, numbered announcement, dated fee schedule or office page",
        ),
    ],
)
def test_a_source_is_judged_by_what_kind_of_public_document_it_names(
    source: str, expected: str | None
) -> None:
    assert source_problem(source) == expected


def test_every_guide_cites_only_public_documents_never_the_teams_notes_or_a_check_marker() -> None:
    wrong = [
        f"{_name(guide)}: {source!r} {problem}"
        for guide in _guides()
        for source in guide.front.sources
        if (problem := source_problem(source))
    ]
    assert wrong == [], "\n".join(wrong)


def test_every_guide_has_at_least_one_source() -> None:
    bare = [
        str(guide.path.relative_to(CONTENT_DIR)) for guide in _guides() if not guide.front.sources
    ]
    assert bare == []


def _lines(guide: GuideSource) -> list[tuple[int, str]]:
    """The title, the summary and the body, each line with its line number in the file."""
    text = guide.path.read_text(encoding="utf-8")
    first_body_line = text[: len(text) - len(guide.body)].count("\n") + 1
    front = [(0, guide.front.title), (0, guide.front.summary)]
    return front + list(enumerate(guide.body.splitlines(), start=first_body_line))


def test_no_guide_shows_a_working_marker_but_says_what_to_confirm_with_the_office() -> None:
    wrong = [
        f"{_name(guide)}:{number}: {found.group(0)!r} in {line.strip()[:60]!r}"
        for guide in _guides()
        for number, line in _lines(guide)
        if (found := BODY_MARKER.search(line))
    ]
    assert wrong == [], "\n".join(wrong)
