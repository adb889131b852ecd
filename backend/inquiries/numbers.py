"""Application numbers as people type them: cleaned up, told apart, checked.

Canonical forms:

- current patent (since 1 October 2003): `201710601862.3`: year, type digit, 7-digit serial, dot,
  check character;
- old patent (1985 to 30 September 2003): `95115608.X`: 2-digit year, type digit, 5-digit serial;
- trademark: the plain 7- or 8-digit number `17593425`; Madrid marks keep their `G` prefix.

Forgiven when typed: `CN`/`ZL` prefixes in any case, spaces, hyphens, dots between the parts,
full-width characters (NFKC), a lower-case `x`.

A patent number typed without its check character is accepted and the character computed: people
often leave it off (search forms and some documents drop it), and refusing would send them away
for no gain. `ParsedNumber.check_computed` says so, and a check character that *is* typed must be
right.

Eight bare digits are read as a trademark number: an old patent number is recognised by its
check character, its dot or a `CN`/`ZL` prefix, or when the caller asks for `kind="patent"`.

A year that no number of its form can have is refused ("unknown-year"): two-digit years run from
85 (1985) to 03 (2003), four-digit years start at 2003.

Errors carry a reason code and parameters only; the routes turn them into words. The codes are
`REASON_CODES`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import msgspec

Kind = Literal["patent", "trademark"]
PatentType = Literal["invention", "utility_model", "design", "pct_invention", "pct_utility_model"]

PATENT_TYPES: dict[str, PatentType] = {
    "1": "invention",
    "2": "utility_model",
    "3": "design",
    "8": "pct_invention",
    "9": "pct_utility_model",
}
REASON_CODES = (
    "empty",
    "not-a-number",
    "wrong-length",
    "unknown-type",
    "unknown-year",
    "check-digit",
)
CURRENT_FORM_FROM_YEAR = 2003

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_]+")
_PREFIXES = ("CN", "ZL")
_ASCII_DIGITS = frozenset("0123456789")


class InvalidNumber(ValueError):
    """Not an application number; `reason_code` is one of REASON_CODES."""

    def __init__(
        self,
        reason_code: str,
        expected_check: str | None = None,
        message_params: dict[str, str | int] | None = None,
    ) -> None:
        super().__init__(reason_code)
        self.reason_code = reason_code
        self.expected_check = expected_check
        self.message_params = message_params or {}


class ParsedNumber(msgspec.Struct, frozen=True):
    canonical: str
    kind: Kind
    patent_type: PatentType | None = None
    filing_year: int | None = None
    check_computed: bool = False


@dataclass(frozen=True)
class _Shape:
    """What the text looks like once cleaned: the digits, the check character, the kind."""

    body: str
    check: str | None
    kind: Kind
    madrid: bool = False

    @property
    def canonical(self) -> str:
        if self.kind == "trademark":
            return f"G{self.body}" if self.madrid else self.body
        return f"{self.body}.{self.check or check_character(self.body)}"


def check_character(digits: str) -> str:
    """Weights 2–9 left to right, wrapping after the eighth digit; the remainder mod 11, 10 → X."""
    if not digits or not set(digits) <= _ASCII_DIGITS:
        raise ValueError(f"digits only, not {digits!r}")
    total = sum(int(digit) * (2 + index % 8) for index, digit in enumerate(digits))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalise_number(text: str, kind: Kind | None = None) -> str:
    """The canonical form; checks the shape only (see parse_number for the full check)."""
    return _shape(text, kind).canonical


@lru_cache(maxsize=4096)  # a record page parses its number twice (cache key, look-up)
def parse_number(text: str, kind: Kind | None = None) -> ParsedNumber:
    """Raises InvalidNumber for anything that cannot be a real application number."""
    shape = _shape(text, kind)
    if shape.kind == "trademark":
        return ParsedNumber(canonical=shape.canonical, kind="trademark")
    current = len(shape.body) == 12
    patent_type = _patent_type(shape.body[4] if current else shape.body[2])
    filing_year = _filing_year(shape.body[:4] if current else shape.body[:2])
    expected = check_character(shape.body)
    if shape.check is not None and shape.check != expected:
        raise InvalidNumber(
            "check-digit",
            expected_check=expected,
            message_params={"typed": shape.check, "expected": expected},
        )
    return ParsedNumber(
        canonical=shape.canonical,
        kind="patent",
        patent_type=patent_type,
        filing_year=filing_year,
        check_computed=shape.check is None,
    )


def typed_digits(text: str) -> str | None:
    """The digits of `text` when it holds nothing else but what the parser forgives (`CN`/`ZL`
    prefixes, spaces, hyphens, dots, full-width digits): "ZL 2017 10" → "201710". None for
    anything else (a letter, an `X` check character, no digit at all): not a number's digits.

    A number's first digits typed this way list the records whose number begins with them
    (`service.records_by_number_prefix`)."""
    try:
        cleaned, _ = _clean(text)
    except InvalidNumber:
        return None
    digits = cleaned.replace(".", "")
    if not digits or not set(digits) <= _ASCII_DIGITS:
        return None
    return digits


def _patent_type(digit: str) -> PatentType:
    if digit not in PATENT_TYPES:
        raise InvalidNumber("unknown-type", message_params={"type_digit": digit})
    return PATENT_TYPES[digit]


def _filing_year(year: str) -> int:
    """Old two-digit years run 1985–2003; the 12-digit form began in 2003."""
    if len(year) == 4:
        full = int(year)
        known = full >= CURRENT_FORM_FROM_YEAR
    else:
        full = int(year) + (1900 if int(year) >= 85 else 2000)
        known = full <= CURRENT_FORM_FROM_YEAR
    if not known:
        raise InvalidNumber("unknown-year", message_params={"year": year})
    return full


def _shape(text: str, kind: Kind | None) -> _Shape:
    cleaned, prefixed = _clean(text)
    if cleaned.startswith("G") and not prefixed and kind != "patent":
        return _madrid_shape(cleaned[1:])
    dotted = "." in cleaned
    body, check = _split_check(cleaned)
    _require_digits(body)
    if check is not None and check not in _ASCII_DIGITS and check != "X":
        raise InvalidNumber("not-a-number", message_params={"character": check})
    looks_like_patent = dotted or prefixed or check is not None or kind == "patent"
    if len(body) == 12 or (len(body) == 8 and looks_like_patent):
        if kind == "trademark":
            raise _wrong_length(body)
        return _Shape(body, check, "patent")
    if len(body) in (7, 8) and not looks_like_patent:
        return _Shape(body, None, "trademark")
    raise _wrong_length(body)


def _clean(text: str) -> tuple[str, bool]:
    """Upper-cased, half-width, without separators or CN/ZL prefixes; and whether one was there."""
    cleaned = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    cleaned = cleaned.replace("。", ".")  # a Chinese keyboard's full stop, which NFKC keeps
    prefixed = False
    while cleaned.startswith(_PREFIXES):
        cleaned, prefixed = cleaned[2:], True
    if not cleaned:
        raise InvalidNumber("empty")
    return cleaned, prefixed


def _split_check(cleaned: str) -> tuple[str, str | None]:
    """Digits and the check character, if one was typed: after the last dot, or by length."""
    head, dot, tail = cleaned.rpartition(".")
    if dot and len(tail) == 1:
        return head.replace(".", ""), tail
    bare = cleaned.replace(".", "")
    if len(bare) in (9, 13):
        return bare[:-1], bare[-1]
    return bare, None


def _madrid_shape(digits: str) -> _Shape:
    _require_digits(digits)
    if len(digits) not in (7, 8):
        raise _wrong_length(digits)
    return _Shape(digits, None, "trademark", madrid=True)


def _require_digits(body: str) -> None:
    for character in body:
        if character not in _ASCII_DIGITS:
            raise InvalidNumber("not-a-number", message_params={"character": character})


def _wrong_length(body: str) -> InvalidNumber:
    return InvalidNumber("wrong-length", message_params={"digits": len(body)})
