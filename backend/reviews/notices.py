"""Telling a reviewer where the putting right of their bad review stands: in their inbox (and by
push or e-mail where they opted in), in their language, once a step (the dedupe key is the
step's place in the case)."""

from __future__ import annotations

import datetime as dt

from backend.auth.tables import Account
from backend.core import i18n
from backend.notifications.service import Message, Notifier, locale_of
from backend.reviews import service
from backend.reviews.rules import CaseStep
from backend.reviews.wording import case_status_name, step_name

# The steps the reviewer hears of: the rest are the office's own bookkeeping.
TOLD = frozenset(
    {
        CaseStep.contact,
        CaseStep.verify_valid,
        CaseStep.verify_not_valid,
        CaseStep.uphold_appeal,
        CaseStep.dismiss_appeal,
        CaseStep.postpone,
        CaseStep.reply,
    }
)


async def tell_reviewer(notifier: Notifier, case: service.CaseView) -> bool:
    """False when the last step is not one to tell, the review was anonymous, or told before."""
    if not case.steps or CaseStep(case.steps[-1].step) not in TOLD:
        return False
    reviewer = await service.reviewer_of_case(case.id)
    if reviewer is None:
        return False
    last = case.steps[-1]
    with i18n.using_locale(await locale_of(reviewer)):
        body = step_name(last.step) + (f" — {last.text}" if last.text else "")
        message = Message(
            kind="status",
            title=i18n.gettext("Your review: %(status)s")
            % {"status": case_status_name(case.status)},
            body=body,
            link=f"/my/reviews#review-{case.review_id}",
            subject_key=f"review-case:{case.id}:{len(case.steps)}",
        )
    return await notifier.notify(reviewer, message)


async def tell_supervisors(notifier: Notifier, escalated: list[int], today: dt.date) -> int:
    """The overdue cases just escalated, one message a supervisor a day; how many were told."""
    if not escalated:
        return 0
    supervisors = await Account.select(Account.id).where(Account.role == Account.Role.supervisor)
    told = 0
    for row in supervisors:
        with i18n.using_locale(await locale_of(row["id"])):
            message = Message(
                kind="status",
                title=i18n.ngettext(
                    "%(num)d bad review is past its clock",
                    "%(num)d bad reviews are past their clock",
                    len(escalated),
                )
                % {"num": len(escalated)},
                body=i18n.gettext("They are at the top of the list of bad reviews to put right."),
                link="/staff/reviews",
                subject_key=f"review-escalation:{today.isoformat()}:{min(escalated)}",
            )
        told += await notifier.notify(row["id"], message)
    return told
