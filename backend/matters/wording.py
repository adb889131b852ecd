"""How the staff queue and a staff member's matter page say things: statuses, actions, roles
and refusals in words, in the person's language. (What the applicant is told is notices.py's.)"""

from __future__ import annotations

from backend.auth.tables import Account
from backend.core import i18n
from backend.core.i18n import lazy_marker as N_
from backend.matters.catalogue import catalogue
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
