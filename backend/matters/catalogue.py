"""The matter catalogue: every matter type the office handles, read from content/matters/.

One YAML file a matter (`content/matters/<code>.yaml`, the format in
docs/decisions/matters-catalogue.md), loaded once and checked whole: a problem names the file
and what is wrong, and nothing loads until every file is right. The result is immutable msgspec
Structs; the filing form is built from `Matter.questions`, the pages from the rest.

Texts come in the three locales. zh_Hant is written by hand where the file has it, otherwise
converted from zh_Hans with OpenCC (s2hk), as the guides are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from pathlib import Path
from typing import Literal

import msgspec
import opencc
import yaml

from backend.guides.content import SLUG
from backend.outlets.service import TYPE_NAMES as OUTLET_TYPE_NAMES
from backend.settings import PROJECT_ROOT

CONTENT_DIR = PROJECT_ROOT / "content" / "matters"
GUIDES_DIR = PROJECT_ROOT / "content" / "guides"
AREAS = ("patents", "trademarks", "geographical-indications", "account")
FieldKind = Literal[
    "text", "number", "date", "choice", "record_number", "credit_code", "identity_number", "file"
]
# Which records a record_number field accepts.
RecordKind = Literal["patent", "utility_model_or_design", "trademark", "any"]
# What of the business register's entry a text field is filled with (answers.with_register_check).
RegisterPart = Literal["", "name", "address"]


class Localised(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One text in the three locales."""

    zh_Hans: str
    en: str
    zh_Hant: str = ""  # "" in a file: converted from zh_Hans when the catalogue loads

    def of(self, locale: str) -> str:
        return getattr(self, locale, "") or self.zh_Hans


class Condition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Asked (or needed) only when an earlier choice field holds one of `values`."""

    field: str
    values: tuple[str, ...]


class Choice(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    value: str
    label: Localised


class Field(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One question of the filing form."""

    key: str
    kind: FieldKind
    label: Localised
    hint: Localised | None = None
    required: bool = True  # when it is asked (see `only_if`)
    only_if: Condition | None = None
    choices: tuple[Choice, ...] = ()  # kind choice
    record_kind: RecordKind = "any"  # kind record_number
    minimum: int | None = None  # kind number
    maximum: int | None = None
    max_length: int = 200  # kind text
    multiline: bool = False
    document: str = ""  # kind file: the code of the Document it carries
    from_register: RegisterPart = ""  # kind text: filled from the register when the code matches


class QuestionGroup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One screen of the filing form."""

    key: str
    title: Localised
    fields: tuple[Field, ...]


class Document(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A supporting document the office asks for."""

    code: str
    name: Localised
    commitment_may_replace: bool = False  # a signed commitment (告知承诺) may stand instead
    register_may_replace: bool = False  # not asked when the business register holds the holder
    required: bool = True  # False: only in some cases (see `note`)
    only_if: Condition | None = None
    note: Localised | None = None


class CommitmentVersion(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A version of the commitment text. Published versions are never edited or removed:
    a person who signed one must always be shown what they signed."""

    version: str
    since: dt.date
    text: Localised

    @property
    def digest(self) -> str:
        """What a signature should keep beside the version: the SHA-256 of the three texts."""
        texts = "\n".join((self.text.zh_Hans, self.text.zh_Hant, self.text.en))
        return hashlib.sha256(texts.encode()).hexdigest()


class PromisedTime(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    working_days: int
    # office: the office's published service commitment (with its source); app_default: this
    # service's own default until the office sets one, never shown as a legal limit.
    basis: Literal["office", "app_default"]
    source: str = ""
    legal_limit: Localised | None = None  # a time limit the law sets, where there is one
    legal_source: str = ""


class Fee(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # none: no fee; schedule: set by the office's current fee schedule (the guide says where);
    # fixed: `amount_yuan`, only with the public `source` that gives it.
    kind: Literal["none", "schedule", "fixed"]
    amount_yuan: int | None = None
    source: str = ""
    note: Localised | None = None


class Matter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: str
    area: Literal["patents", "trademarks", "geographical-indications", "account"]
    name: Localised
    summary: Localised  # one line, for the list
    description: Localised  # what it is
    who_may_apply: Localised
    questions: tuple[QuestionGroup, ...]
    documents: tuple[Document, ...]
    promised: PromisedTime
    fee: Fee
    guide: str  # a slug of content/guides/
    outlet_types: tuple[str, ...]  # types of backend/outlets (Outlet.Type) that handle it
    commitments: tuple[CommitmentVersion, ...] = ()  # oldest first; the last is current
    sources: tuple[str, ...] = ()  # the public sources its facts follow

    @property
    def current_commitment(self) -> CommitmentVersion | None:
        return self.commitments[-1] if self.commitments else None

    def commitment(self, version: str) -> CommitmentVersion | None:
        """The version a person signed, however old."""
        return next((c for c in self.commitments if c.version == version), None)

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(field for group in self.questions for field in group.fields)

    @property
    def register_field(self) -> Field | None:
        """The credit-code field the business register is asked about, for a matter where its
        answer counts (a document it may replace, a field it fills); None otherwise."""
        uses = any(d.register_may_replace for d in self.documents) or any(
            field.from_register for field in self.fields
        )
        return next((f for f in self.fields if f.kind == "credit_code"), None) if uses else None


class Catalogue(msgspec.Struct, frozen=True):
    matters: tuple[Matter, ...]  # by area (AREAS order), then as the files are named

    def get(self, code: str) -> Matter | None:
        return next((matter for matter in self.matters if matter.code == code), None)

    def in_area(self, area: str) -> tuple[Matter, ...]:
        return tuple(matter for matter in self.matters if matter.area == area)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(matter.code for matter in self.matters)


class CatalogueProblem(Exception):
    """Something wrong in a matter file; says which and what."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


@cache
def _to_traditional() -> opencc.OpenCC:
    return opencc.OpenCC("s2hk")


def _fill_traditional(raw: object) -> object:
    """Every text mapping without a hand-written zh_Hant gets one from OpenCC."""
    if isinstance(raw, dict):
        filled = {key: _fill_traditional(value) for key, value in raw.items()}
        if "zh_Hans" in filled and "en" in filled and not filled.get("zh_Hant"):
            filled["zh_Hant"] = _to_traditional().convert(filled["zh_Hans"])
        return filled
    if isinstance(raw, list):
        return [_fill_traditional(item) for item in raw]
    return raw


def parse_matter(path: Path) -> Matter:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        matter = msgspec.convert(_fill_traditional(raw), Matter)
    except (yaml.YAMLError, msgspec.ValidationError) as error:
        raise CatalogueProblem(path, str(error)) from error
    for problem in _problems(matter, path):
        raise CatalogueProblem(path, problem)
    return matter


def _problems(matter: Matter, path: Path):
    """What a file can get wrong that its types cannot say, each as a sentence."""
    if matter.code != path.stem or not SLUG.match(matter.code):
        yield f"code {matter.code!r} must be the file name in lower-case-hyphens"
    if not (GUIDES_DIR / matter.guide / "zh_Hans.md").exists():
        yield f"guide {matter.guide!r} is not in content/guides/"
    if unknown := set(matter.outlet_types) - set(OUTLET_TYPE_NAMES):
        yield f"outlet types {sorted(unknown)} are not types of backend/outlets"
    if not matter.outlet_types:
        yield "outlet_types: at least one type of outlet handles it"
    if matter.promised.working_days < 1:
        yield "promised.working_days must be at least 1"
    if matter.promised.basis == "office" and not matter.promised.source:
        yield "a promised time the office published needs its source"
    fee = matter.fee
    if (fee.kind == "fixed") != (fee.amount_yuan is not None) or (
        fee.kind == "fixed" and not fee.source
    ):
        yield "fee: an amount only with kind fixed, and then with its public source"
    yield from _question_problems(matter)
    documents = {document.code for document in matter.documents}
    carried = {field.document for field in matter.fields if field.kind == "file"}
    if carried != documents:
        yield f"each document needs one file field and back: {sorted(carried ^ documents)}"
    uses_register = any(d.register_may_replace for d in matter.documents) or any(
        field.from_register for field in matter.fields
    )
    if uses_register and not any(field.kind == "credit_code" for field in matter.fields):
        yield "register_may_replace and from_register need a credit_code field to look up"
    if any(d.commitment_may_replace for d in matter.documents) and not matter.commitments:
        yield "a document a commitment may replace needs the commitment's text"
    versions = [commitment.version for commitment in matter.commitments]
    dates = [commitment.since for commitment in matter.commitments]
    if len(set(versions)) != len(versions) or dates != sorted(dates):
        yield "commitment versions must be distinct and oldest first"


def _question_problems(matter: Matter):
    seen: dict[str, Field] = {}
    for group in matter.questions:
        if not group.fields:
            yield f"question group {group.key!r} has no fields"
        for field in group.fields:
            if field.key in seen:
                yield f"field {field.key!r} appears twice"
            if (field.kind == "choice") != bool(field.choices):
                yield f"field {field.key!r}: choices only, and always, with kind choice"
            if (field.kind == "file") != bool(field.document):
                yield f"field {field.key!r}: a document only, and always, with kind file"
            if field.from_register and field.kind != "text":
                yield f"field {field.key!r}: from_register only with kind text"
            yield from _condition_problems(field.key, field.only_if, seen)
            seen[field.key] = field
    for document in matter.documents:
        yield from _condition_problems(document.code, document.only_if, seen)


def _condition_problems(key: str, condition: Condition | None, earlier: dict[str, Field]):
    if condition is None:
        return
    field = earlier.get(condition.field)
    values = {choice.value for choice in field.choices} if field else set()
    if field is None or not set(condition.values) <= values:
        yield f"{key!r}: only_if must name an earlier choice field and its values"


def load_catalogue(folder: Path = CONTENT_DIR) -> Catalogue:
    """Every matter in the folder, or CatalogueProblem for the first file that is wrong."""
    matters = [parse_matter(path) for path in sorted(folder.glob("*.yaml"))]
    matters.sort(key=lambda matter: AREAS.index(matter.area))  # stable: file order within
    return Catalogue(matters=tuple(matters))


@cache
def catalogue() -> Catalogue:
    """The catalogue of content/matters/, read once (the app reads it at start)."""
    return load_catalogue()
