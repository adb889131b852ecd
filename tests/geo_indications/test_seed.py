"""The project's own GI seed: at least 4,000 real products, their facts only, no description;
and the team's compilation of the best-known products the CNIPA file lacks, each with its
public source."""

from __future__ import annotations

import json
import re

import pytest

from backend.geo_indications.importer import CNIPA_SOURCE, read_rows
from backend.geo_indications.service import CNIPA_SEED_FILE as SEED_FILE
from backend.geo_indications.service import COMPILED_SEED_FILE, SEED_FILES
from tests.shared_data import SHARED_DATA

CNIPA_JSON = SHARED_DATA / "cnipa-gi-products.json"
FACTS = {"name", "province", "prefecture", "protected_area"}


def test_the_seed_holds_at_least_4000_products_and_only_their_facts() -> None:
    rows = [json.loads(line) for line in SEED_FILE.read_text("utf-8").splitlines()]
    assert len(rows) >= 4000
    assert all(set(row) <= FACTS for row in rows)
    # Descriptions are sentences; names and places have no sentence punctuation.
    assert not any(mark in SEED_FILE.read_text("utf-8") for mark in "，。；：")
    assert (SEED_FILE.parent / "LICENSE").read_text("utf-8").count("Copyright (c) 2026 sjq") == 1


def test_the_seed_reads_whole_with_its_source_and_no_quality() -> None:
    rows, problems, unresolved = read_rows(SEED_FILE, default_source=CNIPA_SOURCE)
    assert problems == [] and unresolved == []
    assert len(rows) >= 4000
    assert all(row["quality"] is None and row["source"] == CNIPA_SOURCE for row in rows)


@pytest.mark.skipif(not CNIPA_JSON.exists(), reason="../shared/data not here")
def test_the_seed_is_what_make_seed_makes_from_the_shared_file() -> None:
    from backend.geo_indications.make_seed import seed_lines

    entries = json.loads(CNIPA_JSON.read_text("utf-8"))
    assert "\n".join(seed_lines(entries)) + "\n" == SEED_FILE.read_text("utf-8")
    descriptions = [e["sensory_characteristics"] for e in entries if e["sensory_characteristics"]]
    seed_text = SEED_FILE.read_text("utf-8")
    assert not any(text[:16] in seed_text for text in descriptions[:300])


# A national standard by number and title, or the approval announcement by number.
PUBLIC_SOURCE = re.compile(
    r"^(国家质量监督检验检疫总局公告 \d{4}年第\d+号；)?国家标准 GB/T \d+-\d{4}《地理标志产品 .+》$"
    r"|^国家质量监督检验检疫总局公告 \d{4}年第\d+号$"
)


def test_the_compilation_adds_best_known_products_each_with_its_public_source() -> None:
    rows, problems, unresolved = read_rows(COMPILED_SEED_FILE, default_source="")
    assert problems == [] and unresolved == []
    names = {row["name"] for row in rows}
    assert {"五常大米", "龙井茶", "安溪铁观音", "金华火腿", "宣纸"} <= names
    assert all(PUBLIC_SOURCE.match(row["source"]) for row in rows), [
        row["source"] for row in rows if not PUBLIC_SOURCE.match(row["source"])
    ]
    # Nothing invented: no quality text, no date; an announcement only where its number is known.
    assert all(row["quality"] is None and row["approved_on"] is None for row in rows)
    assert all(not row["announcement"] or row["announcement"] in row["source"] for row in rows)
    cnipa_names = {json.loads(line)["name"] for line in SEED_FILE.read_text("utf-8").splitlines()}
    assert not names & cnipa_names
    assert sum(len(f.read_text("utf-8").splitlines()) for f in SEED_FILES) >= 4000 + len(rows)
