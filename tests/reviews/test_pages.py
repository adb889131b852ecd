"""Rating over HTTP: /rate/{token} for a completed matter, a visit code and a desk's code; what a
used, expired or unknown code answers; bad input changes nothing; nobody changes or deletes a
review; /my/reviews shows the person's own, with every step of its rectification."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest

from backend.auth.tables import Account
from backend.reviews import service
from backend.reviews.rules import CaseStep
from backend.reviews.tables import Review
from tests.conftest import serve
from tests.people import Person
from tests.reviews.people import an_account, an_outlet

pytestmark = pytest.mark.profiles


async def account_id_of(person: Person) -> int:
    row = await Account.select(Account.id).where(Account.email == person.email).first()
    return row["id"]


async def a_completed_matter_of(person: Person) -> str:
    reference = secrets.token_hex(6).upper()
    await service.matter_ended(
        reference, "trademark-renewal", await an_outlet(), await account_id_of(person), "completed"
    )
    return reference


def form_of(html: str) -> dict[str, str]:
    return {
        name: value
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html)
    }


async def rate(person: Person, token: str, **fields: str) -> httpx.Response:
    page = await person.client.get(f"/rate/{token}")
    assert page.status_code == 200, page.text
    return await person.post_form(f"/rate/{token}", {**form_of(page.text), **fields})


async def reviews_of(token: str) -> list[dict]:
    return await Review.select().where(Review.event.token == token)


async def test_a_completed_matter_is_rated_once_by_its_applicant(person: Person) -> None:
    await person.sign_up("李秀英")
    token = await a_completed_matter_of(person)

    page = await person.client.get(f"/rate/{token}")
    assert page.status_code == 200 and 'name="level"' in page.text
    assert "checked" not in page.text.split('name="level"')[1][:200]  # no level chosen for them
    sent = await person.post_form(f"/rate/{token}", {**form_of(page.text), "level": "5"})
    again = await person.post_form(f"/rate/{token}", {**form_of(page.text), "level": "5"})

    assert sent.status_code == 200 and "/rate/" in str(sent.url) and "sent" in str(sent.url)
    assert again.status_code == 200  # the same key: the first answer again
    reopened = await person.client.get(f"/rate/{token}")
    assert reopened.status_code == 200 and 'name="level"' not in reopened.text
    fresh_key = await person.post_form(
        f"/rate/{token}", {**form_of(page.text), "idempotency_key": "another-key", "level": "1"}
    )
    assert fresh_key.status_code == 409
    [review] = await reviews_of(token)
    assert review["level"] == 5 and review["reviewer_id"] == await account_id_of(person)


async def test_bad_input_says_what_to_do_and_stores_nothing(person: Person) -> None:
    await person.sign_up()
    token = await a_completed_matter_of(person)
    page = await person.client.get(f"/rate/{token}")
    hidden = form_of(page.text)

    no_level = await person.post_form(f"/rate/{token}", hidden)
    unfitting = await person.post_form(
        f"/rate/{token}", {**hidden, "level": "1", "tags": "friendly"}
    )
    too_long = await person.post_form(
        f"/rate/{token}", {**hidden, "level": "4", "comment": "字" * 501}
    )
    anonymous = await person.post_form(
        f"/rate/{token}", {**hidden, "level": "4", "anonymous": "yes"}
    )

    assert no_level.status_code == 400 and "请选择您的满意程度" in no_level.text
    assert unfitting.status_code == 400 and "与所选等级不符" in unfitting.text
    assert too_long.status_code == 400 and "500 个字" in too_long.text
    assert anonymous.status_code == 400 and "不能匿名评价" in anonymous.text
    assert await reviews_of(token) == []


async def test_someone_elses_matter_is_not_found_and_signed_out_people_are_asked_to_sign_in(
    app, person: Person, mailbox
) -> None:
    await person.sign_up()
    token = await a_completed_matter_of(person)
    from tests.conftest import serve

    async with serve(app) as other_client, serve(app) as anonymous_client:
        stranger = Person(other_client, mailbox)
        await stranger.sign_up()
        assert (await stranger.client.get(f"/rate/{token}")).status_code == 404
        signed_out = await anonymous_client.get(f"/rate/{token}")
        assert signed_out.status_code in (302, 303) and "/signin" in signed_out.headers["location"]
    assert (await person.client.get("/rate/no-such-code")).status_code == 404


async def test_a_rating_queued_by_one_person_is_refused_under_another(person: Person) -> None:
    await person.sign_up()
    token = await a_completed_matter_of(person)
    page = await person.client.get(f"/rate/{token}")

    sent = await person.post_form(
        f"/rate/{token}", {**form_of(page.text), "level": "2", "for_account": "999999"}
    )

    assert sent.status_code == 409 and sent.headers["x-review-refused"] == "other-person"
    assert await reviews_of(token) == []


async def test_visit_and_desk_codes_rate_anonymously_and_a_used_or_expired_code_is_refused(
    client: httpx.AsyncClient, mailbox
) -> None:
    outlet = await an_outlet()
    staff = await an_account("staff", outlet)
    visit = await service.issue_visit_code(staff, "2号窗口")
    desk = await service.desk_code_for(outlet, "2号窗口")
    visitor = Person(client, mailbox)

    first = await rate(visitor, visit, level="4", anonymous="yes", tags="friendly")
    used = await visitor.client.get(f"/rate/{visit}")
    for _ in range(2):
        assert (await rate(visitor, desk, level="3", anonymous="yes")).status_code == 200

    assert first.status_code == 200 and "sent" in str(first.url)
    assert used.status_code == 200 and "这次服务已经评价过" in used.text
    [review] = await reviews_of(visit)
    assert (
        review["anonymous"] and review["reviewer_id"] is None and review["tags"] == '["friendly"]'
    )
    assert await Review.count().where((Review.outlet_id == outlet) & (Review.kind == "desk")) == 2


async def test_ratings_past_the_hourly_limit_are_refused_and_stored_not(make_app, mailbox) -> None:
    outlet = await an_outlet()
    desk = await service.desk_code_for(outlet, "3号窗口")

    async with serve(make_app(reviews_per_hour=2)) as client:
        visitor = Person(client, mailbox)
        answers = [await rate(visitor, desk, level="4", anonymous="yes") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert await Review.count().where(Review.outlet_id == outlet) == 2


async def test_an_expired_visit_code_gets_a_clear_page(client: httpx.AsyncClient, app) -> None:
    import datetime as dt

    outlet = await an_outlet()
    staff = await an_account("staff", outlet)
    long_ago = dt.datetime.now(dt.UTC) - service.VISIT_CODE_LIFETIME - dt.timedelta(hours=1)
    code = await service.issue_visit_code(staff, "", long_ago)

    page = await client.get(f"/rate/{code}")

    assert page.status_code == 410 and "评价码已过期" in page.text


async def test_no_one_can_change_or_delete_a_review(person: Person) -> None:
    await person.sign_up()
    token = await a_completed_matter_of(person)
    await rate(person, token, level="1", comment="等了两个小时")
    [before] = await reviews_of(token)
    csrf = {"x-csrftoken": await person.csrf()}

    for method in ("PUT", "PATCH", "DELETE"):
        for path in (f"/rate/{token}", f"/my/reviews/{before['id']}", "/my/reviews"):
            response = await person.client.request(method, path, headers=csrf)
            assert response.status_code in (404, 405), (method, path, response.status_code)
    await person.post_form(f"/my/reviews/{before['id']}/follow-up", {"level": "5", "comment": "x"})

    [after] = await reviews_of(token)
    assert after == before


async def test_my_reviews_show_each_step_of_putting_a_bad_one_right(person: Person) -> None:
    await person.sign_up()
    token = await a_completed_matter_of(person)
    await rate(person, token, level="2", tags="long_wait")
    [review] = await reviews_of(token)
    supervisor = await an_account("supervisor")
    [case] = [r.case for r in await service.reviews_of(await account_id_of(person))]
    await service.take_step(case.id, supervisor, CaseStep.contact, "已电话回访")
    await service.take_step(case.id, supervisor, CaseStep.verify_not_valid, "当日系统维护已公告")

    page = await person.client.get("/my/reviews")
    appealed = await person.post_form(
        f"/my/reviews/cases/{case.id}/appeal", {"reason": "公告没有提前发布"}
    )

    assert "已电话回访" in page.text and "当日系统维护已公告" in page.text
    assert f"/my/reviews/cases/{case.id}/appeal" in page.text
    assert appealed.status_code == 200 and "公告没有提前发布" in appealed.text
    assert review["grade"] == "bad"


async def test_an_online_service_is_rated_from_the_link_at_its_end(
    client: httpx.AsyncClient, mailbox
) -> None:
    visitor = Person(client, mailbox)
    record_page = await client.get("/guides")
    assert record_page.status_code == 200
    before = await Review.count().where(Review.kind == "online")

    for _ in range(2):
        sent = await rate(visitor, "online-gi-check", level="2", tags="unclear_guide")
        assert sent.status_code == 200 and "sent" in str(sent.url)

    assert await Review.count().where(Review.kind == "online") == before + 2
    [event] = (
        await Review.select(Review.event.subject)
        .where(Review.kind == "online")
        .order_by(Review.id, ascending=False)
        .limit(1)
    )
    assert event["event.subject"] == "gi-check"


async def test_two_tabs_sending_within_100_ms_store_one_review(person: Person) -> None:
    import asyncio

    await person.sign_up()
    token = await a_completed_matter_of(person)
    tabs = [form_of((await person.client.get(f"/rate/{token}")).text) for _ in range(2)]
    assert tabs[0]["idempotency_key"] != tabs[1]["idempotency_key"]

    async def send(fields: dict[str, str], delay: float) -> httpx.Response:
        await asyncio.sleep(delay)
        return await person.post_form(f"/rate/{token}", {**fields, "level": "1"})

    answers = await asyncio.gather(send(tabs[0], 0), send(tabs[1], 0.05))

    assert sorted(answer.status_code for answer in answers) == [200, 409]
    assert len(await reviews_of(token)) == 1
