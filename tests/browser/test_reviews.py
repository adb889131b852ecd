"""Rating a service and putting a bad rating right, in Chromium: the reviewer on a 360×740 phone,
the office's staff and supervisor on a desktop.

Offline (SECURITY.md gotcha 7 and "Idempotency"): a rating made with no connection is kept on the
phone with its key and its account, and stored exactly once when the connection returns — from
the page, after a reload made offline, after an answer lost on the way back, after a busy server
(429, 5xx); a rating kept for one person is never sent under another who signs in on the same
phone. The service worker is blocked in these contexts (gotcha 8: `set_offline` does not cut the
worker's own fetches), so the page's requests really fail while offline.

The bad-review loop: return contact, verified, assigned, what was done, the reply, the reviewer's
rating of it; the not-valid path with its reason and the reviewer's appeal upheld; and, with the
app's clock moved past the contact day (server_app.py), the case flagged overdue and escalated by
the periodic job, first in the supervisor's list and told in their inbox. The review pages have
no axe-core violations at 360×740, in each locale and in elder mode.

People, outlets and ended matters come from server_app.py's test-only doors (a staff member's
enrolment link, as `iph create-staff` prints it, used with a soft passkey): e-mail codes are
limited per client, and the whole browser suite shares one client address.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Browser, Error, Page, Route, expect

from backend.core import i18n
from tests.auth.authenticator import SoftAuthenticator
from tests.browser.conftest import (
    PHONE,
    LiveServer,
    MailCatcher,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
    sign_in_with_code,
)
from tests.browser.test_inquiries import query_database
from tests.browser.test_no_dead_ends import csrf
from tests.browser.test_passkeys import sign_out

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}
BEIJING = dt.timezone(dt.timedelta(hours=8))
# reviews.js's notices, in zh_Hans.
SAVED = "已保存在本机，联网后会自动发送。"
SENT = "评价已发送。"
KEPT_FOR_OTHERS = "本机保存着其他人的评价，将在其登录后发送。"
BUSY = "暂未发送：服务繁忙。评价已保存在本机，稍后会自动发送。"
SEND_NOW = "立即发送"
SEND = "提交评价"  # "Send my rating"


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    cookies: list[dict]


async def door(server: LiveServer, path: str, data: dict | None = None, method: str = "POST"):
    """A test-only door of server_app.py."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        response = await client.request(method, path, json=data or {})
    assert response.status_code == 200, response.text
    return response.json()


async def enrolled(
    server: LiveServer, role: str = "applicant", outlet: int | None = None
) -> Person:
    """An account of this role (at this outlet) signed in with a new passkey: its cookies."""
    made = await door(server, "/test-only/people", {"role": role, "outlet": outlet})
    token = re.search(r"/enrol/(\S+)", made["enrolment"]).group(1)
    async with httpx.AsyncClient(
        base_url=server.url, timeout=30, headers={"Accept-Language": "zh-CN"}
    ) as client:
        headers = {"x-csrftoken": await csrf(client)}
        options = (await client.post(f"/enrol/{token}/options", headers=headers)).json()
        authenticator = SoftAuthenticator(origin=server.url, rp_id="localhost")
        credential = authenticator.register(options["publicKey"])
        answer = await client.post(
            f"/enrol/{token}",
            json={"ceremony": options["ceremony"], "credential": credential},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        cookies = [
            {"name": cookie.name, "value": cookie.value, "url": server.url}
            for cookie in client.cookies.jar
        ]
    return Person(made["id"], made["email"], cookies)


async def an_outlet(server: LiveServer) -> int:
    return (await door(server, "/test-only/outlets"))["id"]


async def a_completed_matter(server: LiveServer, applicant: Person, outlet: int) -> str:
    """The matter's reference: its rating is open at /rate/{reference}."""
    ended = await door(
        server, "/test-only/matters-ended", {"applicant": applicant.id, "outlet": outlet}
    )
    return ended["reference"]


@asynccontextmanager
async def opened(
    browser: Browser,
    server: LiveServer,
    person: Person | None = None,
    *,
    phone: bool = True,
    locale: str = "",
    elder: bool = False,
) -> AsyncIterator[Page]:
    """A page in a fresh context of its own (a phone, or a desktop), signed in as `person`."""
    context = await browser.new_context(
        base_url=server.url, service_workers="block", **(PHONE if phone else DESKTOP)
    )
    context.set_default_timeout(15_000)
    cookies = list(person.cookies) if person else []
    if locale:
        cookies.append({"name": i18n.LOCALE_COOKIE, "value": locale, "url": server.url})
    if elder:
        cookies.append({"name": i18n.ELDER_COOKIE, "value": "1", "url": server.url})
    await context.add_cookies(cookies)
    try:
        yield await context.new_page()
    finally:
        await context.close()


def reviews_of(server: LiveServer, reference: str) -> list[tuple]:
    """(level, reviewer_id) of every review stored for the event."""
    return query_database(
        server,
        "select review.level, review.reviewer_id from review "
        "join service_event on review.event = service_event.id where service_event.token = ?",
        reference,
    )


def case_of(server: LiveServer, reference: str) -> dict:
    [row] = query_database(
        server,
        "select rectification_case.id, status, contact_due, satisfaction, escalated_at "
        "from rectification_case join review on rectification_case.review = review.id "
        "join service_event on review.event = service_event.id where service_event.token = ?",
        reference,
    )
    return dict(
        zip(("id", "status", "contact_due", "satisfaction", "escalated_at"), row, strict=True)
    )


# What reviews.js keeps on this phone (without creating the database if there is none).
OUTBOX = """async () => {
  if (!(await indexedDB.databases()).some((db) => db.name === "iph-reviews")) return [];
  return await new Promise((resolve, reject) => {
    const opening = indexedDB.open("iph-reviews");
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
      const db = opening.result;
      if (!db.objectStoreNames.contains("outbox")) { db.close(); resolve([]); return; }
      const all = db.transaction("outbox").objectStore("outbox").getAll();
      all.onsuccess = () => {
        db.close();
        resolve(all.result.map(({ key, account, action }) => ({ key, account, action })));
      };
      all.onerror = () => { db.close(); reject(all.error); };
    };
  });
}"""


async def outbox(page: Page) -> list[dict]:
    return await page.evaluate(OUTBOX)


async def expect_outbox_emptied(page: Page) -> None:
    """reviews.js forgets a sent rating right after the server's answer: wait for that."""
    for _ in range(50):
        if not await outbox(page):
            return
        await page.wait_for_timeout(100)
    raise AssertionError(f"still kept on the phone: {await outbox(page)}")


async def no_signal(route: Route) -> None:
    await route.abort("internetdisconnected")


async def go_offline(page: Page) -> None:
    """No signal for the page: `navigator.onLine` false, and every request it makes fails.

    set_offline alone leaves gaps (Chromium, for one, reloads a page that failed with a network
    error by itself when its own network state, not the emulated one, says online): a parallel
    run once found the kept rating stored while the test held the phone offline. The route fails
    every request the page makes, as a phone with no signal would.
    """
    await page.route("**/*", no_signal)
    await page.context.set_offline(True)


async def go_online(page: Page) -> None:
    await page.unroute("**/*", no_signal)
    await page.context.set_offline(False)


async def rate_offline(
    page: Page, reference: str, level: str = "满意", *, gone: LiveServer | None = None
) -> None:
    """The rating form opened online, then sent with no connection: kept on the phone.

    `gone`: a server stopped once the form is open, as well as the signal cut.
    """
    await page.goto(f"/rate/{reference}")
    if gone is not None:
        gone.stop()
    await go_offline(page)
    await page.get_by_label(level, exact=True).check()
    await page.get_by_role("button", name=SEND).click()
    notice = page.locator("#review-offline")
    await expect(notice).to_contain_text(SAVED)
    await expect(notice.get_by_role("button", name=SEND_NOW)).to_be_visible()


# 1. Offline.


async def test_a_rating_made_offline_is_kept_and_sent_once_when_back_online(
    browser: Browser, live_server: LiveServer
) -> None:
    reviewer = await enrolled(live_server)
    reference = await a_completed_matter(live_server, reviewer, await an_outlet(live_server))
    async with opened(browser, live_server, reviewer) as page:
        await rate_offline(page, reference)
        [kept] = await outbox(page)
        assert kept["account"] == str(reviewer.id) and reviews_of(live_server, reference) == []

        await go_online(page)  # the `online` event sends it

        await page.wait_for_url(re.compile(rf"/rate/{reference}/sent"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("谢谢，您的评价已发送")
        assert reviews_of(live_server, reference) == [(4, reviewer.id)]
        assert await outbox(page) == []


async def test_a_rating_kept_offline_is_sent_by_the_next_page_after_a_reload_made_offline(
    browser: Browser, private_server: LiveServer
) -> None:
    reviewer = await enrolled(private_server)
    reference = await a_completed_matter(private_server, reviewer, await an_outlet(private_server))
    async with opened(browser, private_server, reviewer) as page:
        # The server is gone as well while the phone has no signal: the emulation alone let a
        # rating through once in a parallel CI run (SECURITY.md gotcha 8), and a server that is
        # not there stores nothing whatever the browser does.
        await rate_offline(page, reference, gone=private_server)
        with pytest.raises(Error, match="ERR_INTERNET_DISCONNECTED"):
            await page.reload()  # no signal: the browser's own error page
        assert reviews_of(private_server, reference) == []
        # Chromium reloads its own error page by itself, again and again (its network state is
        # not the emulated one), and once online would send the rating from there before the
        # test's next page: the person closes that tab and opens another on the same phone.
        phone = page.context
        await page.close()
        page = await phone.new_page()

        private_server.start()
        await go_online(page)
        await page.goto("/my/reviews")  # app.js brings reviews.js: a rating is waiting

        await expect(page.locator("#review-offline")).to_have_text(SENT)
        assert reviews_of(private_server, reference) == [(4, reviewer.id)]
        await expect_outbox_emptied(page)
        await page.reload()
        await expect(page.locator("section[id^=review-] h2")).to_have_text(["满意"])


async def test_a_send_whose_answer_was_lost_is_sent_again_and_stored_once(
    browser: Browser, live_server: LiveServer
) -> None:
    reviewer = await enrolled(live_server)
    reference = await a_completed_matter(live_server, reviewer, await an_outlet(live_server))
    sends: list[str] = []
    answered_and_lost = asyncio.Event()

    async def lose_the_first_answer(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        sends.append(route.request.post_data or "")
        if len(sends) == 1:
            answer = await route.fetch(max_redirects=0)  # the server stores it and answers…
            assert answer.status == 303, answer.status
            await route.abort("connectionreset")  # …and the answer never reaches the phone
            answered_and_lost.set()
        else:
            await route.continue_()

    async with opened(browser, live_server, reviewer) as page:
        await page.route(f"**/rate/{reference}", lose_the_first_answer)
        await rate_offline(page, reference)

        await go_online(page)
        await asyncio.wait_for(answered_and_lost.wait(), 15)
        notice = page.locator("#review-offline")
        await expect(notice).to_contain_text(SAVED)  # kept: the phone never heard back
        assert reviews_of(live_server, reference) == [(4, reviewer.id)]
        [kept] = await outbox(page)

        await notice.get_by_role("button", name=SEND_NOW).click()

        await page.wait_for_url(re.compile(rf"/rate/{reference}/sent"))
        assert reviews_of(live_server, reference) == [(4, reviewer.id)]
        assert len(sends) == 2 and all(f"idempotency_key={kept['key']}" in s for s in sends)
        assert await outbox(page) == []


async def test_a_rating_the_server_could_not_take_yet_is_kept_and_sent_on_the_next_try(
    browser: Browser, live_server: LiveServer
) -> None:
    reviewer = await enrolled(live_server)
    reference = await a_completed_matter(live_server, reviewer, await an_outlet(live_server))
    not_now = [503, 429]  # the office's proxy while the app restarts; too many sends at once

    async def busy_at_first(route: Route) -> None:
        if route.request.method == "POST" and not_now:
            await route.fulfill(status=not_now.pop(0), body="busy")
        else:
            await route.continue_()

    async with opened(browser, live_server, reviewer) as page:
        await page.route(f"**/rate/{reference}", busy_at_first)
        await rate_offline(page, reference)
        notice = page.locator("#review-offline")
        for status in (503, 429):
            async with page.expect_response(lambda r: r.request.method == "POST") as answer:
                if status == 503:
                    await go_online(page)
                else:
                    await notice.get_by_role("button", name=SEND_NOW).click()
            assert (await answer.value).status == status
            await expect(notice).to_contain_text(BUSY)
            assert len(await outbox(page)) == 1 and reviews_of(live_server, reference) == []

        await notice.get_by_role("button", name=SEND_NOW).click()

        await page.wait_for_url(re.compile(rf"/rate/{reference}/sent"))
        assert reviews_of(live_server, reference) == [(4, reviewer.id)]


async def test_a_rating_kept_for_one_person_is_not_sent_under_another_and_waits_for_them(
    browser: Browser, live_server: LiveServer, mail_catcher: MailCatcher
) -> None:
    first = await enrolled(live_server)
    second = await enrolled(live_server)
    reference = await a_completed_matter(live_server, first, await an_outlet(live_server))
    sent_to_rate = lambda response: (  # noqa: E731
        response.request.method == "POST" and response.url.endswith(f"/rate/{reference}")
    )
    async with opened(browser, live_server, first) as form_page:
        context = form_page.context
        await rate_offline(form_page, reference)
        # The first person's session ends while the phone is offline (idle, or signed out).
        await context.clear_cookies(name="iph_session")
        async with form_page.expect_response(sent_to_rate) as refused:
            await go_online(form_page)  # the form page still thinks it is theirs: sends
        assert (await refused.value).status == 409
        assert (await refused.value).headers.get("x-review-refused") == "other-person"

        page = await context.new_page()
        await sign_in_with_code(page, live_server, mail_catcher, second.email)
        await page.goto("/my/reviews")
        await expect(page.locator("#review-offline")).to_have_text(KEPT_FOR_OTHERS)
        assert reviews_of(live_server, reference) == []
        # "Send now" on the first person's page, now under the second person: refused, kept.
        async with form_page.expect_response(sent_to_rate) as refused_again:
            await form_page.get_by_role("button", name=SEND_NOW).click()
        assert (await refused_again.value).status == 409
        await expect(form_page.locator("#review-offline")).to_contain_text(SAVED)
        assert reviews_of(live_server, reference) == []
        assert [item["account"] for item in await outbox(page)] == [str(first.id)]
        await form_page.close()

        await page.goto("/account")
        await sign_out(page, live_server)
        async with page.expect_response(sent_to_rate) as sent:
            await sign_in_with_code(page, live_server, mail_catcher, first.email)

        assert (await sent.value).status == 303
        assert reviews_of(live_server, reference) == [(4, first.id)]
        await expect_outbox_emptied(page)


# 2. The bad-review loop.

ESCALATE = "escalate-overdue-rectifications"  # reviews/domain.py's hourly job


async def rate(page: Page, reference: str, level: str, comment: str = "") -> None:
    await page.goto(f"/rate/{reference}")
    await page.get_by_label(level, exact=True).check()
    if comment:
        await page.get_by_text("详细评价（可不填）").click()
        await page.locator("#comment").fill(comment)
    await page.get_by_role("button", name=SEND).click()
    await page.wait_for_url(re.compile(rf"/rate/{reference}/sent"))


async def open_case(page: Page, case_id: int) -> None:
    await page.goto("/staff/reviews")
    await page.locator(f'[data-case="{case_id}"] a').click()
    await page.wait_for_url(re.compile(rf"/staff/reviews/cases/{case_id}$"))


async def take_step(
    page: Page, step: str, status: str, text: str = "", assignee: int | None = None
) -> None:
    """One of the office's steps on the case page; the page then shows the case's new status."""
    form = page.locator(f'form[action$="/steps/{step}"]')
    if assignee is not None:
        await form.locator("select").select_option(str(assignee))
    if text:
        await form.locator("textarea").fill(text)
    await form.get_by_role("button").click()
    await expect(page.locator("#case-status")).to_have_text(status)


async def expect_on_my_reviews(page: Page, status: str, steps: list[str]) -> None:
    """The reviewer's /my/reviews: the case's status and every step so far, in order."""
    await page.goto("/my/reviews")
    review = page.locator("section[id^=review-]")
    await expect(review.locator(".app-chip")).to_have_text(status)
    timeline = review.locator(".app-timeline__item")
    await expect(timeline).to_have_count(len(steps))
    if steps:
        await expect(timeline).to_contain_text(steps)


async def expect_in_inbox(page: Page, messages: list[str]) -> None:
    """Each message (title and body) is in the reviewer's inbox once."""
    await page.goto("/my/inbox")
    for message in messages:
        await expect(page.locator(".app-list__item", has_text=message)).to_have_count(1)


async def test_a_very_dissatisfied_rating_is_put_right_and_the_reviewer_rates_what_was_done(
    browser: Browser, live_server: LiveServer
) -> None:
    outlet = await an_outlet(live_server)
    reviewer, supervisor = await enrolled(live_server), await enrolled(live_server, "supervisor")
    staff = await enrolled(live_server, "staff", outlet)
    reference = await a_completed_matter(live_server, reviewer, outlet)
    async with (
        opened(browser, live_server, reviewer) as phone,
        opened(browser, live_server, supervisor, phone=False) as office,
        opened(browser, live_server, staff, phone=False) as window,
    ):
        await rate(phone, reference, "非常不满意", "窗口排队两个小时，材料被要求交了两次")
        await expect(phone.get_by_text("很抱歉")).to_be_visible()
        case = case_of(live_server, reference)
        await expect_on_my_reviews(phone, "等待本局回访", [])

        await open_case(office, case["id"])
        await expect(office.locator("#reviewer-contact")).to_contain_text(reviewer.email)
        await take_step(office, "contact", "已回访，正在核实", "电话回访：当天排队约两小时")
        await take_step(office, "verify_valid", "已核实，待整改")
        await take_step(office, "assign", "正在整改", assignee=staff.id)
        await expect_on_my_reviews(
            phone, "正在整改", ["回访 电话回访：当天排队约两小时", "核实属实", "已分派"]
        )
        await expect_in_inbox(
            phone,
            [
                "您的评价：已回访，正在核实 回访 — 电话回访：当天排队约两小时",
                "您的评价：已核实，待整改 核实属实",
            ],
        )

        await open_case(window, case["id"])
        await expect(window.get_by_text(reviewer.email)).to_have_count(0)  # staff never see who
        await take_step(window, "rectify", "已整改，正在答复", "增开一个窗口，材料一次告知")
        await take_step(window, "reply", "已答复，等待您评价整改", "已增开窗口，感谢您的反馈")
        await expect_on_my_reviews(
            phone,
            "已答复，等待您评价整改",
            [
                "回访",
                "核实属实",
                "已分派",
                "整改措施 增开一个窗口，材料一次告知",
                "答复您 已增开窗口，感谢您的反馈",
            ],
        )
        await expect_in_inbox(phone, ["您的评价：已答复，等待您评价整改 答复您 — 已增开窗口"])

        await phone.goto("/my/reviews")
        await phone.get_by_label("您对整改结果的满意程度？").select_option(label="满意")
        await phone.get_by_role("button", name="提交对整改的评价").click()

        await expect(phone.locator("section[id^=review-] .app-chip")).to_have_text("已办结")
        await expect(phone.locator(".app-timeline__item").last).to_contain_text("您对整改的评价")
        case = case_of(live_server, reference)
        assert (case["status"], case["satisfaction"]) == ("closed", 4)
        await office.goto("/staff/reviews?show=all")
        await expect(office.locator(f'[data-case="{case["id"]}"]')).to_contain_text("已办结")


async def test_a_rating_found_not_valid_says_why_and_the_reviewers_appeal_is_upheld(
    browser: Browser, live_server: LiveServer
) -> None:
    outlet = await an_outlet(live_server)
    reviewer, supervisor = await enrolled(live_server), await enrolled(live_server, "supervisor")
    reference = await a_completed_matter(live_server, reviewer, outlet)
    async with (
        opened(browser, live_server, reviewer) as phone,
        opened(browser, live_server, supervisor, phone=False) as office,
    ):
        await rate(phone, reference, "不满意", "窗口人员态度差")
        case = case_of(live_server, reference)
        await open_case(office, case["id"])
        await take_step(office, "contact", "已回访，正在核实", "电话回访：评价人称在本窗口办理")
        await take_step(office, "verify_not_valid", "核实不属实", "当天本窗口无该事项的办理记录")
        await expect_on_my_reviews(
            phone, "核实不属实", ["回访", "核实不属实 当天本窗口无该事项的办理记录"]
        )
        await expect_in_inbox(
            phone, ["您的评价：核实不属实 核实不属实 — 当天本窗口无该事项的办理记录"]
        )

        await phone.goto("/my/reviews")
        await phone.locator(f"#appeal-{case['id']}").fill("办理回执上有本窗口的印章")
        await phone.get_by_role("button", name="申诉").click()
        chip = phone.locator("section[id^=review-] .app-chip")
        await expect(chip).to_have_text("已申诉，正在复核")

        await office.reload()
        await expect(office.locator("#case-status")).to_have_text("已申诉，正在复核")
        await expect(office.get_by_text("办理回执上有本窗口的印章")).to_be_visible()
        await take_step(office, "uphold_appeal", "已核实，待整改", "回执核对无误，评价属实")

        await expect_on_my_reviews(
            phone,
            "已核实，待整改",
            [
                "回访",
                "核实不属实",
                "申诉 办理回执上有本窗口的印章",
                "申诉成立 回执核对无误，评价属实",
            ],
        )
        await expect_in_inbox(phone, ["您的评价：已核实，待整改 申诉成立 — 回执核对无误，评价属实"])
        assert case_of(live_server, reference)["status"] == "verified"


@asynccontextmanager
async def moved_clock(server: LiveServer, to: dt.datetime) -> AsyncIterator[None]:
    """The server's clock put at `to` (running on from there), and back to real time after."""
    days = (to - dt.datetime.now(dt.UTC)).total_seconds() / 86400
    await door(server, "/test-only/clock", {"days": days}, method="PUT")
    try:
        yield
    finally:
        await door(server, "/test-only/clock", {"days": 0}, method="PUT")


async def test_a_case_past_its_contact_day_is_flagged_overdue_and_escalated_to_the_supervisor(
    browser: Browser, live_server: LiveServer
) -> None:
    outlet = await an_outlet(live_server)
    reviewer = await enrolled(live_server)
    late = await a_completed_matter(live_server, reviewer, outlet)
    async with opened(browser, live_server, reviewer) as phone:
        await rate(phone, late, "非常不满意")
    late_case = case_of(live_server, late)
    contact_due = dt.date.fromisoformat(late_case["contact_due"])
    with i18n.using_locale("zh_Hans"):
        overdue_since = f"自 {i18n.format_date(contact_due, 'medium')} 起逾期"

    # The morning after the contact day: nobody has called the reviewer back.
    next_morning = dt.datetime.combine(contact_due + dt.timedelta(days=1), dt.time(9), BEIJING)
    async with moved_clock(live_server, next_morning):
        staff = await enrolled(live_server, "staff", outlet)
        supervisor = await enrolled(live_server, "supervisor")
        newer_reviewer = await enrolled(live_server)
        newer = await a_completed_matter(live_server, newer_reviewer, outlet)
        async with opened(browser, live_server, newer_reviewer) as phone:
            await rate(phone, newer, "不满意")  # due tomorrow: not late
        newer_case = case_of(live_server, newer)
        async with (
            opened(browser, live_server, staff, phone=False) as window,
            opened(browser, live_server, supervisor, phone=False) as office,
        ):
            await window.goto("/staff/reviews")
            late_row = window.locator(f'[data-case="{late_case["id"]}"]')
            await expect(late_row.locator(".app-deadline--expired")).to_have_text(overdue_since)
            await expect(window.locator(f'[data-case="{newer_case["id"]}"]')).not_to_contain_text(
                "逾期"
            )
            await expect(window.get_by_text("已上报监督人员")).to_have_count(0)

            escalated = (await door(live_server, f"/test-only/jobs/{ESCALATE}"))["result"]

            assert late_case["id"] in escalated and newer_case["id"] not in escalated
            await office.goto("/staff/reviews")
            cases = office.locator("#review-cases > li")
            await expect(cases.first).to_have_attribute("data-case", str(late_case["id"]))
            await expect(cases.first).to_contain_text("已上报监督人员")
            await expect(cases.first).to_contain_text(overdue_since)
            newer_row = office.locator(f'[data-case="{newer_case["id"]}"]')
            await expect(newer_row).to_be_visible()
            await expect(newer_row).not_to_contain_text("已上报监督人员")
            await open_case(office, late_case["id"])
            await expect(office.get_by_text("已逾期")).to_be_visible()
            await office.goto("/my/inbox")  # and every supervisor is told, once a day
            told = office.locator(
                ".app-list__item", has_text=f"{len(escalated)} 条差评的整改已超期"
            )
            await expect(told).to_contain_text("它们排在待整改差评列表的最前面。")
    assert case_of(live_server, late)["escalated_at"] is not None


# 3. Accessibility.


async def checked(page: Page) -> None:
    await expect_no_horizontal_scroll(page)
    await expect_no_axe_violations(page)


@pytest.mark.parametrize(
    ("locale", "elder"),
    [("zh_Hans", False), ("zh_Hant", False), ("en", False), ("zh_Hans", True)],
    ids=["zh_Hans", "zh_Hant", "en", "elder"],
)
async def test_the_review_pages_have_no_axe_violations_on_a_phone(
    browser: Browser, live_server: LiveServer, locale: str, elder: bool
) -> None:
    outlet = await an_outlet(live_server)
    reviewer, supervisor = await enrolled(live_server), await enrolled(live_server, "supervisor")
    reference = await a_completed_matter(live_server, reviewer, outlet)
    looks = {"locale": locale, "elder": elder}
    async with (
        opened(browser, live_server, reviewer, **looks) as phone,
        opened(browser, live_server, supervisor, **looks) as office,
    ):
        await phone.goto(f"/rate/{reference}")
        await checked(phone)
        await phone.locator('form[data-review-form] button[type="submit"]').click()  # no level
        await expect(phone.locator(".app-error-summary")).to_be_visible()
        await checked(phone)
        await phone.locator('input[name="level"][value="1"]').check()
        await phone.locator('form[data-review-form] button[type="submit"]').click()
        await phone.wait_for_url(re.compile(rf"/rate/{reference}/sent"))
        await checked(phone)

        case = case_of(live_server, reference)
        await office.goto("/staff/reviews")
        await checked(office)
        await office.locator(f'[data-case="{case["id"]}"] a').click()
        await office.wait_for_url(re.compile(rf"/staff/reviews/cases/{case['id']}$"))
        await checked(office)
        contact = office.locator('form[action$="/steps/contact"]')
        await contact.locator("button").click()  # no reason: the error
        await expect(office.locator(".app-error-summary")).to_be_visible()
        await checked(office)
        await contact.locator("textarea").fill("Called back")
        await contact.locator("button").click()
        await expect(office.locator(".app-timeline__item")).to_have_count(1)
        await checked(office)

        await phone.goto("/my/reviews")
        await expect(phone.locator(".app-timeline__item")).to_have_count(1)
        await checked(phone)
