"""The unified social credit code (统一社会信用代码, GB 32100-2015), as people type it from a label.

A GI special mark carries its authorised user's credit code; a buyer or farmer types it (or scans
it) to see whether that producer really is an authorised user. Layout of the 18 characters:

    9 1 350100 M000100Y4 3
    | | |      |         check character
    | | |      organisation code (主体标识码, 9)
    | | administrative division of the registering office (6)
    | type of entity within that authority (机构类别, 1)
    registration authority (登记管理部门, 1)

Alphabet: 0-9 and A B C D E F G H J K L M N P Q R T U W X Y, valued 0-30 in that order (no I, O,
S, V, Z). The check character is `check_character(first17)`.

Letters may stand anywhere, also in the first 8 places: rural collective economic organisations
have authority `N`, and `A` and `Y` are authorities too. python-stdnum's `cn.uscc` refuses such
codes (its first 8 places must be digits), so this module checks the alphabet and the check
character itself and lets the check decide. Nothing else is asked of the parts: the organisation
code's own GB 11714 check is not applied, since the check character covers the whole code.

Forgiven when typed: spaces, hyphens and dashes, invisible formatting characters a copy from a web
page brings (zero-width space, BOM), full-width characters (NFKC), lower case.

Errors carry a reason code and parameters only (like backend.inquiries.numbers); `reason_message`
turns them into the person's language. The codes are `REASON_CODES`:

- "empty": nothing typed but separators;
- "not-in-alphabet" (`character`, `position` counted from 1 over the code without separators,
  `suggestion`: the character it probably is, "0" for O, "1" for I, "2" for Z, "5" for S, or
  None); reported before the length, so a mistyped O is named even when a character is missing;
- "wrong-length" (`length`);
- "check-character" (`expected`, `typed`): the 18th character does not match the first 17.
"""

from __future__ import annotations

import re
import unicodedata

import msgspec

from backend.core import i18n

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
REASON_CODES = ("empty", "not-in-alphabet", "wrong-length", "check-character")

# The letters the alphabet leaves out, and the digit each most likely stands for (the message
# suggests it, as a digit); V looks like no digit.
LOOK_ALIKES: dict[str, str | None] = {"O": "0", "I": "1", "Z": "2", "S": "5", "V": None}

# Registration authorities (登记管理部门代码): those of GB 32100-2015 itself (1, 5, 9, Y) and N,
# assigned since to agriculture and rural affairs for rural collective economic organisations.
# The standard's own terms; an authority not listed here has no name (None), not a guess.
REGISTRATION_AUTHORITIES: dict[str, str] = {
    "1": "机构编制",
    "5": "民政",
    "9": "工商（市场监管）",
    "N": "农业农村（农村集体经济组织）",
    "Y": "其他",
}

_VALUES = {character: value for value, character in enumerate(ALPHABET)}
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_]+")


class InvalidCreditCode(ValueError):
    """Not a credit code; `reason_code` is one of REASON_CODES, `message_params` its details."""

    def __init__(self, reason_code: str, **params: str | int | None) -> None:
        super().__init__(reason_code)
        self.reason_code = reason_code
        self.message_params = params


class CreditCode(msgspec.Struct, frozen=True):
    canonical: str
    registration_authority: str
    entity_type: str
    division_code: str
    organisation_code: str
    check_character: str

    @property
    def registration_authority_name(self) -> str | None:
        """The authority's name in GB 32100's Chinese terms; None where we are not sure of it."""
        return REGISTRATION_AUTHORITIES.get(self.registration_authority)


def check_character(first17: str) -> str:
    """The 18th character: 31 - (sum of value x weight mod 31), where 31 becomes 0."""
    if len(first17) != LENGTH - 1 or not set(first17) <= _VALUES.keys():
        raise ValueError(f"17 characters of the credit-code alphabet, not {first17!r}")
    total = sum(
        _VALUES[character] * weight for character, weight in zip(first17, WEIGHTS, strict=True)
    )
    return ALPHABET[(31 - total % 31) % 31]


def demo_code(authority_and_type: str, division: str, serial: int) -> str:
    """A valid but fictitious credit code: no office assigns an organisation code "DEM…"."""
    first17 = f"{authority_and_type}{division}DEM{serial:06d}"
    return first17 + check_character(first17)


def parse_credit_code(text: str) -> CreditCode:
    """Raises InvalidCreditCode for anything that cannot be a valid credit code."""
    code = _clean(text)
    if not code:
        raise InvalidCreditCode("empty")
    for position, character in enumerate(code, start=1):
        if character not in _VALUES:
            raise InvalidCreditCode(
                "not-in-alphabet",
                character=character,
                position=position,
                suggestion=LOOK_ALIKES.get(character),
            )
    if len(code) != LENGTH:
        raise InvalidCreditCode("wrong-length", length=len(code))
    expected = check_character(code[:-1])
    if code[-1] != expected:
        raise InvalidCreditCode("check-character", expected=expected, typed=code[-1])
    return CreditCode(
        canonical=code,
        registration_authority=code[0],
        entity_type=code[1],
        division_code=code[2:8],
        organisation_code=code[8:17],
        check_character=code[17],
    )


def reason_message(error: InvalidCreditCode) -> str:
    """What is wrong with the typed code, in plain words and the person's language."""
    _ = i18n.gettext
    params = error.message_params
    if error.reason_code == "empty":
        return _(
            "Enter the credit code printed by the GI mark on the label: 18 characters, for "
            "example 91350100M000100Y43."
        )
    if error.reason_code == "wrong-length":
        return _("A credit code has 18 characters; this one has %(length)d.") % {
            "length": params["length"]
        }
    if error.reason_code == "check-character":
        return _(
            "This code is not valid: with these characters the last one should be %(expected)s. "
            "Check the code on the label."
        ) % {"expected": params["expected"]}
    if error.reason_code != "not-in-alphabet":
        return _("A credit code has only digits and capital letters. Check the code on the label.")
    where = {"character": params["character"], "position": params["position"]}
    if params.get("suggestion"):
        return _(
            "Credit codes have no letter %(character)s: did you mean %(suggestion)s? "
            "(character %(position)d of the code)"
        ) % {**where, "suggestion": params["suggestion"]}
    if params["character"] in LOOK_ALIKES:
        return _(
            "Credit codes have no letter %(character)s (character %(position)d of the code). "
            "Check the code on the label."
        ) % {**where}
    return _(
        "A credit code has only digits and capital letters; “%(character)s” (character "
        "%(position)d of the code) is not one of them."
    ) % {**where}


def _clean(text: str) -> str:
    """Half-width, upper case, without separators or invisible formatting characters."""
    normalised = unicodedata.normalize("NFKC", text)
    visible = "".join(c for c in normalised if unicodedata.category(c) != "Cf")
    return _SEPARATORS.sub("", visible).upper()
