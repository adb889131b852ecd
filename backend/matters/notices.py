"""Telling the applicant where their matter is: one message a transition, in their language.

Call `tell_applicant` after any service call that moved a matter (submit, withdraw, resubmit,
and every staff action): the message is about the matter's latest transition, and its dedupe key
is that transition's place in the history, so calling twice (a retried request) tells once.
"""

from __future__ import annotations

from backend.auth.tables import Account
from backend.core import i18n
from backend.core.i18n import lazy_marker as N_
from backend.matters.catalogue import catalogue
from backend.matters.service import MatterView
from backend.matters.workflow import Status
from backend.notifications.service import Message, Notifier, locale_of

STATUS_NAMES = {
    Status.draft: N_("Draft, not sent"),
    Status.submitted: N_("Sent, waiting for the office"),
    Status.accepted: N_("Accepted, being handled"),
    Status.correction_requested: N_("The office asks you to correct it"),
    Status.resubmitted: N_("Corrected, being handled"),
    Status.approved: N_("Approved"),
    Status.rejected: N_("Refused"),
    Status.completed: N_("Completed"),
    Status.withdrawn: N_("Withdrawn"),
}


def chosen_locale(account: Account) -> str:
    """As locale_of, for the account at hand (the applicant sending their own matter)."""
    return account.chosen_locale or i18n.DEFAULT_LOCALE


def status_name(status: Status) -> str:
    return i18n.gettext(STATUS_NAMES[Status(status)])


def matter_link(reference: str) -> str:
    return f"/my/matters/{reference}"


async def tell_applicant(notifier: Notifier, matter: MatterView, locale: str = "") -> bool:
    """False when there is nothing to tell (a draft) or it was told already. `locale`: the
    applicant's (chosen_locale), when the caller has their account; otherwise it is read."""
    if not matter.history:
        return False
    last = matter.history[-1]
    kind = catalogue().get(matter.type_code)
    with i18n.using_locale(locale or await locale_of(matter.applicant_id)):
        name = kind.name.of(i18n.current_locale()) if kind else matter.type_code
        body = status_name(last.to_status)
        if last.reason and last.reason.text:
            body += f" — {last.reason.text}"
        if last.reason and last.reason.missing:
            body += " " + i18n.gettext("What is missing: %(items)s") % {
                "items": "; ".join(last.reason.missing)
            }
        message = Message(
            kind="status",
            title=i18n.gettext("%(matter)s %(reference)s: %(status)s")
            % {
                "matter": name,
                "reference": matter.reference,
                "status": status_name(last.to_status),
            },
            body=body,
            link=matter_link(matter.reference),
            subject_key=f"matter:{matter.reference}:{len(matter.history)}",
        )
    return await notifier.notify(matter.applicant_id, message)
