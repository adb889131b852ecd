"""A person's reviews are in their data export; deleting the account keeps the ratings (the
office's record, counted in the figures) but no longer ties them to anyone."""

from __future__ import annotations

import pytest

from backend.reviews.tables import Review, ServiceEvent
from tests.people import Person
from tests.reviews.test_pages import a_completed_matter_of, rate

pytestmark = pytest.mark.profiles


async def test_the_export_holds_the_reviews_and_deletion_detaches_them(person: Person) -> None:
    await person.sign_up()
    token = await a_completed_matter_of(person)
    await rate(person, token, level="2", comment="材料要求不清楚")

    exported = (await person.client.get("/account/export")).json()
    await person.post_form("/account/delete", {"confirm": "yes"})

    [mine] = [r for r in exported["reviews"] if r["subject"] == token]
    assert mine["level"] == 2 and mine["comment"] == "材料要求不清楚"
    assert mine["case"]["status"] == "opened"
    [kept] = await Review.select().where(Review.event.token == token)
    [event] = await ServiceEvent.select().where(ServiceEvent.token == token)
    assert kept["level"] == 2 and kept["reviewer_id"] is None and event["account_id"] is None


async def test_the_delete_page_says_what_goes_and_what_the_office_keeps(person: Person) -> None:
    await person.sign_up()
    page = await person.client.get("/account/delete", headers={"Accept-Language": "en"})
    chinese = await person.client.get("/account/delete", headers={"Accept-Language": "zh-CN"})

    for words in (
        "your matters in this app",
        "e-certificates",
        "can still verify it",
        "office's own files",
        "service ratings stay in the published figures",
    ):
        assert words in page.text
    assert "档案法" in chinese.text and "电子证书" in chinese.text
