from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.core import i18n
from backend.geo_indications.credit_code import (
    ALPHABET,
    REASON_CODES,
    CreditCode,
    InvalidCreditCode,
    check_character,
    parse_credit_code,
    reason_message,
)

# GB 32100-2015's own example, and the published codes of two Shenzhen companies (华为技术有限公司,
# 深圳市腾讯计算机系统有限公司); one ends in a letter.
PUBLISHED_CODES = ["91350100M000100Y43", "914403001922038216", "9144030071526726XG"]
FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in ALPHABET + ALPHABET.lower()}
DIGITS = "0123456789"


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    """A real-shaped code: an authority and type, a county's division code, any organisation
    code (letters included), and the check character that makes it valid."""
    authority_and_type = draw(st.sampled_from(["91", "92", "93", "11", "12", "51", "52", "N2"]))
    division = draw(st.text(DIGITS, min_size=6, max_size=6))
    organisation = draw(st.text(ALPHABET, min_size=9, max_size=9))
    first17 = authority_and_type + division + organisation
    return first17 + check_character(first17)


@st.composite
def typed_forms(draw: st.DrawFn, canonical: str) -> str:
    """One of the ways a person might type the code from a label."""
    gap = draw(st.sampled_from(["", " ", "  ", "-", " - ", "—", "\u200b"]))
    parts = [canonical[:2], canonical[2:8], canonical[8:17], canonical[17]]
    text = gap.join(parts) if draw(st.booleans()) else canonical
    if draw(st.booleans()):
        text = text.lower()
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    leading, trailing = (
        draw(st.sampled_from(["", " ", "\t", "\ufeff"])),
        draw(st.sampled_from(["", " "])),
    )
    return leading + text + trailing


def _refusal(text: str) -> InvalidCreditCode:
    with pytest.raises(InvalidCreditCode) as caught:
        parse_credit_code(text)
    return caught.value


@pytest.fixture
def english() -> Iterator[None]:
    i18n.set_locale("en")
    yield
    i18n.set_locale(i18n.DEFAULT_LOCALE)


# Valid codes.


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_published_codes_are_valid(code: str) -> None:
    assert parse_credit_code(code).canonical == code


def test_a_code_is_split_into_the_parts_of_gb_32100() -> None:
    assert parse_credit_code("91350100M000100Y43") == CreditCode(
        canonical="91350100M000100Y43",
        registration_authority="9",
        entity_type="1",
        division_code="350100",
        organisation_code="M000100Y4",
        check_character="3",
    )


@given(valid_codes())
def test_a_code_made_with_its_check_character_is_valid_and_its_parts_make_it_up(code: str) -> None:
    parsed = parse_credit_code(code)
    parts = (
        parsed.registration_authority,
        parsed.entity_type,
        parsed.division_code,
        parsed.organisation_code,
        parsed.check_character,
    )
    assert parsed.canonical == code == "".join(parts)
    assert [len(part) for part in parts] == [1, 1, 6, 9, 1]


@pytest.mark.parametrize(
    "first17",
    [
        "N2330110MA2H3K4L5",  # a village collective economic organisation
        "N1ABCDEF123456789",  # letters in all of the first 8 places
        "Y1110000MJ0000001",
        "A1110000000000001",
    ],
)
def test_a_code_with_letters_in_the_first_eight_places_is_valid_when_its_check_is_right(
    first17: str,
) -> None:
    code = first17 + check_character(first17)
    assert parse_credit_code(code).canonical == code
    wrong = ALPHABET[(ALPHABET.index(code[-1]) + 1) % len(ALPHABET)]
    assert _refusal(first17 + wrong).reason_code == "check-character"


def test_a_check_value_of_31_is_written_0() -> None:
    # Seventeen zeros sum to 0, and 31 - 0 mod 31 is 31, which is written 0.
    assert check_character("0" * 17) == "0"
    assert parse_credit_code("0" * 18).check_character == "0"


@settings(max_examples=50)
@given(st.data())
def test_a_code_typed_with_spaces_hyphens_full_width_or_lower_case_parses_to_the_same_code(
    data: st.DataObject,
) -> None:
    code = data.draw(valid_codes())
    typed = data.draw(typed_forms(code))
    assert parse_credit_code(typed).canonical == code


def test_the_authority_is_named_only_where_the_table_knows_it() -> None:
    assert parse_credit_code("91350100M000100Y43").registration_authority_name == "工商（市场监管）"
    rural = "N2330110MA2H3K4L5"
    assert (
        parse_credit_code(rural + check_character(rural)).registration_authority_name
        == "农业农村（农村集体经济组织）"
    )
    unknown = "Q1110000000000001"
    assert parse_credit_code(unknown + check_character(unknown)).registration_authority_name is None


# Refusals.


@settings(max_examples=40, deadline=None)
@given(valid_codes())
def test_every_single_character_change_is_refused_with_the_check_explained(code: str) -> None:
    for index in range(len(code)):
        for other in ALPHABET.replace(code[index], ""):
            changed = code[:index] + other + code[index + 1 :]
            error = _refusal(changed)
            assert error.reason_code == "check-character"
            assert error.message_params == {
                "expected": check_character(changed[:17]),
                "typed": changed[17],
            }


@pytest.mark.parametrize(
    ("letter", "suggestion"), [("O", "0"), ("I", "1"), ("Z", "2"), ("S", "5"), ("V", None)]
)
def test_the_letters_outside_the_alphabet_are_refused_with_the_digit_they_look_like(
    letter: str, suggestion: str | None
) -> None:
    error = _refusal(f"9135{letter}100M000100Y43")
    assert error.reason_code == "not-in-alphabet"
    assert error.message_params == {"character": letter, "position": 5, "suggestion": suggestion}


def test_a_lower_case_o_is_named_as_the_letter_o() -> None:
    assert _refusal("91350100m000100y4o").message_params == {
        "character": "O",
        "position": 18,
        "suggestion": "0",
    }


def test_the_position_of_a_wrong_character_is_counted_without_the_separators() -> None:
    assert _refusal("91 350100 M00#100Y43").message_params == {
        "character": "#",
        "position": 12,
        "suggestion": None,
    }


def test_a_wrong_character_is_named_even_when_the_length_is_wrong_too() -> None:
    assert _refusal("9135O100M000100Y4").reason_code == "not-in-alphabet"


@pytest.mark.parametrize("length", [1, 8, 17, 19, 36])
def test_a_code_of_another_length_is_refused_with_its_length(length: int) -> None:
    error = _refusal(("91350100M000100Y43" * 2)[:length])
    assert error.reason_code == "wrong-length"
    assert error.message_params == {"length": length}


@pytest.mark.parametrize("text", ["", "   ", " - ", "\u200b", "\t\n"])
def test_nothing_but_separators_is_refused_as_empty(text: str) -> None:
    assert _refusal(text).reason_code == "empty"


@settings(max_examples=300)
@given(st.text())
def test_parse_never_raises_anything_but_invalid_credit_code(text: str) -> None:
    try:
        parse_credit_code(text)
    except InvalidCreditCode as error:
        assert error.reason_code in REASON_CODES


@pytest.mark.parametrize("first17", ["", "9135010", "91350100M000100Y4X", "91350100O000100Y4"])
def test_check_character_asks_for_17_characters_of_the_alphabet(first17: str) -> None:
    with pytest.raises(ValueError):
        check_character(first17)


# Messages.


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "",
            "Enter the credit code printed by the GI mark on the label: 18 characters, "
            "for example 91350100M000100Y43.",
        ),
        ("91350100M000100Y4", "A credit code has 18 characters; this one has 17."),
        (
            "91350100M000100Y44",
            "This code is not valid: with these characters the last one should be 3. "
            "Check the code on the label.",
        ),
        (
            "9135O100M000100Y43",
            "Credit codes have no letter O: did you mean 0? (character 5 of the code)",
        ),
        (
            "9135V100M000100Y43",
            "Credit codes have no letter V (character 5 of the code). Check the code on the label.",
        ),
        (
            "9135#100M000100Y43",
            "A credit code has only digits and capital letters; “#” (character 5 of the code) "
            "is not one of them.",
        ),
    ],
)
def test_each_refusal_is_explained_in_plain_words(text: str, message: str) -> None:
    assert reason_message(_refusal(text)) == message


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("zh_Hans", "统一社会信用代码中没有字母 O，您是不是想输入数字 0？（第 5 位）"),
        ("en", "Credit codes have no letter O: did you mean 0? (character 5 of the code)"),
    ],
)
def test_the_refusal_is_explained_in_the_persons_language(locale: str, message: str) -> None:
    i18n.set_locale(locale)
    try:
        assert reason_message(_refusal("9135O100M000100Y43")) == message
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)
