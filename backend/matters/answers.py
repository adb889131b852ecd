"""The filing form's rules: which questions are asked, what a valid answer is, what is kept.

Pure: no database, no HTTP. A route gives `check_group` the form a person sent for one screen
(one QuestionGroup) and gets the answers to keep, or the problems to show beside each field
(and in the error summary); with any problem nothing of the screen is kept. `missing_for_send`
says what still stops the review screen's Send.

What is kept of an answer: text as typed (trimmed), a number as an int, a date as ISO text, a
choice as its value, a record number and a credit code in their canonical form. An identity
number is never kept: only its last four characters and a keyed hash (HMAC-SHA256 under a salt
derived from the install's secret key, `identity_salt`), enough to check later that the same
number was given and to show "•••• 123X" (DESIGN.md "Security and privacy", PIPL).

The business register's answer about the holder's credit code is data here too: service.py asks
the register when the credit-code screen is saved and keeps its answer under REGISTER_CHECK
(`with_register_check`); `register_match` reads it back. A match stands for the documents marked
`register_may_replace` (not asked, not needed) and fills the fields marked `from_register`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import msgspec

from backend.core import i18n
from backend.geo_indications.credit_code import (
    InvalidCreditCode,
    parse_credit_code,
    reason_message,
)
from backend.inquiries.service import InvalidNumber, invalid_number_message, parse_number
from backend.matters.catalogue import Condition, Document, Field, Matter, QuestionGroup

OTHER_RECORD = "other"  # the record_number choice "another number", typed in `<key>_other`
REGISTER_CHECK = "register_check"  # the answer that keeps what the business register said
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # GB 11643-1999: the 18th character for (Σ digit × weight) mod 11


def identity_salt(secret_key: str) -> bytes:
    """The key of identity-number hashes: one per install, derived from its secret key (a new
    secret key makes earlier hashes unmatchable, which only costs a re-check)."""
    return hashlib.sha256(b"iph identity-number salt\x00" + secret_key.encode()).digest()


class RegisterCheck(msgspec.Struct, frozen=True, kw_only=True):
    """What the business register said of a credit code, as it said it then: `matched` an
    active entity (its name and registered address), `inactive` one deregistered or revoked
    (not used), `not_held` no entry, `unavailable` the register could not answer."""

    credit_code: str
    outcome: Literal["matched", "inactive", "not_held", "unavailable"]
    name: str = ""
    address: str = ""
    is_demo: bool = False

    @property
    def matched(self) -> bool:
        return self.outcome == "matched"


def asked(condition: Condition | None, answers: Mapping[str, Any]) -> bool:
    return condition is None or answers.get(condition.field) in condition.values


def register_check(matter: Matter, answers: Mapping[str, Any]) -> RegisterCheck | None:
    """The register's answer about the credit code as the answers hold it now; None when it was
    not asked, or the code (or whether it is asked at all) changed since."""
    field = matter.register_field
    raw = answers.get(REGISTER_CHECK)
    if field is None or not isinstance(raw, dict) or not asked(field.only_if, answers):
        return None
    try:
        check = msgspec.convert(raw, RegisterCheck)
    except msgspec.ValidationError:
        return None
    return check if check.credit_code == answers.get(field.key) else None


def register_match(matter: Matter, answers: Mapping[str, Any]) -> RegisterCheck | None:
    check = register_check(matter, answers)
    return check if check is not None and check.matched else None


def checked_in_register(matter: Matter, answers: Mapping[str, Any]) -> frozenset[str]:
    """The codes of the documents the register's match stands for: neither asked nor needed."""
    if register_match(matter, answers) is None:
        return frozenset()
    return frozenset(d.code for d in matter.documents if d.register_may_replace)


def field_asked(matter: Matter, field: Field, answers: Mapping[str, Any]) -> bool:
    if not asked(field.only_if, answers):
        return False
    return field.kind != "file" or field.document not in checked_in_register(matter, answers)


def asked_fields(matter: Matter, group: QuestionGroup, answers: Mapping[str, Any]) -> list[Field]:
    return [field for field in group.fields if field_asked(matter, field, answers)]


def group_asked(matter: Matter, group: QuestionGroup, answers: Mapping[str, Any]) -> bool:
    """A screen is shown when a field on it may be asked (a condition on the same screen
    counts as may: the person chooses there)."""
    keys = {field.key for field in group.fields}
    checked = checked_in_register(matter, answers)
    return any(
        (field.only_if is None or field.only_if.field in keys or asked(field.only_if, answers))
        and not (field.kind == "file" and field.document in checked)
        for field in group.fields
    )


def steps(matter: Matter, answers: Mapping[str, Any]) -> list[QuestionGroup]:
    return [group for group in matter.questions if group_asked(matter, group, answers)]


def required_documents(matter: Matter, answers: Mapping[str, Any]) -> list[Document]:
    checked = checked_in_register(matter, answers)
    return [
        d
        for d in matter.documents
        if d.required and asked(d.only_if, answers) and d.code not in checked
    ]


def with_register_check(
    matter: Matter,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    check: RegisterCheck | None,
) -> dict[str, Any]:
    """`after` (the answers once a screen is kept) with the register's answer about its credit
    code kept, and on a match the `from_register` fields filled with the entity's name and
    address where the person has not written their own: empty, or still what an earlier match
    filled in. Those an earlier match filled that this answer does not confirm are emptied. A
    field is filled only if it is asked, or its condition is not answered yet."""
    earlier = register_match(matter, before)
    result = {**after, REGISTER_CHECK: msgspec.to_builtins(check) if check else None}
    match = check if check is not None and check.matched else None
    for field in matter.fields:
        if not field.from_register:
            continue
        value = result.get(field.key)
        filled = earlier is not None and value == getattr(earlier, field.from_register)
        if value not in (None, "") and not filled:
            continue  # the person's own
        condition = field.only_if
        undecided = condition is not None and result.get(condition.field) in (None, "")
        if match is not None and (asked(condition, result) or undecided):
            result[field.key] = getattr(match, field.from_register)
        elif filled:
            result[field.key] = None
    return result


def register_values(matter: Matter, answers: Mapping[str, Any]) -> dict[str, str]:
    """What the register's match would put in each `from_register` field (the screen says so
    beside a field that still holds it)."""
    match = register_match(matter, answers)
    if match is None:
        return {}
    return {f.key: getattr(match, f.from_register) for f in matter.fields if f.from_register}


def _label(field: Field) -> str:
    return field.label.of(i18n.current_locale())


def required_message(field: Field) -> str:
    _ = i18n.gettext
    if field.kind in ("choice", "record_number"):
        return _("Choose: %(label)s") % {"label": _label(field)}
    if field.kind == "file":
        return _("Attach: %(label)s") % {"label": _label(field)}
    return _("Enter: %(label)s") % {"label": _label(field)}


def check_group(
    group: QuestionGroup,
    form: Mapping[str, str],
    kept: Mapping[str, Any],
    *,
    bound_numbers: Iterable[str] = (),
    salt: bytes,
) -> tuple[dict[str, Any], dict[str, str]]:
    """(the answers of this screen to keep, problems by field key). Fields not asked (their
    condition not met) are dropped, whatever was sent for them; file fields are the route's."""
    context: dict[str, Any] = dict(kept)
    keep: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field in group.fields:
        if field.kind == "file":
            continue
        if not asked(field.only_if, context):
            keep[field.key] = None
            continue
        blank = not (form.get(field.key) or "").strip()
        if field.kind == "identity_number" and blank and kept.get(field.key):
            keep[field.key] = kept[field.key]  # never shown again: left blank, the one given stays
            continue
        value, problem = _check_field(field, form, bound_numbers, salt)
        if problem:
            problems[field.key] = problem
        keep[field.key] = value
        context[field.key] = value
    return ({} if problems else keep), problems


def _check_field(
    field: Field, form: Mapping[str, str], bound_numbers: Iterable[str], salt: bytes
) -> tuple[Any, str | None]:
    typed = (form.get(field.key) or "").strip()
    if field.kind == "record_number":
        return _check_record(field, form, bound_numbers)
    if not typed:
        return None, (required_message(field) if field.required else None)
    checker = _CHECKS[field.kind]
    return checker(field, typed, salt) if field.kind == "identity_number" else checker(field, typed)


def _check_text(field: Field, typed: str) -> tuple[Any, str | None]:
    if len(typed) > field.max_length:
        message = i18n.gettext("%(label)s: at most %(max)d characters (you typed %(typed)d).")
        return typed, message % {
            "label": _label(field),
            "max": field.max_length,
            "typed": len(typed),
        }
    return typed, None


def _check_number(field: Field, typed: str) -> tuple[Any, str | None]:
    _ = i18n.gettext
    try:
        number = int(typed.replace(",", "").replace(" ", ""))
    except ValueError:
        return None, _("%(label)s: enter a whole number, for example 3.") % {"label": _label(field)}
    if field.minimum is not None and number < field.minimum:
        return number, _("%(label)s: at least %(min)d.") % {
            "label": _label(field),
            "min": field.minimum,
        }
    if field.maximum is not None and number > field.maximum:
        return number, _("%(label)s: at most %(max)d.") % {
            "label": _label(field),
            "max": field.maximum,
        }
    return number, None


def _check_date(field: Field, typed: str) -> tuple[Any, str | None]:
    try:
        return dt.date.fromisoformat(typed).isoformat(), None
    except ValueError:
        message = i18n.gettext("%(label)s: enter a real date, for example 2026-03-01.")
        return None, message % {"label": _label(field)}


def _check_choice(field: Field, typed: str) -> tuple[Any, str | None]:
    if typed in {choice.value for choice in field.choices}:
        return typed, None
    return None, required_message(field)


def _check_credit_code(field: Field, typed: str) -> tuple[Any, str | None]:
    try:
        return parse_credit_code(typed).canonical, None
    except InvalidCreditCode as error:
        return None, f"{_label(field)}: {reason_message(error)}"


def _check_identity(field: Field, typed: str, salt: bytes) -> tuple[Any, str | None]:
    number = typed.replace(" ", "").upper()
    if (
        len(number) != 18
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        message = i18n.gettext("%(label)s: 18 characters, 17 digits and then a digit or X.")
        return None, message % {"label": _label(field)}
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        message = i18n.gettext("%(label)s: this number is not valid; check it on the card.")
        return None, message % {"label": _label(field)}
    digest = hmac.new(salt, number.encode(), hashlib.sha256).hexdigest()
    return {"last_four": number[-4:], "digest": digest}, None


def _check_record(
    field: Field, form: Mapping[str, str], bound_numbers: Iterable[str]
) -> tuple[Any, str | None]:
    chosen = (form.get(field.key) or "").strip()
    if chosen and chosen != OTHER_RECORD:
        return (chosen, None) if chosen in set(bound_numbers) else (None, required_message(field))
    typed = (form.get(f"{field.key}_other") or "").strip()
    if not typed:
        return None, (required_message(field) if field.required else None)
    kind = "trademark" if field.record_kind == "trademark" else None
    if field.record_kind in ("patent", "utility_model_or_design"):
        kind = "patent"
    try:
        parsed = parse_number(typed, kind)
    except InvalidNumber as error:
        return None, invalid_number_message(error)
    if field.record_kind == "utility_model_or_design" and parsed.patent_type not in (
        "utility_model",
        "design",
        "pct_utility_model",
    ):
        message = i18n.gettext("%(label)s: this is for utility-model and design patents only.")
        return None, message % {"label": _label(field)}
    return parsed.canonical, None


_CHECKS = {
    "text": _check_text,
    "number": _check_number,
    "date": _check_date,
    "choice": _check_choice,
    "credit_code": _check_credit_code,
    "identity_number": _check_identity,
}


def shown(field: Field, value: Any) -> str:
    """An answer as the review screen and the matter page show it."""
    if value in (None, ""):
        return ""
    locale = i18n.current_locale()
    if field.kind == "choice":
        return next((c.label.of(locale) for c in field.choices if c.value == value), str(value))
    if field.kind == "identity_number" and isinstance(value, dict):
        return f"•••• {value.get('last_four', '')}"
    if field.kind == "date":
        try:
            return i18n.format_date(dt.date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def missing_for_send(
    matter: Matter,
    answers: Mapping[str, Any],
    attached: set[str],
    commitment_signed: bool,
) -> dict[str, str]:
    """What stops sending, by the id on the review screen that the summary links to."""
    problems: dict[str, str] = {}
    for group in steps(matter, answers):
        for field in asked_fields(matter, group, answers):
            if field.kind != "file" and field.required and answers.get(field.key) in (None, ""):
                problems[f"answer-{field.key}"] = required_message(field)
    locale = i18n.current_locale()
    for document in required_documents(matter, answers):
        if document.code in attached:
            continue
        if document.commitment_may_replace and commitment_signed:
            continue
        if document.commitment_may_replace:
            message = i18n.gettext("Attach %(document)s, or sign the commitment instead.")
            problems["commitment"] = message % {"document": document.name.of(locale)}
        else:
            message = i18n.gettext("Attach %(document)s.")
            problems[f"document-{document.code}"] = message % {"document": document.name.of(locale)}
    return problems
