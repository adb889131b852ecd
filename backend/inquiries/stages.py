"""The stages an applicant sees, in order, with what each means and what happens next.

The office's own system has about 70 status strings; a record keeps the official string as a
detail and shows the plain stage (DOMAIN.md, "What an applicant sees").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from backend.core import i18n
from backend.core.i18n import lazy_marker as N_


@dataclass(frozen=True)
class Stage:
    code: str
    name: str
    meaning: str
    next_step: str
    needs_action: bool = False  # the holder must do something (reply, pay, restore)
    ended: bool = False


_PATENT_STAGES: tuple[Stage, ...] = (
    Stage(
        "received",
        N_("Received"),
        N_("The office has received the application and is checking the filing fee."),
        N_("Pay the application fee if you have not; formal examination follows."),
    ),
    Stage(
        "formal_examination",
        N_("Formal examination"),
        N_("The office checks that the documents are complete and in the right form."),
        N_("If the office asks for corrections, reply within the time limit in its notice."),
    ),
    Stage(
        "publication",
        N_("Publication"),
        N_("The invention application is published for everyone to read."),
        N_("Request substantive examination within 3 years of filing, if not done yet."),
    ),
    Stage(
        "substantive_examination",
        N_("Substantive examination"),
        N_("An examiner checks novelty, inventiveness and industrial applicability."),
        N_("Reply to each office action within its time limit."),
    ),
    Stage(
        "grant_formalities",
        N_("Grant formalities"),
        N_("The patent will be granted: the registration formalities must be completed."),
        N_("Pay the registration fee and the first annual fee within 2 months of the notice."),
        needs_action=True,
    ),
    Stage(
        "in_force",
        N_("In force"),
        N_("The patent is granted and in force."),
        N_("Pay each annual fee by the anniversary of the filing date."),
    ),
    Stage(
        "lapsed_restorable",
        N_("Lapsed, can be restored"),
        N_("The right or application lapsed because a time limit was missed."),
        N_("Ask for restoration within 2 months of the notice and pay the fees."),
        needs_action=True,
    ),
    Stage(
        "ended",
        N_("Ended"),
        N_("The application or patent has ended (refused, withdrawn, expired or invalidated)."),
        N_("Nothing more can be done in this application."),
        ended=True,
    ),
)

_TRADEMARK_STAGES: tuple[Stage, ...] = (
    Stage(
        "tm_filed",
        N_("Filed"),
        N_("The office has received the trademark application."),
        N_("The office checks the form; an acceptance notice follows in about 1–2 months."),
    ),
    Stage(
        "tm_formal_examination",
        N_("Formal examination"),
        N_("The office checks the application form, the goods and services and the fee."),
        N_("If asked to correct the application, reply within the time limit."),
    ),
    Stage(
        "tm_substantive_examination",
        N_("Substantive examination"),
        N_("The office examines whether the mark can be registered (legal limit 9 months)."),
        N_("Wait for the decision: preliminary approval or refusal."),
    ),
    Stage(
        "tm_opposition",
        N_("Published for opposition"),
        N_("The mark is preliminarily approved and published; others may oppose it for 3 months."),
        N_("If nobody opposes it, the mark is registered after the 3 months."),
    ),
    Stage(
        "tm_registered",
        N_("Registered"),
        N_("The mark is registered; the electronic registration certificate is issued."),
        N_("Renew in the 12 months before the registration ends."),
    ),
    Stage(
        "tm_refused",
        N_("Refused"),
        N_("The office refused the application."),
        N_("You may request re-examination within 15 days of receiving the refusal."),
        needs_action=True,
    ),
    Stage(
        "tm_ended",
        N_("Ended"),
        N_("The registration has ended (expired, cancelled or invalidated)."),
        N_("Nothing more can be done in this registration."),
        ended=True,
    ),
)

STAGES: dict[str, Stage] = {stage.code: stage for stage in (*_PATENT_STAGES, *_TRADEMARK_STAGES)}
PATENT_STAGE_ORDER = tuple(stage.code for stage in _PATENT_STAGES)
TRADEMARK_STAGE_ORDER = tuple(stage.code for stage in _TRADEMARK_STAGES)

# Utility models and designs skip publication and substantive examination.
SHORT_PATENT_ORDER = tuple(
    code for code in PATENT_STAGE_ORDER if code not in {"publication", "substantive_examination"}
)


def stage_order(kind: str) -> tuple[str, ...]:
    if kind == "trademark":
        return TRADEMARK_STAGE_ORDER
    if kind == "invention":
        return PATENT_STAGE_ORDER
    return SHORT_PATENT_ORDER


@dataclass(frozen=True)
class StageView:
    """A stage in the person's language."""

    code: str
    name: str
    meaning: str
    next_step: str
    needs_action: bool
    ended: bool


def stage_view(code: str) -> StageView:
    return _stage_view(code, i18n.current_locale())


@cache  # a few dozen stages × three locales; a record page shows one per timeline event
def _stage_view(code: str, locale: str) -> StageView:
    stage = STAGES[code]
    _ = i18n.translations_for(locale).gettext
    return StageView(
        stage.code,
        _(stage.name),
        _(stage.meaning),
        _(stage.next_step),
        stage.needs_action,
        stage.ended,
    )


_KIND_NAMES = {
    "invention": N_("Invention patent"),
    "utility_model": N_("Utility model"),
    "design": N_("Design patent"),
    "trademark": N_("Trademark"),
}


def kind_name(kind: str) -> str:
    return i18n.gettext(_KIND_NAMES.get(kind, kind))
