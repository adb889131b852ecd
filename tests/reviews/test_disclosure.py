"""The public disclosure over HTTP (/disclosure, no sign-in): the figures per outlet and per
matter type equal counts made here over the seeded reviews; they move as soon as a review
arrives or an appeal is decided, though the page is kept in the page cache between; each
outlet's page pulls in its own summary; the cases put right show what was done and the answer,
and nothing of who rated, what they wrote or who in the office acted (both profiles)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable

import pytest

from backend.core import page_cache
from backend.core.database import write_transaction
from backend.reviews import published, service
from backend.reviews.disclosure import without_personal_data
from backend.reviews.rules import Clocks, Level, ReviewForm
from backend.reviews.tables import ReviewAppeal, ServiceEvent
from tests.matters.test_staff_queue import Office, account_id_of
from tests.reviews.people import an_account
from tests.reviews.scenario import COMMENT, SCENARIO, Seeded, events_where, expected_cells
from tests.reviews.seeded import FigureCells, seeded_office  # noqa: F401 - fixture `seeded`

pytestmark = pytest.mark.profiles
FRAGMENT = {"HX-Request": "true", "HX-Request-Type": "partial"}


async def test_the_figures_per_outlet_and_matter_type_are_the_counts(
    seeded: Seeded, client
) -> None:
    page = await client.get("/disclosure")
    cells = FigureCells(page.text)

    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    for key, outlet in seeded.outlets.items():
        assert cells.tables["disclosure-outlets"][str(outlet)] == expected_cells(
            events_where(outlet=key)
        )
    for key, code in seeded.matters.items():
        assert cells.tables["disclosure-matters"][code] == expected_cells(events_where(matter=key))
    outlet_b = str(seeded.outlets["b"])
    assert cells.shown[("disclosure-outlets", outlet_b, "in_time")].startswith("—")


async def test_the_figures_move_as_reviews_arrive_and_appeals_are_decided(
    office: Office, seeded: Seeded, client
) -> None:
    outlet = seeded.outlets["a"]
    before = FigureCells((await client.get("/disclosure")).text).tables["disclosure-outlets"]
    reviewer = await an_account()
    reference = secrets.token_hex(6).upper()
    await service.matter_ended(reference, seeded.matters["m1"], outlet, reviewer, "completed")
    unrated = FigureCells((await client.get("/disclosure")).text).tables["disclosure-outlets"]
    review_id, _ = await service.submit_review(
        reference, reviewer, ReviewForm(level=Level.satisfied), secrets.token_hex(8), Clocks()
    )
    rated = FigureCells((await client.get("/disclosure")).text).tables["disclosure-outlets"]
    await service.file_appeal(review_id, await account_id_of(office.staff), "恶意评价")
    supervisor = await account_id_of(office.supervisor)
    await service.decide_appeal(review_id, supervisor, ReviewAppeal.Decision.upheld, "经核实")
    upheld = FigureCells((await client.get("/disclosure")).text).tables["disclosure-outlets"]

    a_before = before[str(outlet)]
    assert unrated[str(outlet)]["unrated"] == (
        a_before["unrated"][0] + 1,
        a_before["events"][0] + 1,
    )
    assert rated[str(outlet)]["good"] == (a_before["good"][0] + 1, a_before["counted"][0] + 1)
    assert upheld[str(outlet)]["good"] == a_before["good"]
    assert upheld[str(outlet)]["appeals_upheld"] == (
        a_before["appeals_upheld"][0] + 1,
        a_before["appeals_upheld"][1] + 1,
    )


async def test_the_disclosure_is_kept_in_the_page_cache_until_a_rating_moves_a_figure(
    seeded: Seeded, client, app
) -> None:
    outlet = str(seeded.outlets["a"])
    kept = kept_in(app)

    await client.get("/disclosure")
    cached = await kept()
    before = FigureCells((await client.get("/disclosure")).text).tables["disclosure-outlets"]
    reviewer = await an_account()
    reference = secrets.token_hex(6).upper()
    await service.matter_ended(reference, seeded.matters["m1"], seeded.outlets["a"], reviewer, "x")
    await service.submit_review(
        reference, reviewer, ReviewForm(level=Level.satisfied), secrets.token_hex(8), Clocks()
    )
    forgotten = await kept()
    after = FigureCells((await client.get("/disclosure")).text).tables["disclosure-outlets"]

    assert len(cached) == 1 and await kept() == cached  # the page a visitor got is kept
    assert forgotten == []
    assert after[outlet]["good"] == (
        before[outlet]["good"][0] + 1,
        before[outlet]["counted"][0] + 1,
    )
    assert after[outlet]["events"] == (before[outlet]["events"][0] + 1, 0)


class RolledBack(Exception):
    pass


async def held_open(write: Callable[[], Awaitable[object]], while_open: Callable[[], Awaitable]):
    """`write` in a transaction kept open (in a task of its own, as another request's) until
    `while_open` is done; then committed."""
    written, done = asyncio.Event(), asyncio.Event()

    async def in_transaction() -> None:
        async with write_transaction(ServiceEvent._meta.db):
            await write()  # its own transaction joins this one
            written.set()
            await done.wait()

    writing = asyncio.create_task(in_transaction())
    waiting = asyncio.ensure_future(written.wait())
    await asyncio.wait({writing, waiting}, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if writing.done():
        writing.result()  # the write failed: its error
    try:
        await while_open()
    finally:
        done.set()
        await writing


def kept_in(app) -> Callable[[str], Awaitable[list[str]]]:
    """The keys under which a page of the disclosure is kept now (page 1 or a later one)."""
    store = app.stores.get(page_cache.PAGE_CACHE_STORE)

    async def kept(path: str = published.DISCLOSURE_PATH) -> list[str]:
        keys = page_cache.keys_of([path])
        keys = [page_cache.in_generation(published.DISCLOSURE_PATH, key) for key in keys]
        return [key for key in keys if await store.get(key)]

    return kept


@pytest.mark.parametrize("page", ["/disclosure", "/disclosure?page=2"])
async def test_a_disclosure_rendered_before_a_rating_commits_is_not_kept_after_it(
    page: str, seeded: Seeded, client, app
) -> None:
    """Rendered (and kept) from the figures committed so far, while the rating's transaction is
    still open: once the rating commits, the page a visitor gets counts it."""
    outlet = str(seeded.outlets["a"])
    reviewer = await an_account()
    reference = secrets.token_hex(6).upper()
    await service.matter_ended(reference, seeded.matters["m1"], seeded.outlets["a"], reviewer, "x")
    kept = kept_in(app)
    pages: list[FigureCells] = []

    async def rate() -> None:
        form = ReviewForm(level=Level.satisfied)
        await service.submit_review(reference, reviewer, form, secrets.token_hex(8), Clocks())

    async def visit() -> None:
        pages.append(FigureCells((await client.get(page)).text))
        pages.append(FigureCells((await client.get(page)).text))
        assert len(await kept(page)) == 1  # kept while the rating is not yet committed

    await held_open(rate, visit)
    after = FigureCells((await client.get(page)).text).tables["disclosure-outlets"][outlet]

    during = [seen.tables["disclosure-outlets"][outlet] for seen in pages]
    assert during[0] == during[1]
    assert after["good"] == (during[0]["good"][0] + 1, during[0]["counted"][0] + 1)


async def test_a_disclosure_rendered_before_a_matter_s_end_commits_is_not_kept_after_it(
    seeded: Seeded, client, app
) -> None:
    """A matter completed is one event more, unrated (the matters' transaction, as here)."""
    outlet = str(seeded.outlets["a"])
    reviewer = await an_account()
    during: list[dict] = []

    async def end_a_matter() -> None:
        reference = secrets.token_hex(6).upper()
        await service.matter_ended(
            reference, seeded.matters["m1"], seeded.outlets["a"], reviewer, "completed"
        )

    async def visit() -> None:
        page = await client.get("/disclosure")
        during.append(FigureCells(page.text).tables["disclosure-outlets"][outlet])

    await held_open(end_a_matter, visit)
    after = FigureCells((await client.get("/disclosure")).text).tables["disclosure-outlets"]

    assert after[outlet]["unrated"] == (
        during[0]["unrated"][0] + 1,
        during[0]["events"][0] + 1,
    )


async def test_a_rating_rolled_back_forgets_no_page_and_moves_no_figure(
    seeded: Seeded, client, app
) -> None:
    outlet = str(seeded.outlets["a"])
    reviewer = await an_account()
    reference = secrets.token_hex(6).upper()
    await service.matter_ended(reference, seeded.matters["m1"], seeded.outlets["a"], reviewer, "x")
    kept = kept_in(app)
    before = FigureCells((await client.get("/disclosure")).text).tables["disclosure-outlets"]
    cached = await kept()

    with pytest.raises(RolledBack):
        async with write_transaction(ServiceEvent._meta.db):
            form = ReviewForm(level=Level.satisfied)
            await service.submit_review(reference, reviewer, form, secrets.token_hex(8), Clocks())
            raise RolledBack
    still_kept = await kept()
    after = FigureCells((await client.get("/disclosure")).text).tables["disclosure-outlets"]

    assert len(cached) == 1 and still_kept == cached
    assert after[outlet] == before[outlet]


async def test_every_page_of_the_disclosure_is_kept_until_a_figure_moves(
    seeded: Seeded, client, app
) -> None:
    outlet = str(seeded.outlets["a"])
    kept = kept_in(app)
    paths = ["/disclosure", "/disclosure?page=2", "/disclosure?page=3"]
    before = [FigureCells((await client.get(path)).text) for path in paths]
    cached = [await kept(path) for path in paths]
    await service.matter_ended(
        secrets.token_hex(6).upper(),
        seeded.matters["m1"],
        seeded.outlets["a"],
        await an_account(),
        "x",
    )
    forgotten = [await kept(path) for path in paths]
    after = [FigureCells((await client.get(path)).text) for path in paths]

    assert [len(keys) for keys in cached] == [1, 1, 1]
    assert forgotten == [[], [], []]
    for then, now in zip(before, after, strict=True):
        then_a, now_a = (
            then.tables["disclosure-outlets"][outlet],
            now.tables["disclosure-outlets"][outlet],
        )
        assert now_a["events"] == (then_a["events"][0] + 1, 0)


async def test_an_outlet_page_pulls_in_its_own_summary(seeded: Seeded, client) -> None:
    outlet = seeded.outlets["a"]
    page = await client.get(f"/outlets/{outlet}")
    fragment = await client.get(f"/disclosure/outlets/{outlet}", headers=FRAGMENT)
    own_page = await client.get(f"/disclosure/outlets/{outlet}")

    assert f'hx-get="/disclosure/outlets/{outlet}"' in page.text
    assert f'href="/disclosure/outlets/{outlet}"' in page.text  # without JavaScript
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["vary"]
    summary = FigureCells(fragment.text).tables["summary"][str(outlet)]
    assert summary == expected_cells(events_where(outlet="a"))
    assert own_page.status_code == 200 and "<html" in own_page.text
    assert FigureCells(own_page.text).tables["summary"][str(outlet)] == summary
    assert "增设取号提醒" in own_page.text  # its case put right
    assert (await client.get("/disclosure/outlets/999999999")).status_code == 404


async def test_an_outlet_nobody_rated_says_so_and_shows_no_rate(office: Office, client) -> None:
    fragment = await client.get(f"/disclosure/outlets/{office.outlet}", headers=FRAGMENT)

    assert fragment.status_code == 200
    assert 'id="outlet-review-summary"' in fragment.text and "%" not in fragment.text


async def test_cases_put_right_show_what_was_done_and_nothing_of_who(
    seeded: Seeded, client
) -> None:
    text = (await client.get("/disclosure")).text
    answered = [event for event in SCENARIO if event.reply]

    assert text.count("增设取号提醒，缩短等候") >= len(answered)
    assert "您好：已整改" in text and "***您好" in text  # the reviewer's name taken out
    for secret in (
        seeded.reviewer_name,
        seeded.reviewer_email,
        "ouyang.mingyue",
        "13812345678",
        COMMENT,
        "13912345678",
        "1号窗口",
        *seeded.staff_names,
    ):
        assert secret not in text, secret


def test_names_contact_details_and_identity_numbers_are_taken_out_of_a_text() -> None:
    text = (
        "王小明先生：已联系 wang.xm@example.com，手机13900001111，座机010-12345678，"
        "身份证11010519491231002X。王"
    )

    cleaned = without_personal_data(text, ["王小明", "王", "  "])

    assert cleaned == "***先生：已联系 ***，手机***，座机***，身份证***。王"


async def test_the_disclosure_needs_no_sign_in_and_pages_its_cases(client) -> None:
    first = await client.get("/disclosure?page=1")
    far = await client.get("/disclosure?page=9999")

    assert first.status_code == 200 and far.status_code == 200
    assert 'id="meaning"' in first.text and 'id="put-right"' in first.text
