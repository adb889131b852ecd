"""A matter's end opens its one rating: completed, or withdrawn after it was sent; a draft
withdrawn is no service and opens none. The completed matter's page invites the rating and the
rating page takes it (both profiles)."""

from __future__ import annotations

import pytest

from backend.matters import service as matters
from backend.matters.workflow import Action
from backend.reviews.tables import ServiceEvent
from tests.matters.test_staff_queue import Office, account_id_of
from tests.reviews.test_pages import rate

pytestmark = pytest.mark.profiles


async def events_of(reference: str) -> list[dict]:
    return await ServiceEvent.select().where(ServiceEvent.token == reference)


async def test_a_completed_matter_invites_its_applicant_to_rate_it(office: Office) -> None:
    reference = await office.submitted()
    staff = await account_id_of(office.staff)
    for action in (Action.accept, Action.approve, Action.complete):
        assert await events_of(reference) == []
        await matters.act(reference, staff, action)

    [event] = await events_of(reference)
    page = await office.applicant.client.get(f"/my/matters/{reference}")
    rated = await rate(office.applicant, reference, level="5")

    assert event["outcome"] == "completed" and event["outlet_id"] == office.outlet
    assert event["matter_code"] == "bibliographic-change" and event["channel"] == "online"
    assert f'href="/rate/{reference}"' in page.text
    assert rated.status_code == 200 and "sent" in str(rated.url)


async def test_withdrawing_a_sent_matter_opens_a_rating_and_a_draft_none(office: Office) -> None:
    applicant = await account_id_of(office.applicant)
    sent, draft = await office.submitted(), await office.draft()

    await matters.act(sent, applicant, Action.withdraw)
    await matters.act(draft, applicant, Action.withdraw)

    [event] = await events_of(sent)
    assert event["outcome"] == "withdrawn" and await events_of(draft) == []
    page = await office.applicant.client.get(f"/my/matters/{sent}")
    assert f'href="/rate/{sent}"' in page.text
