"""Filing a matter over HTTP as a browser without JavaScript would: steps, review, send."""

from __future__ import annotations

import asyncio
import io
import re

import httpx
import pytest
from PIL import Image

from backend.inquiries.numbers import check_character
from backend.matters.tables import Matter, MatterAttachment, MatterEvent
from backend.matters.workflow import Status
from backend.notifications.tables import InboxEntry
from backend.outlets.tables import Outlet
from tests.people import Person

KIND = "bibliographic-change"
PATENT_BODY = "201710601862"
PATENT = f"{PATENT_BODY}.{check_character(PATENT_BODY)}"
ADDRESS = {
    "change_kind": "address",
    "name_before": "测试科技有限公司",
    "address_after": "北京市海淀区知春路1号 100083",
}
ENTERPRISE = {"holder_kind": "enterprise", "credit_code": "91350100M000100Y43"}


@pytest.fixture(autouse=True)
async def an_acceptance_window() -> None:
    """Filing needs an outlet that handles the matter (the test database has none seeded)."""
    if not await Outlet.exists().where(Outlet.type == "acceptance_window"):
        await Outlet(
            name="测试受理窗口", type="acceptance_window", province_code="110000", source="test"
        ).save()


@pytest.fixture
async def applicant(person: Person) -> Person:
    await person.sign_up()
    return person


def a_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "JPEG")
    return out.getvalue()


async def start(person: Person) -> str:
    """A new draft; its reference (the first step's address)."""
    response = await person.post_form(f"/matters/{KIND}/new", {})
    assert response.status_code == 200, response.text
    match = re.search(r"/my/matters/([A-Z0-9]+)/steps/record$", str(response.url))
    assert match, response.url
    return match.group(1)


async def step(person: Person, reference: str, key: str, data: dict, files=None) -> httpx.Response:
    url = f"/my/matters/{reference}/steps/{key}"
    body = {**data, "_csrf_token": await person.csrf()}
    return await person.client.post(url, data=body, files=files, follow_redirects=True)


async def answers_of(reference: str) -> dict:
    import msgspec

    row = await Matter.select(Matter.answers).where(Matter.reference == reference).first()
    return msgspec.json.decode(row["answers"])


async def filed_to_review(person: Person) -> str:
    reference = await start(person)
    assert (
        await step(person, reference, "record", {"record_number_other": PATENT})
    ).status_code == 200
    assert (await step(person, reference, "holder", ENTERPRISE)).status_code == 200
    assert (await step(person, reference, "change", ADDRESS)).status_code == 200
    response = await step(person, reference, "documents", {})
    assert str(response.url).endswith(f"/my/matters/{reference}/review"), response.url
    return reference


def key_of(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


async def test_starting_a_matter_asks_an_anonymous_visitor_to_sign_in_and_come_back(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"/matters/{KIND}/new")
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=%2Fmatters%2F{KIND}%2Fnew"


async def test_each_step_shows_its_place_and_leads_to_the_next(applicant: Person) -> None:
    reference = await start(applicant)
    page = (await applicant.client.get(f"/my/matters/{reference}/steps/record")).text
    assert "第 1 步，共 4 步" in page or "Step 1 of 4" in page
    response = await step(applicant, reference, "record", {"record_number_other": PATENT})
    assert str(response.url).endswith(f"/my/matters/{reference}/steps/holder")
    assert (await answers_of(reference))["record_number"] == PATENT
    row = await Matter.select(Matter.record_number).where(Matter.reference == reference).first()
    assert row["record_number"] == PATENT  # the matter is about it: the queue and staff show it


async def test_a_wrong_answer_is_shown_the_govuk_way_and_nothing_is_saved(
    applicant: Person,
) -> None:
    reference = await start(applicant)
    await step(applicant, reference, "record", {"record_number_other": PATENT})
    before = await answers_of(reference)
    response = await step(
        applicant, reference, "change", {"change_kind": "address", "name_before": "x" * 201}
    )
    assert response.status_code == 400
    page = response.text
    summary = page.split('class="app-error-summary"')[1].split("</div>")[0]
    assert 'href="#name_before"' in summary and 'href="#address_after"' in summary
    assert 'id="name_before-error"' in page
    assert re.search(
        r'id="name_before"[^>]*aria-describedby="name_before-hint name_before-error"', page
    )
    assert "x" * 201 in page  # the person's input is kept
    assert await answers_of(reference) == before


async def test_a_condition_not_met_drops_the_answer_sent_for_it(applicant: Person) -> None:
    reference = await start(applicant)
    data = {**ADDRESS, "name_after": "should be dropped"}
    await step(applicant, reference, "change", data)
    kept = await answers_of(reference)
    assert kept["address_after"] == ADDRESS["address_after"] and kept["name_after"] is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"record_number_other": ""}, "record_number"),
        (
            {"record_number_other": f"{PATENT_BODY}.{'X' if PATENT[-1] != 'X' else '1'}"},
            "record_number",
        ),
    ],
)
async def test_the_record_step_refuses_a_missing_or_mistyped_number(
    applicant: Person, data: dict, field: str
) -> None:
    reference = await start(applicant)
    response = await step(applicant, reference, "record", data)
    assert response.status_code == 400
    assert f'href="#{field}"' in response.text
    assert "record_number" not in await answers_of(reference)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"holder_kind": ""}, "holder_kind"),
        ({"holder_kind": "enterprise", "credit_code": "91350100M000100Y44"}, "credit_code"),
        ({"holder_kind": "individual", "identity_number": "11010519491231002Y"}, "identity_number"),
        ({"holder_kind": "individual", "identity_number": "110105194912310020"}, "identity_number"),
    ],
)
async def test_the_holder_step_checks_credit_codes_and_identity_numbers(
    applicant: Person, data: dict, field: str
) -> None:
    reference = await start(applicant)
    response = await step(applicant, reference, "holder", data)
    assert response.status_code == 400
    assert f'href="#{field}"' in response.text


async def test_an_identity_number_is_kept_only_as_a_hash_and_its_last_four(
    applicant: Person,
) -> None:
    reference = await start(applicant)
    number = "11010519491231002X"
    response = await step(
        applicant, reference, "holder", {"holder_kind": "individual", "identity_number": number}
    )
    assert response.status_code == 200, response.text
    kept = (await answers_of(reference))["identity_number"]
    assert kept["last_four"] == "002X" and len(kept["digest"]) == 64
    row = await Matter.select(Matter.answers).where(Matter.reference == reference).first()
    assert number not in row["answers"] and "110105" not in row["answers"]


async def test_the_review_lists_every_answer_with_change_links_and_the_commitment(
    applicant: Person,
) -> None:
    reference = await filed_to_review(applicant)
    page = (await applicant.client.get(f"/my/matters/{reference}/review")).text
    assert PATENT in page and ADDRESS["address_after"] in page
    assert f'href="/my/matters/{reference}/steps/change#address_after"' in page
    assert 'name="commitment" value="2026-1"' in page
    assert key_of(page)


async def test_send_without_the_licence_or_the_commitment_is_refused(applicant: Person) -> None:
    reference = await filed_to_review(applicant)
    key = key_of((await applicant.client.get(f"/my/matters/{reference}/review")).text)
    response = await applicant.post_form(f"/my/matters/{reference}/send", {"idempotency_key": key})
    assert response.status_code == 400
    assert 'href="#commitment"' in response.text
    row = await Matter.select(Matter.status).where(Matter.reference == reference).first()
    assert row["status"] == Status.draft


async def test_sending_twice_with_one_key_makes_one_matter_and_the_same_answer(
    applicant: Person,
) -> None:
    reference = await filed_to_review(applicant)
    key = key_of((await applicant.client.get(f"/my/matters/{reference}/review")).text)
    form = {"idempotency_key": key, "commitment": "2026-1"}
    first = await applicant.post_form(f"/my/matters/{reference}/send", form)
    second = await applicant.post_form(f"/my/matters/{reference}/send", form)
    assert first.status_code == second.status_code == 200
    assert str(first.url) == str(second.url) and str(first.url).endswith(
        f"/my/matters/{reference}?sent=1"
    )
    row = await Matter.select().where(Matter.reference == reference).first()
    assert row["status"] == Status.submitted and row["commitment_version"] == "2026-1"
    told = await InboxEntry.count().where(InboxEntry.link == f"/my/matters/{reference}")
    assert told == 1
    other = await applicant.post_form(f"/my/matters/{reference}/send", {"idempotency_key": key})
    assert other.status_code == 422
    listed = (await applicant.client.get("/my/matters")).text
    assert reference in listed and ("已提交" in listed or "Sent" in listed or "已发送" in listed)


@pytest.mark.profiles
async def test_two_tabs_sending_one_draft_with_their_own_keys_make_one_matter(
    applicant: Person,
) -> None:
    reference = await filed_to_review(applicant)
    page = f"/my/matters/{reference}/review"
    keys = [key_of((await applicant.client.get(page)).text) for _ in range(2)]
    answers = await asyncio.gather(
        *(
            applicant.post_form(
                f"/my/matters/{reference}/send", {"idempotency_key": key, "commitment": "2026-1"}
            )
            for key in keys
        )
    )
    assert [answer.status_code for answer in answers] == [200, 200]
    assert all(
        str(answer.url).split("?")[0].endswith(f"/my/matters/{reference}") for answer in answers
    )
    row = await Matter.select(Matter.id, Matter.status).where(Matter.reference == reference).first()
    assert row["status"] == Status.submitted
    assert await MatterEvent.count().where(MatterEvent.matter == row["id"]) == 1


async def test_extra_form_fields_do_not_change_status_applicant_or_outlet(
    applicant: Person, person: Person
) -> None:
    reference = await start(applicant)
    before = await Matter.select().where(Matter.reference == reference).first()
    sneaky = {"status": "approved", "applicant": "1", "outlet": "999", "applicant_id": "1"}
    await step(applicant, reference, "record", {"record_number_other": PATENT, **sneaky})
    after = await Matter.select().where(Matter.reference == reference).first()
    assert (after["status"], after["applicant"], after["outlet"]) == (
        before["status"],
        before["applicant"],
        before["outlet"],
    )
    assert set(await answers_of(reference)) == {"record_number"}


async def test_another_persons_draft_matter_and_attachment_are_not_found(
    applicant: Person, app, mailbox
) -> None:
    reference = await start(applicant)
    response = await step(
        applicant,
        reference,
        "documents",
        {},
        files={"holder_proof": ("licence.jpg", a_photo(), "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    matter_id = (await Matter.select(Matter.id).where(Matter.reference == reference).first())["id"]
    token = (
        await MatterAttachment.select(MatterAttachment.token)
        .where(MatterAttachment.matter == matter_id)
        .first()
    )["token"]
    from tests.conftest import serve

    async with serve(app) as browser:
        stranger = Person(browser, mailbox)
        await stranger.sign_up()
        for path in (
            f"/my/matters/{reference}",
            f"/my/matters/{reference}/steps/record",
            f"/my/matters/{reference}/review",
            f"/my/matters/{reference}/attachments/{token}",
        ):
            assert (await stranger.client.get(path)).status_code == 404, path
        answer = await step(stranger, reference, "record", {"record_number_other": PATENT})
        assert answer.status_code == 404
    own = await applicant.client.get(f"/my/matters/{reference}/attachments/{token}")
    assert own.status_code == 200
    assert own.headers["content-disposition"].startswith("attachment;")
    assert own.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("locale", "message"),
    [("zh_Hans", "不是 PDF"), ("en", "This file is not a PDF, JPEG, PNG or HEIC photo.")],
)
async def test_an_upload_refused_is_said_in_the_persons_language_and_not_stored(
    applicant: Person, locale: str, message: str
) -> None:
    applicant.client.cookies.set("iph_locale", locale)
    reference = await start(applicant)
    before = await MatterAttachment.count()
    response = await step(
        applicant,
        reference,
        "documents",
        {},
        files={"holder_proof": ("photo.jpg", b"#!/bin/sh\necho hi\n", "image/jpeg")},
    )
    assert response.status_code == 400
    assert message in response.text and 'href="#holder_proof"' in response.text
    assert await MatterAttachment.count() == before


async def test_a_withdrawn_matter_tells_the_applicant_and_shows_in_the_timeline(
    applicant: Person,
) -> None:
    reference = await filed_to_review(applicant)
    key = key_of((await applicant.client.get(f"/my/matters/{reference}/review")).text)
    await applicant.post_form(
        f"/my/matters/{reference}/send", {"idempotency_key": key, "commitment": "2026-1"}
    )
    page = await applicant.post_form(f"/my/matters/{reference}/withdraw", {})
    assert page.status_code == 200
    row = await Matter.select(Matter.status).where(Matter.reference == reference).first()
    assert row["status"] == Status.withdrawn
    assert await InboxEntry.count().where(InboxEntry.link == f"/my/matters/{reference}") == 2
    assert f'action="/my/matters/{reference}/withdraw"' not in page.text
