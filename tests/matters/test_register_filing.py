"""Fewer documents: an enterprise holder's credit code looked up in the business register while
filing over HTTP. A match fills the new name and address and the licence is neither asked nor
needed; an unknown code, a deregistered entity or an individual are asked for it as before."""

from __future__ import annotations

import html
import re
import secrets

import pytest

from backend.auth.tables import Account
from backend.business_register import service as register
from backend.business_register.service import RegisteredEntity, RegisterUnavailable
from backend.geo_indications.credit_code import ALPHABET, check_character
from backend.matters import service
from backend.matters.answers import REGISTER_CHECK
from backend.matters.tables import Matter
from backend.matters.workflow import Status
from backend.outlets.tables import Outlet
from tests.conftest import serve
from tests.matters.test_filing import PATENT, an_acceptance_window, answers_of, key_of, start, step
from tests.people import Person

DEMO = register.demo_rows()[0]  # 杭州临平演示科技有限公司（演示数据）
OTHER_DEMO = register.demo_rows()[1]
NAME_BEFORE = "杭州临平旧名称科技有限公司"


def fresh_code(prefix: str = "91330100") -> str:
    first17 = prefix + "".join(secrets.choice(ALPHABET) for _ in range(17 - len(prefix)))
    return first17 + check_character(first17)


__all__ = ["an_acceptance_window"]  # the outlet filing needs, autouse here too


@pytest.fixture(autouse=True)
async def demo_entities() -> None:
    await register.load_demo_entities()  # once: a second load creates nothing


@pytest.fixture
async def applicant(person: Person) -> Person:
    await person.sign_up()
    person.client.cookies.set("iph_locale", "en")
    return person


async def holder(person: Person, code: str, kind: str = "enterprise") -> tuple[str, str]:
    """A draft with its record and holder given: (its reference, the page the holder led to)."""
    reference = await start(person)
    await step(person, reference, "record", {"record_number_other": PATENT})
    response = await step(person, reference, "holder", {"holder_kind": kind, "credit_code": code})
    assert response.status_code == 200, response.text
    return reference, html.unescape(response.text)


def input_value(page: str, key: str) -> str | None:
    found = re.search(rf'<input class="app-input" id="{key}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else None


async def test_a_demo_entitys_code_fills_the_new_address_and_the_licence_is_not_asked(
    applicant: Person,
) -> None:
    reference, page = await holder(applicant, DEMO["credit_code"])
    kept = await answers_of(reference)
    assert kept[REGISTER_CHECK] == {
        "credit_code": DEMO["credit_code"],
        "outcome": "matched",
        "name": DEMO["name"],
        "address": DEMO["address"],
        "is_demo": True,
    }
    assert (kept["name_after"], kept["address_after"]) == (DEMO["name"], DEMO["address"])
    assert "/steps/change" in page  # the screen that asks them, prefilled and saying so
    assert input_value(page, "name_after") == DEMO["name"]
    assert input_value(page, "address_after") == DEMO["address"]
    assert page.count("From the business register. Change it if it is not right.") == 2
    assert re.search(r'id="address_after"[^>]*aria-describedby="[^"]*address_after-register', page)

    change = {"change_kind": "address", "name_before": NAME_BEFORE}
    documents = await step(
        applicant, reference, "change", {**change, "address_after": DEMO["address"]}
    )
    assert str(documents.url).endswith("/steps/documents")
    assert 'name="holder_proof"' not in documents.text
    assert "was checked in the business register" in documents.text

    review = html.unescape((await applicant.client.get(f"/my/matters/{reference}/review")).text)
    assert f"Checked in the business register: {DEMO['name']}" in review
    for fact in (DEMO["name"], DEMO["address"], DEMO["credit_code"], "Demo data"):
        assert fact in review
    assert 'name="commitment"' not in review  # nothing left that a commitment would replace
    assert "/steps/documents#holder_proof" not in review

    sent = await applicant.post_form(
        f"/my/matters/{reference}/send", {"idempotency_key": key_of(review)}
    )
    assert str(sent.url).endswith(f"/my/matters/{reference}?sent=1"), sent.text
    row = (
        await Matter.select(Matter.status, Matter.commitment_version)
        .where(Matter.reference == reference)
        .first()
    )
    assert row == {"status": Status.submitted, "commitment_version": None}
    assert DEMO["address"] in html.unescape(sent.text)  # the person's matter page says it too


async def test_the_staff_page_says_the_holder_was_checked_in_the_register(
    applicant: Person, app, mailbox
) -> None:
    reference, _ = await holder(applicant, DEMO["credit_code"])
    await step(applicant, reference, "change", {"change_kind": "address", "name_before": "旧"})
    review = (await applicant.client.get(f"/my/matters/{reference}/review")).text
    await applicant.post_form(f"/my/matters/{reference}/send", {"idempotency_key": key_of(review)})
    async with serve(app) as browser:
        supervisor = Person(browser, mailbox)
        await supervisor.sign_up()
        await Account.update({Account.role: "supervisor"}).where(Account.email == supervisor.email)
        supervisor.client.cookies.set("iph_locale", "en")
        page = html.unescape((await supervisor.client.get(f"/staff/matters/{reference}")).text)
    assert "The holder was checked in the business register:" in page
    for fact in (DEMO["name"], DEMO["address"], DEMO["credit_code"], "Demo data"):
        assert fact in page
    assert REGISTER_CHECK not in page and "'outcome'" not in page


async def test_an_unknown_code_is_said_plainly_and_the_licence_stays_required(
    applicant: Person,
) -> None:
    code = fresh_code()
    reference, page = await holder(applicant, code)
    kept = await answers_of(reference)
    assert kept[REGISTER_CHECK]["outcome"] == "not_held"
    assert "name_after" not in kept and "address_after" not in kept
    assert input_value(page, "address_after") == ""
    await step(
        applicant,
        reference,
        "change",
        {"change_kind": "address", "name_before": "旧", "address_after": "北京市海淀区知春路1号"},
    )
    documents = await applicant.client.get(f"/my/matters/{reference}/steps/documents")
    assert 'name="holder_proof"' in documents.text
    assert f"The business register does not hold the code {code}" in documents.text
    review = (await applicant.client.get(f"/my/matters/{reference}/review")).text
    assert 'name="commitment"' in review and "Checked in the business register" not in review
    refused = await applicant.post_form(
        f"/my/matters/{reference}/send", {"idempotency_key": key_of(review)}
    )
    assert refused.status_code == 400 and 'href="#commitment"' in refused.text


async def test_a_deregistered_entity_is_said_so_and_not_used(applicant: Person) -> None:
    code = fresh_code()
    rows = [{**DEMO, "credit_code": code, "name": "已注销演示有限公司", "active": False}]
    assert (await register.write_rows(rows)).created == 1
    reference, page = await holder(applicant, code)
    kept = await answers_of(reference)
    assert kept[REGISTER_CHECK]["outcome"] == "inactive"
    assert "address_after" not in kept and DEMO["address"] not in page
    documents = html.unescape(
        (await applicant.client.get(f"/my/matters/{reference}/steps/documents")).text
    )
    assert 'name="holder_proof"' in documents
    assert f"lists 已注销演示有限公司 ({code}) as deregistered or revoked" in documents


async def test_an_individual_holder_is_asked_for_proof_as_before(applicant: Person) -> None:
    reference = await start(applicant)
    await step(applicant, reference, "record", {"record_number_other": PATENT})
    data = {"holder_kind": "individual", "identity_number": "11010519491231002X"}
    page = await step(applicant, reference, "holder", data)
    assert page.status_code == 200
    assert (await answers_of(reference)).get(REGISTER_CHECK) is None
    documents = await applicant.client.get(f"/my/matters/{reference}/steps/documents")
    assert 'name="holder_proof"' in documents.text and "business register" not in documents.text


async def test_a_code_typed_in_lower_case_with_spaces_still_matches(applicant: Person) -> None:
    code = DEMO["credit_code"]
    typed = f" {code[:6].lower()} {code[6:12].lower()} {code[12:].lower()} "
    reference, page = await holder(applicant, typed)
    kept = await answers_of(reference)
    assert kept["credit_code"] == code and kept[REGISTER_CHECK]["outcome"] == "matched"
    assert input_value(page, "address_after") == DEMO["address"]


async def test_a_name_the_person_typed_is_not_overwritten(applicant: Person) -> None:
    reference = await start(applicant)
    await step(applicant, reference, "record", {"record_number_other": PATENT})
    own = {
        "change_kind": "name_and_address",
        "name_before": NAME_BEFORE,
        "name_after": "我们自己写的新名称有限公司",
        "address_after": "我们自己写的地址 100083",
    }
    await step(applicant, reference, "change", own)
    enterprise = {"holder_kind": "enterprise", "credit_code": DEMO["credit_code"]}
    await step(applicant, reference, "holder", enterprise)
    kept = await answers_of(reference)
    assert kept[REGISTER_CHECK]["outcome"] == "matched"
    assert (kept["name_after"], kept["address_after"]) == (own["name_after"], own["address_after"])
    change = html.unescape(
        (await applicant.client.get(f"/my/matters/{reference}/steps/change")).text
    )
    assert input_value(change, "name_after") == own["name_after"]
    assert "From the business register" not in change


async def test_another_code_replaces_what_the_earlier_match_filled_in(applicant: Person) -> None:
    reference, _ = await holder(applicant, DEMO["credit_code"])
    await step(
        applicant,
        reference,
        "holder",
        {"holder_kind": "enterprise", "credit_code": OTHER_DEMO["credit_code"]},
    )
    kept = await answers_of(reference)
    assert kept["address_after"] == OTHER_DEMO["address"]
    await step(
        applicant, reference, "holder", {"holder_kind": "enterprise", "credit_code": fresh_code()}
    )
    kept = await answers_of(reference)
    assert kept["address_after"] is None and kept["name_after"] is None
    await step(
        applicant,
        reference,
        "holder",
        {"holder_kind": "individual", "identity_number": "11010519491231002X"},
    )
    assert (await answers_of(reference))[REGISTER_CHECK] is None


async def test_a_match_left_behind_by_a_change_to_an_individual_no_longer_counts(
    applicant: Person,
) -> None:
    reference, _ = await holder(applicant, DEMO["credit_code"])
    data = {"holder_kind": "individual", "identity_number": "11010519491231002X"}
    await step(applicant, reference, "holder", data)
    documents = await applicant.client.get(f"/my/matters/{reference}/steps/documents")
    assert 'name="holder_proof"' in documents.text


class Unreachable:
    """An adapter whose register is down (as a remote one may be)."""

    async def look_up(self, credit_code: str) -> RegisteredEntity | None:
        raise RegisterUnavailable(credit_code)


async def test_a_register_that_cannot_answer_leaves_the_licence_asked_for(
    applicant: Person,
) -> None:
    reference = await start(applicant)
    account = await Account.select(Account.id).where(Account.email == applicant.email).first()
    answers = {"holder_kind": "enterprise", "credit_code": DEMO["credit_code"]}
    saved = await service.save_answers(reference, account["id"], answers, register=Unreachable())
    assert saved.answers[REGISTER_CHECK]["outcome"] == "unavailable"
    assert "address_after" not in saved.answers
    documents = await applicant.client.get(f"/my/matters/{reference}/steps/documents")
    assert 'name="holder_proof"' in documents.text
    assert "could not be asked about the code" in documents.text


async def test_a_gi_producer_found_in_the_register_is_not_asked_for_its_licence(
    applicant: Person,
) -> None:
    if not await Outlet.exists().where(Outlet.type == "provincial_agency"):
        await Outlet(name="测试省局", type="provincial_agency", source="test").save()
    response = await applicant.post_form("/matters/gi-special-mark-application/new", {})
    reference = re.search(r"/my/matters/([A-Z0-9]+)/steps/", str(response.url)).group(1)
    producer = {
        "producer_name": DEMO["name"],
        "credit_code": DEMO["credit_code"],
        "production_address": DEMO["address"],
    }
    documents = await step(applicant, reference, "producer", producer)
    assert str(documents.url).endswith("/steps/documents")
    assert 'name="holder_proof"' not in documents.text
    assert 'name="origin_statement"' in documents.text
    assert (await answers_of(reference))[REGISTER_CHECK]["outcome"] == "matched"
