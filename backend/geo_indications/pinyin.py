"""Search terms of GI names: Chinese characters, full pinyin, pinyin initials and mixtures.

Pure functions, no database. The GI search stores `index_terms(name)` in a term table (one row
per term and product, a B-tree on the term, as backend/inquiries/search.py does), looks up the
rarest term of one of `query_terms(query)`'s alternatives, and keeps the candidates for which
`matches(name, query)` holds: that function is the definition of a match.

A name is read as units: each Chinese character (one with a pypinyin reading), Latin letter or
digit. Brackets and list separators (、 , ; / |) cut it into segments, read separately:
"茅台酒(贵州茅台酒)" is two, and no term or match spans the bracket. Other punctuation is
skipped: "抚远“黑龙江鲟鳇鱼”鱼子" is one segment, and so is "文 鲤". A segment has up to
`MAX_SEQUENCES` readings (`readings`): one syllable per unit, lower case, toneless, ü as u. A
unit's readings are, first, its reading in a place name of `PLACE_NAMES`, else pypinyin's reading
in context (its own phrase list), then every other reading pypinyin knows for the character
(heteronym=True), in pypinyin's order. The segment's readings are the combinations of its
units', fewest and earliest departures from the first readings first (rank sum, then position),
cut at `MAX_SEQUENCES`: 单县羊肉汤 is first "shan xian yang rou tang", then "dan xian yang rou
tang", "shan xian yang ru tang", "shan xian yang rou shang", "chan xian yang rou tang" …. So
"shanxian" certainly finds it, and "danxian", the reading of those who do not know the place,
finds it too. Characters with many readings (大: da, dai, tai) spend the sixteen quickly in a
long name; the first readings are always there.

A query is folded (NFKC, lower case, tone marks stripped, ü and v as u, a digit after a letter
dropped as a tone unless another digit follows: "wǔ cháng", "wu3chang2" and "wu chang" are all
"wuchang", while "liangcheng123" keeps its digits), everything but letters, digits and
characters dropped (spaces, xi'an's apostrophe), and cut into runs: Latin letter runs and
literal runs (characters and digits). A name matches when one of its segments has, under one
of its readings, consecutive units that the runs take in order:
- a literal run takes as many units, each the same character ("五常", "大米");
- a letter run takes units either as initials, one letter each ("wcdm"), or as pinyin, whole
  syllables ("wuchangdami", "changda", "xian" for both 西安 and 县), of which the query's last run
  may end inside the last ("wuch", "wuchangd").
So "五常dm", "wc大米" and "五常dami" find 五常大米; "wuchangdm" (pinyin then initials in one run)
does not.

Terms, at most `TERM_LENGTH` (32) characters, the term column's length; a kind prefix keeps the
kinds apart (the initials "i:da" of 大安 are not the pinyin "p:da" of 大, nor is "c:1" a letter):
- "c:" + each character or digit of a name and each adjacent pair (as inquiries/search.py);
- "i:" + every substring (up to 30 letters) of a reading's initials: "i:wcdm", "i:cd";
- "p:" + the reading's pinyin from each syllable's start, cut at each of `PINYIN_TERM_LENGTHS`
  letters that it reaches: "p:wu", "p:wuc", … "p:wuchangd", "p:wuchangdam", "p:changdam",
  "p:da", "p:dam", "p:dami"….
A query's alternatives (`query_terms`) are sets of terms of which a matching name holds every one
of at least one set: a literal run gives its pairs (or its character), a letter run one term of
its kind for each way it may be read ("i:" + the run, or "p:" + its first letters cut to the
longest of `PINYIN_TERM_LENGTHS` it reaches; one letter is only "i:"). Each way of reading of
each run is one alternative; past `MAX_ALTERNATIVES` the alternatives are the literal runs' terms
alone, which every way shares. The caller looks each alternative's rarest term up and unites the
candidates; no alternatives (a query of spaces or punctuation) means nothing is found. English
category words ("rice", "tea") are the caller's: it indexes them and tests them itself.

Why these terms. Pinyin prefixes from every syllable's start are what a typed query is: a name
read from its first syllable or from a later one (a product found by "dami", its place by
"wuchang"), typed as far as it goes. Cutting them at a few lengths rather than at every letter
keeps the index small at little cost to a query's rarest term. Measured on the 4,400 names of
../shared/data/cnipa-gi-products.json, with the query the first k syllables of each name's
first reading, the number of names holding its pinyin term (median / 99th percentile / most):

    lengths cut at                 terms a name   k = 2          k = 3        k = 4
    every length 2–30              109            3 / 20 / 301   1 / 4 / 10   1 / 2 / 10
    2–6, 8, 10, 12, 16, 20, 25, 30  79            4 / 21 / 301   1 / 4 / 10   1 / 2 / 10
    2, 3, 4, 6, 8, 12, 16, 24, 30   66            4 / 38 / 301   1 / 9 / 56   1 / 3 / 10

(a single syllable, "wu", is held by 174 names at the median whatever the cut). Initials are
short (a name has 4.7 characters on average), so all their substrings are few. Characters follow
the inquiries search, whose pairs are rare in Chinese text. The readings multiply the terms: a
name has 4.1 readings on average, 1,093 names one, 240 the full sixteen.

Figures (2 shared cores under load, pypinyin 0.55): `index_terms` for all 4,400 names in 0.7 s
(0.16 ms a name; importing pypinyin 0.2 s); 346,000 terms in all (143,000 distinct), 79 a name,
at most 532 (新疆兵团一七〇团沙棘); `matches` 0.07 ms a name.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

TERM_LENGTH = 32  # the term column's length
MAX_SEQUENCES = 16  # readings of one segment: polyphonic characters multiply them
MAX_ALTERNATIVES = 8  # a query's ways of reading its letter runs, before falling back
PINYIN_TERM_LENGTHS = (2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 25, 30)
CHARACTERS, INITIALS, PINYIN = "c:", "i:", "p:"
_LONGEST = TERM_LENGTH - 2  # a term's text after its two-character prefix

# Place names whose characters are read otherwise than most often (or than pypinyin reads them
# in context), each with the place's own reading, toneless: a fact about the name (the
# romanised official names: Shan County, Duyun, Lu'an…). pypinyin 0.55 reads those marked *
# wrongly; the others guard against a change in its phrase list.
PLACE_NAMES = {
    "单县": "shan xian",  # * Shandong
    "都匀": "du yun",  # * Guizhou
    "都昌": "du chang",  # * Jiangxi
    "宁都": "ning du",  # * Jiangxi
    "于都": "yu du",  # * Jiangxi
    "丰都": "feng du",  # * Chongqing
    "花都": "hua du",  # * Guangzhou
    "郫都": "pi du",  # * Chengdu
    "都兰": "du lan",  # * Qinghai
    "都江堰": "du jiang yan",
    "成都": "cheng du",
    "江都": "jiang du",
    "六安": "lu an",  # Anhui
    "六合": "lu he",  # * Nanjing
    "六盘水": "liu pan shui",  # Guizhou: here 六 is liù
    "蚌埠": "beng bu",
    "丽水": "li shui",
    "乐清": "yue qing",
    "乐亭": "lao ting",
    "台州": "tai zhou",
    "天台": "tian tai",
    "番禺": "pan yu",
    "吐鲁番": "tu lu fan",
    "洪洞": "hong tong",  # * Shanxi
    "铅山": "yan shan",
    "莘县": "shen xian",
    "黄陂": "huang pi",
    "东阿": "dong e",
    "长治": "chang zhi",  # * Shanxi
    "长子": "zhang zi",  # Shanxi: here 长 is zhǎng
    "长泰": "chang tai",  # * Fujian
    "长垣": "chang yuan",  # * Henan
    "长葛": "chang ge",  # * Henan
    "长阳": "chang yang",  # * Hubei
    "长岛": "chang dao",  # * Shandong
    "长丰": "chang feng",  # * Anhui
    "长汀": "chang ting",
    "长兴": "chang xing",
    "长白山": "chang bai shan",
    "重庆": "chong qing",
    "厦门": "xia men",
    "大理": "da li",
    "涡阳": "guo yang",  # * Anhui
    "蔚县": "yu xian",
    "蔚州": "yu zhou",  # * Hebei
    "浚县": "xun xian",  # * Henan
    "繁峙": "fan shi",  # * Shanxi
    "荥阳": "xing yang",
    "荥经": "ying jing",  # * Sichuan
    "筠连": "jun lian",  # * Sichuan
    "什邡": "shi fang",  # * Sichuan
    "珲春": "hun chun",  # * Jilin
    "会稽": "kuai ji",  # * Zhejiang (the mountain)
    "朝阳": "chao yang",  # * Liaoning, Beijing
    "泊头": "bo tou",  # * Hebei
    "阿勒泰": "a le tai",  # * Xinjiang
    "解州": "xie zhou",  # * Shanxi
    "西藏": "xi zang",
    "藏毯": "zang tan",  # * Tibetan carpet, a GI of Tibet
    "歙县": "she xian",
    "隰县": "xi xian",
    "犍为": "qian wei",
    "柞水": "zha shui",
    "栖霞": "qi xia",
    "莎车": "sha che",
    "泌阳": "bi yang",
    "渑池": "mian chi",
    "盱眙": "xu yi",
    "句容": "ju rong",
    "枞阳": "zong yang",
    "蠡县": "li xian",
    "大埔": "da bu",
    "牟平": "mu ping",
    "尉犁": "yu li",
    "弥勒": "mi le",
    "亳州": "bo zhou",
    "宿州": "su zhou",
    "宿迁": "su qian",
}
_LONGEST_PLACE_NAME = max(map(len, PLACE_NAMES))

_TONE_DIGIT = re.compile(r"(?<=[a-z])[0-5](?![0-9])")  # one digit after a letter: "wu3"
_SEPARATORS = frozenset("、,;/|")  # folded: NFKC has made "，；／｜" these
_LATIN_SHAPES = str.maketrans({"ɑ": "a", "ɡ": "g", "v": "u"})  # pinyin fonts' ɑ and ɡ; ü → u


def fold(text: str) -> str:
    """NFKC, lower case, combining marks (tones, ü's dots) stripped, v as u."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", stripped).translate(_LATIN_SHAPES)


@dataclass(frozen=True, slots=True)
class Unit:
    """One character of a name: what a literal run compares (`char`, or "" for a Latin letter,
    which only letter runs take) and its readings, the likeliest first."""

    char: str
    readings: tuple[str, ...]


@cache
def _character_readings(char: str) -> tuple[str, ...]:
    """Every reading pypinyin knows for the character, folded, its most common first; none for a
    character it does not know."""
    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(dict.fromkeys(fold(reading) for reading in found[0])) if found else ()


def _segments(text: str) -> list[list[Unit]]:
    """The units of `text` (folded), cut into segments at brackets and list separators."""
    segments: list[list[Unit]] = []
    han: list[str] = []  # the run of Chinese characters being collected
    current: list[Unit] = []

    def end_han_run() -> None:
        current.extend(_han_units("".join(han)))
        han.clear()

    for char in fold(text):
        if _character_readings(char):
            han.append(char)
            continue
        end_han_run()
        if "a" <= char <= "z":
            current.append(Unit("", (char,)))
        elif char.isalnum():  # a digit, or a letter of another script
            current.append(Unit(char, (char,)))
        elif _cuts(char) and current:
            segments.append(current)
            current = []
    end_han_run()
    if current:
        segments.append(current)
    return segments


def _cuts(char: str) -> bool:
    """Brackets and list separators part a name's alternatives ("茅台酒(贵州茅台酒)",
    "(东山老米酒、东木老米酒)"); other punctuation (quotes, a space, a middle dot) is skipped."""
    return char in _SEPARATORS or unicodedata.category(char) in {"Ps", "Pe"}


def _han_units(run: str) -> list[Unit]:
    """Units of a run of Chinese characters: place names of `PLACE_NAMES` read as listed, the
    rest as pypinyin reads them in context, each followed by its character's other readings."""
    first: list[str] = []
    start = gap = 0  # the part before `start` from `gap` on is not a place name
    while start < len(run):
        for length in range(min(_LONGEST_PLACE_NAME, len(run) - start), 1, -1):
            place = PLACE_NAMES.get(run[start : start + length])
            if place:
                first.extend(_in_context(run[gap:start]))
                first.extend(place.split())
                start = gap = start + length
                break
        else:
            start += 1
    first.extend(_in_context(run[gap:]))
    return [
        Unit(char, tuple(dict.fromkeys((reading, *_character_readings(char)))))
        for char, reading in zip(run, first, strict=True)
    ]


def _in_context(part: str) -> list[str]:
    if not part:
        return []
    found = [fold(reading) for reading in lazy_pinyin(part, style=Style.NORMAL)]
    if len(found) != len(part):  # pypinyin joined or split something: read character by character
        return [_character_readings(char)[0] for char in part]
    return found


def _sequences(units: list[Unit]) -> list[tuple[str, ...]]:
    """Up to `MAX_SEQUENCES` combinations of the units' readings, the likeliest first: by the sum
    of the readings' ranks, then the earliest departures."""
    ranks = tuple(len(unit.readings) for unit in units)
    # The heap holds (rank sum, the ranks negated): of equal sums, the earliest departure first.
    first = (0,) * len(units)
    heap, seen, found = [(0, first)], {first}, []
    while heap and len(found) < MAX_SEQUENCES:
        cost, negated = heapq.heappop(heap)
        choice = tuple(-rank for rank in negated)
        found.append(tuple(unit.readings[i] for unit, i in zip(units, choice, strict=True)))
        for position, rank in enumerate(choice):
            if rank + 1 < ranks[position]:
                following = (*negated[:position], -rank - 1, *negated[position + 1 :])
                if following not in seen:
                    seen.add(following)
                    heapq.heappush(heap, (cost + 1, following))
    return found


def readings(text: str) -> list[str]:
    """The readings of `text`, syllables spaced, the likeliest first: "shan xian yang rou tang",
    "dan xian yang rou tang" … (at most `MAX_SEQUENCES`; none for text with nothing to read).
    Punctuation is left out: "茅台酒(贵州茅台酒)" reads "mao tai jiu gui zhou mao tai jiu"."""
    units = [unit for segment in _segments(text) for unit in segment]
    return [" ".join(sequence) for sequence in _sequences(units)] if units else []


def index_terms(name: str, extra: str = "") -> set[str]:
    """The terms the index holds for a GI product of this name; `extra` is more text found the
    same way (another name, say), which `matches` must then be given too."""
    terms: set[str] = set()
    for units in _segments(name) + _segments(extra):
        chars = [unit.char for unit in units]
        for index, char in enumerate(chars):
            if char:
                terms.add(CHARACTERS + char)
                if index + 1 < len(chars) and chars[index + 1]:
                    terms.add(CHARACTERS + char + chars[index + 1])
        for sequence in _sequences(units):
            initials = "".join(syllable[0] for syllable in sequence)
            for start in range(len(initials)):
                for end in range(start + 1, min(len(initials), start + _LONGEST) + 1):
                    terms.add(INITIALS + initials[start:end])
            for start in range(len(sequence)):
                spelled = "".join(sequence[start:])[:_LONGEST]
                terms.update(
                    PINYIN + spelled[:length]
                    for length in PINYIN_TERM_LENGTHS
                    if length <= len(spelled)
                )
    return terms


@dataclass(frozen=True, slots=True)
class Run:
    text: str
    letters: bool  # Latin letters (initials or pinyin), else characters and digits


def query_runs(query: str) -> list[Run]:
    """The query folded and cut into runs of letters and runs of characters and digits."""
    kept = "".join(char for char in _TONE_DIGIT.sub("", fold(query)) if char.isalnum())
    return [
        Run("".join(chars), letters)
        for letters, chars in itertools.groupby(kept, key=lambda char: "a" <= char <= "z")
    ]


def query_terms(query: str) -> list[frozenset[str]]:
    """Alternatives: every name that `matches` the query holds all the terms of at least one.
    None for a query with nothing to search by (only punctuation or spaces): nothing matches."""
    runs = query_runs(query)
    literal: set[str] = set()
    ways: list[list[str]] = []
    for run in runs:
        if not run.letters:
            pairs = {run.text[i : i + 2] for i in range(len(run.text) - 1)}
            literal.update(CHARACTERS + term for term in pairs or {run.text})
        elif len(run.text) == 1:
            ways.append([INITIALS + run.text])
        else:
            ways.append([INITIALS + run.text[:_LONGEST], PINYIN + _pinyin_term(run.text)])
    if not runs:
        return []
    if math.prod(len(way) for way in ways) > MAX_ALTERNATIVES:
        return [frozenset(literal)]  # only when there are literal runs between the letter runs
    return [frozenset(literal.union(choice)) for choice in itertools.product(*ways)]


def _pinyin_term(letters: str) -> str:
    """The first letters of `letters` that the index holds as a pinyin term: the longest of
    `PINYIN_TERM_LENGTHS` they reach."""
    return letters[: max(length for length in PINYIN_TERM_LENGTHS if length <= len(letters))]


def matches(name: str, query: str, extra: str = "") -> bool:
    """Whether the GI product of this name (and `extra`, as given to `index_terms`) is found by
    `query`: the definition of a match (see the module's docstring). Never raises."""
    runs = query_runs(query)
    if not runs:
        return False
    for units, sequences in _segment_readings(name) + _segment_readings(extra):
        for sequence in sequences:
            if any(_takes(units, sequence, start, runs) for start in range(len(units))):
                return True
    return False


@lru_cache(maxsize=8192)
def _segment_readings(text: str) -> tuple[tuple[list[Unit], list[tuple[str, ...]]], ...]:
    """Each segment's units and their readings: the costly part of `matches`, and the same each
    time a name is a candidate (the directory's names fit in the cache)."""
    return tuple((units, _sequences(units)) for units in _segments(text))


def _takes(units: list[Unit], sequence: tuple[str, ...], start: int, runs: list[Run]) -> bool:
    """Whether the runs take consecutive units from `start` on, under this reading."""
    run, rest = runs[0], runs[1:]
    if not run.letters:
        end = start + len(run.text)
        if end > len(units) or "".join(unit.char for unit in units[start:end]) != run.text:
            return False
        return not rest or _takes(units, sequence, end, rest)
    # As initials: one letter a unit.
    end = start + len(run.text)
    as_initials = end <= len(units) and all(
        syllable[0] == letter
        for syllable, letter in zip(sequence[start:end], run.text, strict=True)
    )
    if as_initials and (not rest or _takes(units, sequence, end, rest)):
        return True
    # As pinyin: whole syllables, the query's last run may end inside the last one.
    taken, position = 0, start
    while position < len(units):
        syllable, left = sequence[position], run.text[taken:]
        if not rest and syllable.startswith(left):
            return True
        if not left.startswith(syllable):
            return False
        taken, position = taken + len(syllable), position + 1
        if taken == len(run.text):
            return not rest or _takes(units, sequence, position, rest)
    return False
