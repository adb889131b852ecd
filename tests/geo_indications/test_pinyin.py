"""The search terms of GI names (backend/geo_indications/pinyin.py): what finds a name, and that
the index holds the terms of every query that finds it, so an index lookup cannot miss."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.geo_indications.pinyin import (
    MAX_SEQUENCES,
    PLACE_NAMES,
    TERM_LENGTH,
    index_terms,
    matches,
    query_terms,
    readings,
)
from tests.shared_data import SHARED_DATA

SHARED_PRODUCTS = SHARED_DATA / "cnipa-gi-products.json"
needs_shared_products = pytest.mark.skipif(
    not SHARED_PRODUCTS.exists(), reason="../shared/data/cnipa-gi-products.json not here"
)


def shared_names() -> list[str]:
    if not SHARED_PRODUCTS.exists():
        return []
    return [row["product_name"] for row in json.loads(SHARED_PRODUCTS.read_text("utf-8"))]


def is_plain(name: str) -> bool:
    """Chinese characters only: one syllable of each reading per character."""
    return all(len(reading.split()) == len(name) for reading in readings(name))


SHARED_NAMES = shared_names()
# Characters of GI names, place names read otherwise than most often, and polyphonic ones.
ALPHABET = "五常大米单县羊肉汤都匀毛尖六安瓜片长治重庆乐清台州藏朝阳和行茶枣银杏白酒西湖龙井"
names = st.sampled_from([name for name in SHARED_NAMES if is_plain(name)] or ["五常大米"]) | (
    st.text(alphabet=ALPHABET, min_size=1, max_size=8)
)


def found_by_index(name: str, query: str) -> bool:
    """The index of `name` holds every term of one of the query's alternatives."""
    terms = index_terms(name)
    return any(alternative <= terms for alternative in query_terms(query))


def found(name: str, query: str) -> bool:
    return matches(name, query) and found_by_index(name, query)


@pytest.mark.parametrize(
    "query",
    [
        "五常",
        "大米",
        "常大",
        "五常大米",
        "wuchangdami",
        "wu chang da mi",
        "WuChang DaMi",
        "wǔ cháng dà mǐ",
        "wu3 chang2 da4 mi3",
        "wuchang",
        "wuch",
        "changdami",
        "dami",
        "wcdm",
        "wc",
        "cd",
        "五常dm",
        "五常dami",
        "wc大米",
        "ｗｕｃｈａｎｇ",
    ],
)
def test_wuchang_rice_is_found_by_its_characters_pinyin_initials_and_mixtures(query: str) -> None:
    assert found("五常大米", query)


@pytest.mark.parametrize(
    "query", ["米大", "wuchangdm", "angdami", "wcdmx", "dami五常", "xx", "", " ", "'", "3"]
)
def test_wuchang_rice_is_not_found_by_what_is_not_in_its_name_in_that_order(query: str) -> None:
    assert not matches("五常大米", query)


@pytest.mark.parametrize("query", ["shanxian", "shan xian", "shàn xiàn", "sx", "sxyrt", "单县"])
def test_shan_county_mutton_soup_is_found_by_the_place_s_own_reading(query: str) -> None:
    assert found("单县羊肉汤", query)


def test_shan_county_is_read_shan_first_and_also_found_by_the_common_readings_of_its_character():
    assert readings("单县羊肉汤")[0] == "shan xian yang rou tang"
    assert found("单县羊肉汤", "danxian")  # the reading of someone who does not know the place
    assert found("单县羊肉汤", "chanxian")


@pytest.mark.parametrize("query", ["duyun", "du yun mao jian", "dy", "dymj", "都匀"])
def test_duyun_maojian_is_found_by_duyun(query: str) -> None:
    assert readings("都匀毛尖")[0] == "du yun mao jian"
    assert found("都匀毛尖", query)


@pytest.mark.parametrize(("place", "reading"), sorted(PLACE_NAMES.items()))
def test_each_listed_place_name_is_read_first_as_the_place_is_named(place: str, reading: str):
    assert readings(place)[0] == reading
    assert readings(f"{place}大米")[0] == f"{reading} da mi"
    assert found(f"{place}大米", reading.replace(" ", ""))
    assert found(f"{place}大米", "".join(syllable[0] for syllable in reading.split()) + "dm")


def test_a_polyphonic_character_outside_the_place_names_is_found_by_each_of_its_readings():
    assert readings("凤凰单丛茶")[0] == "feng huang dan cong cha"
    for reading in ("dan", "shan", "chan"):
        assert found("凤凰单丛茶", f"fenghuang{reading}cong")


def test_readings_are_at_most_sixteen_distinct_sequences_the_likeliest_first():
    many = readings("长乐朝阳和重行大藏台")  # ten characters of two readings or more each
    assert len(many) == MAX_SEQUENCES == len(set(many))
    first = many[0].split()
    assert [
        sum(a != b for a, b in zip(first, other.split(), strict=True)) for other in many[:2]
    ] == [0, 1]
    assert readings("") == [] and readings("（）") == []


@pytest.mark.parametrize(
    ("query", "reading"),
    [("xi'an", "西安"), ("xian", "西安"), ("xī ān", "西安"), ("lüchá", "绿茶"), ("lvcha", "绿茶"),
     ("lucha", "绿茶"), ("lu:cha", "绿茶"), ("ɡuɑ", "瓜")],
)  # fmt: skip
def test_apostrophes_tones_and_the_spellings_of_u_umlaut_are_accepted(query: str, reading: str):
    assert found(reading, query)


def test_brackets_part_a_name_s_alternatives_and_other_punctuation_is_skipped():
    assert found("茅台酒(贵州茅台酒)", "贵州茅台酒")
    assert found("茅台酒(贵州茅台酒)", "guizhou")
    assert not matches("茅台酒(贵州茅台酒)", "酒贵")
    assert found("木子店老米酒(东山老米酒、东木老米酒)", "dmlmj")
    assert not matches("木子店老米酒(东山老米酒、东木老米酒)", "酒东木")
    assert found("抚远“黑龙江鲟鳇鱼”鱼子", "抚远黑龙江")
    assert found("文 鲤", "文鲤")
    assert found("凉城123苹果", "liangcheng123pingguo")
    assert found("凉城123苹果", "城12")


def test_extra_text_is_indexed_and_matched_like_the_name():
    assert "c:贵州" in index_terms("茅台酒", extra="贵州茅台酒")
    assert matches("茅台酒", "gzmtj", extra="贵州茅台酒")
    assert not matches("茅台酒", "gzmtj")


def test_a_query_with_nothing_to_search_by_has_no_alternatives_and_matches_nothing():
    assert query_terms(" ,'-") == []
    assert not matches("五常大米", " ,'-")


@st.composite
def name_and_query(draw: st.DrawFn) -> tuple[str, str]:
    """A name and a query made from it: consecutive characters, taken in groups as the
    characters themselves, initials or pinyin (a letter group never next to another, which
    would make one run), written with any spaces, apostrophes, capitals, tones and widths."""
    name = draw(names)
    syllables = draw(st.sampled_from(readings(name))).split()
    start = draw(st.integers(0, len(name) - 1))
    end = draw(st.integers(start + 1, len(name)))
    parts, position, previous = [], start, "chars"
    while position < end:
        size = draw(st.integers(1, end - position))
        kind = draw(st.sampled_from(["chars", "initials", "pinyin"]))
        if previous != "chars":
            kind = "chars"
        window = range(position, position + size)
        if kind == "chars":
            parts.append(name[position : position + size])
        else:
            letters = [syllables[i] if kind == "pinyin" else syllables[i][0] for i in window]
            if kind == "pinyin" and position + size == end:  # the query's end: typed so far
                letters[-1] = letters[-1][: draw(st.integers(1, len(letters[-1])))]
            parts.append("".join(draw(written(piece)) for piece in letters))
        position, previous = position + size, kind
    return name, "".join(parts)


@st.composite
def written(draw: st.DrawFn, letters: str) -> str:
    style = draw(st.sampled_from(["plain", "capital", "tone digit", "tone mark", "wide"]))
    if style == "capital":
        letters = letters.capitalize()
    elif style == "tone digit":
        letters += draw(st.sampled_from("12345"))
    elif style == "tone mark":
        letters = unicodedata.normalize("NFC", letters[0] + "\u0301" + letters[1:])
    elif style == "wide":
        letters = "".join(chr(ord(letter) + 0xFEE0) for letter in letters)
    return letters + draw(st.sampled_from(["", "", " ", "'"]))


@settings(max_examples=400, deadline=None)
@given(name_and_query())
def test_a_query_made_from_a_name_finds_it_and_its_index_holds_the_query_s_terms(case) -> None:
    name, query = case
    assert matches(name, query), query
    assert found_by_index(name, query), query


@settings(max_examples=200, deadline=None)
@given(names, st.data())
def test_every_substring_every_pinyin_prefix_and_every_initials_prefix_finds_the_name(
    name: str, data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, len(name) - 1))
    assert found(name, name[start : data.draw(st.integers(start + 1, len(name)))])
    spaced = data.draw(st.sampled_from(readings(name)))
    for length in range(1, len(spaced) + 1):
        assert found(name, spaced[:length].strip())
        assert found(name, spaced[:length].replace(" ", ""))
    initials = "".join(syllable[0] for syllable in spaced.split())
    for length in range(1, len(initials) + 1):
        assert found(name, initials[:length])


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text())
def test_arbitrary_text_never_raises_and_a_match_is_always_found_by_the_index(name, query):
    if matches(name, query):
        assert found_by_index(name, query)
    assert all(len(term) <= TERM_LENGTH for term in index_terms(name, extra=query))
    for alternative in query_terms(query):
        assert alternative and all(len(term) <= TERM_LENGTH for term in alternative)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=ALPHABET + "(、)abc12", min_size=20, max_size=60))
def test_terms_of_a_long_name_fit_the_term_column(name: str) -> None:
    assert all(len(term) <= TERM_LENGTH for term in index_terms(name))


@needs_shared_products
def test_every_shared_gi_name_is_found_by_itself_its_pinyin_and_its_initials() -> None:
    assert len(SHARED_NAMES) == 4400
    for name in SHARED_NAMES:
        terms = index_terms(name)
        assert terms and all(len(term) <= TERM_LENGTH for term in terms)
        assert 1 <= len(readings(name)) <= MAX_SEQUENCES
        before_brackets = re.split(r"[(（]", name)[0]  # a query does not span the brackets
        first = readings(before_brackets)[0]
        initials = "".join(syllable[0] for syllable in first.split())
        for query in (before_brackets, first, initials):
            assert matches(name, query), (name, query)
            assert any(alternative <= terms for alternative in query_terms(query)), (name, query)
