"""How the staff queue and a staff member's matter page say things: statuses, actions, roles
and refusals in words, in the person's language; and what the business register said of a
holder, as the filing screens and both matter pages say it. (What the applicant is told of each
step is notices.py's.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.auth.tables import Account
from backend.core import i18n
from backend.core.i18n import lazy_marker as N_
from backend.matters import answers as rules
from backend.matters.answers import RegisterCheck
from backend.matters.catalogue import Matter, catalogue
from backend.matters.workflow import Action, Refusal, Status

STATUS_NAMES = {
    Status.draft: N_("Draft"),
    Status.submitted: N_("Submitted"),
    Status.accepted: N_("Accepted"),
    Status.correction_requested: N_("Correction requested"),
    Status.resubmitted: N_("Resubmitted"),
    Status.approved: N_("Approved"),
    Status.rejected: N_("Rejected"),
    Status.completed: N_("Completed"),
    Status.withdrawn: N_("Withdrawn"),
}
ACTION_NAMES = {
    Action.submit: N_("Submit"),
    Action.accept: N_("Accept"),
    Action.request_correction: N_("Ask for a correction"),
    Action.resubmit: N_("Resubmit"),
    Action.approve: N_("Approve"),
    Action.reject: N_("Reject"),
    Action.complete: N_("Complete"),
    Action.withdraw: N_("Withdraw"),
}
ROLE_NAMES = {
    Account.Role.applicant: N_("the applicant"),
    Account.Role.staff: N_("staff"),
    Account.Role.supervisor: N_("a supervisor"),
    Account.Role.admin: N_("an administrator"),
}
NOT_USED = {
    "not_held": N_(
        "The business register does not hold the code %(code)s, so the business licence or "
        "registration certificate (or the signed commitment) is asked for as usual."
    ),
    "inactive": N_(
        "The business register lists %(name)s (%(code)s) as deregistered or revoked, so its "
        "entry is not used: the business licence or registration certificate (or the signed "
        "commitment) is asked for as usual."
    ),
    "unavailable": N_(
        "The business register could not be asked about the code %(code)s just now, so the "
        "business licence or registration certificate (or the signed commitment) is asked for "
        "as usual."
    ),
}
REFUSALS = {
    Refusal.not_allowed_in_state: N_("This cannot be done to the matter as it stands now."),
    Refusal.role_not_allowed: N_("Your role may not do this."),
    Refusal.not_your_matter: N_("This is not your matter."),
    Refusal.not_your_outlet: N_("This matter is handled by another outlet."),
    Refusal.reason_required: N_("Give the reason this needs."),
}


def status_name(status: Status) -> str:
    return i18n.gettext(STATUS_NAMES[status])


def action_name(action: Action) -> str:
    return i18n.gettext(ACTION_NAMES[action])


def role_name(role: str) -> str:
    return i18n.gettext(ROLE_NAMES[Account.Role(role)])


def refusal_sentence(refusal: Refusal) -> str:
    return i18n.gettext(REFUSALS[refusal])


def type_name(code: str) -> str:
    """The matter type's name in the person's language (the code, for a type no longer held)."""
    kind = catalogue().get(code)
    return kind.name.of(i18n.current_locale()) if kind else code


def register_sentence(check: RegisterCheck) -> str:
    """What the register's answer means for the filing, in a sentence."""
    if check.matched:
        return i18n.gettext(
            "Found in the business register: %(name)s, %(address)s. No business licence or "
            "registration certificate is needed."
        ) % {"name": check.name, "address": check.address}
    return i18n.gettext(NOT_USED[check.outcome]) % {"name": check.name, "code": check.credit_code}


def register_checked(check: RegisterCheck) -> str:
    """The review's line for a document the register's match stands for."""
    return i18n.gettext("Checked in the business register: %(name)s") % {"name": check.name}


def register_context(kind: Matter, answers: Mapping[str, Any]) -> dict[str, Any]:
    """What matters/_register_check.html shows: the register's answer and its sentence."""
    check = rules.register_check(kind, answers)
    return {"register": check, "register_sentence": register_sentence(check) if check else ""}
