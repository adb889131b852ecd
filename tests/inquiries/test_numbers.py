from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.inquiries.numbers import (
    PATENT_TYPES,
    REASON_CODES,
    InvalidNumber,
    Kind,
    ParsedNumber,
    check_character,
    normalise_number,
    parse_number,
)

WORKED_EXAMPLES = ["201710601862.3", "201310699744.2", "95115608.X", "97101765.4"]
OLD_FORM_YEARS = [*range(85, 100), *range(4)]
FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789CNZLXcnzlx."}


@st.composite
def patent_bodies(draw: st.DrawFn) -> str:
    """The digits of a real-looking number, current or old form, without the check character."""
    type_digit = draw(st.sampled_from(sorted(PATENT_TYPES)))
    if draw(st.booleans()):
        year = draw(st.integers(2003, 2099))
        return f"{year}{type_digit}{draw(st.integers(0, 9_999_999)):07d}"
    year = draw(st.sampled_from(OLD_FORM_YEARS))
    return f"{year:02d}{type_digit}{draw(st.integers(0, 99_999)):05d}"


@st.composite
def typed_forms(draw: st.DrawFn, canonical: str) -> str:
    """One of the ways a person might type the number."""
    body, check = canonical.split(".")
    split_at = (4, 5) if len(body) == 12 else (2, 3)
    gap = draw(st.sampled_from(["", " ", "  ", "-"]))
    spaced = gap.join([body[: split_at[0]], body[split_at[0] : split_at[1]], body[split_at[1] :]])
    dot = draw(st.sampled_from([".", "", " . ", "。"]))
    prefix = draw(st.sampled_from(["", "CN", "CN ", "cn", "ZL", "ZL ", "zl", "CN ZL"]))
    text = f"{prefix}{spaced}{dot}{check.lower() if draw(st.booleans()) else check}"
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    leading = draw(st.sampled_from(["", " ", "\t"]))
    return f"{leading}{text} "


def _valid(body: str) -> str:
    return f"{body}.{check_character(body)}"


def _refusal(text: str, kind: Kind | None = None) -> InvalidNumber:
    with pytest.raises(InvalidNumber) as caught:
        parse_number(text, kind)
    return caught.value


# The check character.


@pytest.mark.parametrize("number", WORKED_EXAMPLES)
def test_the_worked_examples_validate(number: str) -> None:
    body, check = number.split(".")
    assert check_character(body) == check
    assert parse_number(number).canonical == number


def test_the_check_weights_wrap_after_the_eighth_digit() -> None:
    # 2·2 + 0·3 + 1·4 + 7·5 + 1·6 + 0·7 + 6·8 + 0·9 + 1·2 + 8·3 + 6·4 + 2·5 = 157 ≡ 3 (mod 11)
    assert check_character("201710601862") == "3"


def test_a_remainder_of_ten_is_written_x() -> None:
    assert check_character("95115608") == "X"


def test_check_character_refuses_anything_but_ascii_digits() -> None:
    with pytest.raises(ValueError):
        check_character("２０１７")


# Patent numbers in every typed form.


@given(st.data(), patent_bodies())
def test_every_typed_form_of_a_valid_number_normalises_to_the_same_canonical_form(
    data: st.DataObject, body: str
) -> None:
    canonical = _valid(body)
    typed = data.draw(typed_forms(canonical))
    assert normalise_number(typed) == canonical
    parsed = parse_number(typed)
    assert parsed.canonical == canonical
    assert parsed.kind == "patent"
    assert parsed.patent_type == PATENT_TYPES[body[4] if len(body) == 12 else body[2]]
    assert parsed.check_computed is False


@given(patent_bodies())
def test_a_number_typed_without_its_check_character_gets_it_computed(body: str) -> None:
    parsed = parse_number(body, "patent")
    assert parsed.canonical == _valid(body)
    assert parsed.check_computed is True


@given(patent_bodies(), st.data())
def test_every_single_character_change_is_refused(body: str, data: st.DataObject) -> None:
    plain = body + check_character(body)
    position = data.draw(st.integers(0, len(plain) - 1), label="position")
    alphabet = "0123456789X" if position == len(plain) - 1 else "0123456789"
    replacement = data.draw(st.sampled_from(alphabet.replace(plain[position], "")))
    changed = plain[:position] + replacement + plain[position + 1 :]
    changed_body = changed[:-1]

    error = _refusal(f"{changed_body}.{changed[-1]}")

    type_position = 4 if len(body) == 12 else 2
    if position == type_position and replacement not in PATENT_TYPES:
        assert error.reason_code == "unknown-type"
        assert error.message_params == {"type_digit": replacement}
    elif position < type_position and not _year_in_range(changed_body[:type_position]):
        assert error.reason_code == "unknown-year"
    else:
        assert error.reason_code == "check-digit"
        assert error.expected_check == check_character(changed_body)
        assert error.expected_check != changed[-1]


def _year_in_range(year: str) -> bool:
    return int(year) >= 2003 if len(year) == 4 else int(year) in OLD_FORM_YEARS


@given(st.text(max_size=30))
def test_any_text_gives_a_parsed_number_or_a_known_reason(text: str) -> None:
    try:
        parsed = parse_number(text)
    except InvalidNumber as error:
        assert error.reason_code in REASON_CODES
    else:
        again = parse_number(parsed.canonical)
        assert (again.canonical, again.kind, again.patent_type, again.filing_year) == (
            parsed.canonical,
            parsed.kind,
            parsed.patent_type,
            parsed.filing_year,
        )


# Filing years and types.


@pytest.mark.parametrize(
    ("number", "year", "patent_type"),
    [
        ("201710601862.3", 2017, "invention"),
        ("95115608.X", 1995, "invention"),
        (_valid("00200001"), 2000, "utility_model"),
        (_valid("03300001"), 2003, "design"),
        (_valid("85100001"), 1985, "invention"),
        (_valid("202080012345"), 2020, "pct_invention"),
        (_valid("202190012345"), 2021, "pct_utility_model"),
    ],
)
def test_the_filing_year_and_type_are_read_from_the_number(
    number: str, year: int, patent_type: str
) -> None:
    parsed = parse_number(number)
    assert (parsed.filing_year, parsed.patent_type) == (year, patent_type)


@pytest.mark.parametrize(("body", "year"), [("04100001", "04"), ("84100001", "84")])
def test_an_old_form_year_outside_1985_to_2003_is_refused(body: str, year: str) -> None:
    error = _refusal(_valid(body))
    assert (error.reason_code, error.message_params) == ("unknown-year", {"year": year})


def test_a_current_form_year_before_2003_is_refused() -> None:
    error = _refusal(_valid("200210601862"))
    assert (error.reason_code, error.message_params) == ("unknown-year", {"year": "2002"})


# Refusals.


@pytest.mark.parametrize("text", ["", "   ", "\u3000", "CN", "zl "])
def test_nothing_typed_is_refused_as_empty(text: str) -> None:
    assert _refusal(text).reason_code == "empty"


@pytest.mark.parametrize(
    ("text", "character"),
    [("2017106018A2.3", "A"), ("201710601862.Y", "Y"), ("CN1234567A", "A"), ("专利", "专")],
)
def test_letters_other_than_the_allowed_ones_are_refused(text: str, character: str) -> None:
    error = _refusal(text)
    assert (error.reason_code, error.message_params) == ("not-a-number", {"character": character})


@pytest.mark.parametrize(
    ("text", "digits"),
    [("20171060186.3", 11), ("123456", 6), ("1234567890", 10), ("2017106018623.4", 13)],
)
def test_a_number_of_the_wrong_length_is_refused(text: str, digits: int) -> None:
    error = _refusal(text)
    assert (error.reason_code, error.message_params) == ("wrong-length", {"digits": digits})


def test_an_unknown_type_digit_is_refused() -> None:
    error = _refusal("201750601862")
    assert (error.reason_code, error.message_params) == ("unknown-type", {"type_digit": "5"})


def test_a_wrong_check_character_is_refused_with_the_right_one() -> None:
    error = _refusal("201710601862.4")
    assert error.reason_code == "check-digit"
    assert error.expected_check == "3"
    assert error.message_params == {"typed": "4", "expected": "3"}


def test_a_wrong_x_check_character_names_the_digit_it_should_be() -> None:
    assert _refusal("97101765.X").expected_check == "4"


# Trademarks.


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("17593425", "17593425"),
        (" 1759 3425 ", "17593425"),
        ("１７５９３４２５", "17593425"),
        ("1759342", "1759342"),
        ("G17593425", "G17593425"),
        ("g 1759-3425", "G17593425"),
        ("Ｇ1759342", "G1759342"),
    ],
)
def test_trademark_numbers_are_plain_digits_with_an_optional_madrid_g(
    text: str, canonical: str
) -> None:
    assert parse_number(text) == ParsedNumber(canonical=canonical, kind="trademark")
    assert normalise_number(text) == canonical


def test_eight_bare_digits_are_a_trademark_unless_a_patent_is_asked_for() -> None:
    assert parse_number("95115608").kind == "trademark"
    assert parse_number("95115608", "patent").canonical == "95115608.X"
    assert parse_number("CN95115608").canonical == "95115608.X"
    assert parse_number("95115608.").canonical == "95115608.X"


def test_a_patent_number_is_refused_where_a_trademark_is_asked_for() -> None:
    assert _refusal("201710601862.3", "trademark").reason_code == "wrong-length"


def test_a_madrid_number_of_the_wrong_length_is_refused() -> None:
    error = _refusal("G123456")
    assert (error.reason_code, error.message_params) == ("wrong-length", {"digits": 6})


@settings(max_examples=50)
@given(st.integers(1_000_000, 99_999_999))
def test_every_seven_or_eight_digit_integer_is_a_trademark_number(number: int) -> None:
    assert parse_number(str(number)).canonical == str(number)
