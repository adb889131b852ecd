"""The matter catalogue: every seeded matter complete in three locales, its references real,
its commitment versions kept, and a wrong file refused with what is wrong."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import msgspec
import pytest

from backend.matters.catalogue import (
    AREAS,
    CONTENT_DIR,
    GUIDES_DIR,
    CatalogueProblem,
    Localised,
    catalogue,
    load_catalogue,
)
from backend.outlets.service import TYPE_NAMES

SEEDED = {
    "bibliographic-change",
    "trademark-change",
    "fee-reduction-request",
    "evaluation-report-request",
    "certified-copy-request",
    "certificate-copy-request",
    "trademark-renewal",
    "restoration-request",
    "gi-special-mark-application",
    "record-binding",
}
# Every commitment version ever published, with the SHA-256 of its zh_Hans and en texts: a
# version people may have signed is never edited or removed (add new versions instead).
PUBLISHED = CONTENT_DIR / "published-commitments.txt"


def texts_of(value: object):
    """Every Localised inside a Struct, however deep."""
    if isinstance(value, Localised):
        yield value
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            yield from texts_of(getattr(value, name))
    elif isinstance(value, tuple):
        for item in value:
            yield from texts_of(item)


def test_every_high_frequency_matter_is_in_the_catalogue() -> None:
    assert catalogue().codes >= SEEDED


@pytest.mark.parametrize("code", sorted(SEEDED))
def test_every_text_of_a_matter_is_there_in_the_three_locales(code: str) -> None:
    matter = catalogue().get(code)
    texts = list(texts_of(matter))
    assert len(texts) > 15
    for text in texts:
        assert text.zh_Hans.strip() and text.zh_Hant.strip() and text.en.strip(), text
        assert not any("\u4e00" <= c <= "\u9fff" for c in text.en.replace("郫县豆瓣", "")), text


@pytest.mark.parametrize("code", sorted(SEEDED))
def test_every_matter_asks_real_questions_and_names_its_documents(code: str) -> None:
    matter = catalogue().get(code)
    assert matter.area in AREAS
    assert matter.questions and all(group.fields for group in matter.questions)
    assert any(field.kind == "record_number" for field in matter.fields) or code.startswith("gi")
    carried = {field.document for field in matter.fields if field.kind == "file"}
    assert carried == {document.code for document in matter.documents}
    for field in matter.fields:
        assert field.label.en and (field.kind != "choice" or len(field.choices) >= 2)


@pytest.mark.parametrize("code", sorted(SEEDED))
def test_a_matters_guide_and_outlet_types_exist(code: str) -> None:
    matter = catalogue().get(code)
    assert (GUIDES_DIR / matter.guide / "zh_Hans.md").is_file()
    assert matter.outlet_types and set(matter.outlet_types) <= set(TYPE_NAMES)


def test_codes_match_the_guides_related_matters_where_a_guide_names_one() -> None:
    named = set()
    for path in GUIDES_DIR.glob("*/zh_Hans.md"):
        line = next(line for line in path.read_text().splitlines() if line.startswith("matters:"))
        named |= {code.strip() for code in line.split("[")[1].rstrip("]").split(",") if code}
    for code in SEEDED - {"certified-copy-request", "certificate-copy-request"}:
        assert code in named, f"{code}: no guide names it"


def test_a_fee_has_an_amount_only_with_its_public_source() -> None:
    for matter in catalogue().matters:
        if matter.fee.amount_yuan is not None:
            assert matter.fee.kind == "fixed" and matter.fee.source
        if matter.fee.kind == "schedule":
            assert matter.fee.note, f"{matter.code}: say where the schedule is"


def test_a_document_a_commitment_may_replace_has_the_commitment_text() -> None:
    replaceable = [
        m for m in catalogue().matters if any(d.commitment_may_replace for d in m.documents)
    ]
    assert {m.code for m in replaceable} >= {"bibliographic-change", "trademark-change"}
    for matter in replaceable:
        current = matter.current_commitment
        assert current is not None and matter.commitment(current.version) is current
        assert len(current.digest) == 64


def _published_lines() -> set[str]:
    lines = set()
    for matter in catalogue().matters:
        for commitment in matter.commitments:
            digest = hashlib.sha256(
                f"{commitment.text.zh_Hans}\n{commitment.text.en}".encode()
            ).hexdigest()
            lines.add(f"{matter.code} {commitment.version} {digest}")
    return lines


def test_every_published_commitment_version_is_kept_unchanged() -> None:
    published = {line for line in PUBLISHED.read_text().splitlines() if line and line[0] != "#"}
    held = _published_lines()
    assert published <= held, f"edited or removed: {sorted(published - held)}"
    assert held <= published, f"add to {PUBLISHED.name}: {sorted(held - published)}"


def copy_catalogue(tmp_path: Path) -> Path:
    folder = tmp_path / "matters"
    shutil.copytree(CONTENT_DIR, folder)
    return folder


def test_an_older_commitment_version_stays_readable_after_a_new_one(tmp_path: Path) -> None:
    folder = copy_catalogue(tmp_path)
    path = folder / "bibliographic-change.yaml"
    text = path.read_text()
    newer = (
        '  - version: "2027-1"\n    since: 2027-06-01\n    text:\n'
        "      zh_Hans: 新版本的承诺。\n      en: The newer commitment.\n"
    )
    path.write_text(text.replace("promised:\n", newer + "promised:\n", 1))
    matter = load_catalogue(folder).get("bibliographic-change")
    assert matter.current_commitment.version == "2027-1"
    assert matter.commitment("2026-1").text.zh_Hans.startswith("本人（本单位）承诺")
    assert matter.commitment("2027-1").text.zh_Hant == "新版本的承諾。"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("guide: patent-bibliographic-change", "guide: no-such-guide", "guide 'no-such-guide'"),
        ("outlet_types: [acceptance_window,", "outlet_types: [bank,", "outlet types ['bank']"),
        ("  kind: schedule\n", "  kind: fixed\n", "an amount only with kind fixed"),
        ("code: bibliographic-change", "code: other-code", "must be the file name"),
        ("    commitment_may_replace: true\n    only_if", "    only_if", None),
        ("values: [name, name_and_address]}", "values: [nickname]}", "only_if must name"),
        ("  working_days: 10", "  working_days: ten", "Expected `int`"),
    ],
)
def test_a_wrong_matter_file_is_refused_with_what_is_wrong(
    tmp_path: Path, old: str, new: str, problem: str | None
) -> None:
    folder = copy_catalogue(tmp_path)
    path = folder / "bibliographic-change.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    if problem is None:  # a document fewer replaceable is still a valid catalogue
        assert load_catalogue(folder).get("bibliographic-change")
        return
    with pytest.raises(CatalogueProblem) as refused:
        load_catalogue(folder)
    assert refused.value.path == path and problem in refused.value.message


def test_a_hand_written_zh_hant_is_kept_rather_than_converted(tmp_path: Path) -> None:
    folder = copy_catalogue(tmp_path)
    path = folder / "record-binding.yaml"
    text = path.read_text().replace(
        "  zh_Hans: 没有绑定码时绑定专利、商标\n",
        "  zh_Hans: 没有绑定码时绑定专利、商标\n  zh_Hant: 沒有綁定碼時綁定專利或商標\n",
        1,
    )
    path.write_text(text)
    assert load_catalogue(folder).get("record-binding").name.zh_Hant == "沒有綁定碼時綁定專利或商標"
