"""The office revokes an e-certificate (/staff/certificates): supervisors only, with a reason
that /verify shows; audited; the holder told in their language; twice is harmless."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from backend.auth.tables import Account, AuditEvent
from backend.certificates.schemas import BEIJING
from backend.certificates.tables import Certificate
from backend.core import i18n
from backend.notifications.tables import InboxEntry
from tests.certificates.holders import bound_record, issue
from tests.conftest import Mailbox, serve
from tests.people import Person

pytestmark = pytest.mark.profiles

REASON = "该专利权已被宣告全部无效 <b>(2026)</b>"
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


class Office:
    holder: Person
    supervisor: Person
    staff: Person
    certificate: Certificate

    async def revoke(self, reason: str, person: Person | None = None, **headers: str):
        person = person or self.supervisor
        url = f"/staff/certificates/{self.certificate.code}/revoke"
        return await person.client.post(
            url,
            data={"reason": reason, "_csrf_token": await person.csrf()},
            headers=headers,
            follow_redirects=True,
        )

    async def current(self) -> Certificate:
        return await Certificate.objects().where(Certificate.id == self.certificate.id).first()


@pytest.fixture
async def office(app: Litestar, mailbox: Mailbox, tmp_path: Path) -> AsyncIterator[Office]:
    desk = Office()
    async with AsyncExitStack() as stack:
        for name, role in (
            ("holder", "applicant"),
            ("supervisor", "supervisor"),
            ("staff", "staff"),
        ):
            person = Person(await stack.enter_async_context(serve(app)), mailbox)
            await person.sign_up("王建国")
            await Account.update({Account.role: role}).where(Account.email == person.email)
            person.client.cookies.set("iph_locale", "en")
            setattr(desk, name, person)
        await Account.update({Account.chosen_locale: "zh_Hant"}).where(
            Account.email == desk.holder.email
        )
        desk.certificate = await issue(
            desk.holder, (await bound_record(desk.holder, tmp_path)).number
        )
        yield desk


@pytest.fixture
def client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    client.cookies.set("iph_locale", "en")
    return client


async def holder_id(office: Office) -> int:
    row = await Account.select(Account.id).where(Account.email == office.holder.email).first()
    return row["id"]


async def inbox_of(office: Office) -> list[InboxEntry]:
    return await InboxEntry.objects().where(InboxEntry.account == await holder_id(office))


async def revocations(code: str) -> list[AuditEvent]:
    return await AuditEvent.objects().where(
        (AuditEvent.event == "certificate-revoked") & (AuditEvent.target == code)
    )


async def test_a_supervisor_finds_a_certificate_by_its_code_or_its_records_number(
    office: Office,
) -> None:
    code, number = office.certificate.code, office.certificate.number

    by_code = await office.supervisor.client.get(
        "/staff/certificates", params={"q": code.lower().replace("-", " ")}
    )
    by_number = await office.supervisor.client.get("/staff/certificates", params={"q": number})
    unknown = await office.supervisor.client.get(
        "/staff/certificates", params={"q": "ABCD-EFGH-JKLM-NPQR"}
    )
    nonsense = await office.supervisor.client.get("/staff/certificates", params={"q": "nonsense"})
    console = await office.supervisor.client.get("/staff")

    for found in (by_code, by_number):
        assert found.status_code == 200
        assert f'action="/staff/certificates/{code}/revoke"' in found.text
    assert unknown.status_code == 200 and "/revoke" not in unknown.text
    assert "No e-certificate has this code, and none was issued" in unknown.text
    assert nonsense.status_code == 400 and 'href="#q"' in nonsense.text
    assert "Type a certificate&#39;s code" in nonsense.text
    assert 'href="/staff/certificates"' in console.text


async def test_a_supervisor_revokes_with_a_reason_that_verify_shows_and_the_holder_is_told(
    office: Office, client: httpx.AsyncClient
) -> None:
    code = office.certificate.code

    response = await office.revoke(REASON)

    assert response.status_code == 200
    assert response.history[0].headers["location"].startswith("/staff/certificates?q=")
    assert f"E-certificate {code} is revoked" in response.text
    revoked = await office.current()
    assert revoked.status == "revoked" and revoked.revoked_reason == REASON.strip()
    verify = await client.get(f"/verify/{code}")
    assert verify.status_code == 200 and "app-chip--action" in verify.text
    with i18n.using_locale("en"):
        day = i18n.format_date(revoked.revoked_at.astimezone(BEIJING).date())
    assert f"Revoked on {day}: 该专利权已被宣告全部无效 &lt;b&gt;(2026)&lt;/b&gt;" in verify.text
    assert "<b>(2026)</b>" not in verify.text
    chinese = await client.get(f"/verify/{code}", cookies={"iph_locale": "zh_Hans"})
    assert "该专利权已被宣告全部无效" in chinese.text and "Revoked on" not in chinese.text

    (told,) = await inbox_of(office)
    with i18n.using_locale("zh_Hant"):
        title = i18n.gettext("Your e-certificate %(code)s was revoked") % {"code": code}
    assert title != f"Your e-certificate {code} was revoked", "translated into zh_Hant"
    assert told.title == title and REASON.strip() in told.body
    assert told.link == f"/my/certificates#certificate-{code}"
    (audited,) = await revocations(code)
    assert audited.actor_role == "supervisor" and audited.outcome == "success"
    mine = await office.holder.client.get("/my/certificates")
    assert "该专利权已被宣告全部无效" in mine.text


async def test_revoking_twice_keeps_the_first_reason_and_tells_the_holder_once(
    office: Office,
) -> None:
    await office.revoke(REASON)
    first = await office.current()

    again = await office.revoke("另一个理由")

    assert again.status_code == 200
    second = await office.current()
    assert (second.revoked_at, second.revoked_reason) == (first.revoked_at, first.revoked_reason)
    assert len(await inbox_of(office)) == 1
    assert len(await revocations(office.certificate.code)) == 1


async def test_revoking_without_a_reason_is_refused_with_a_clear_message_and_changes_nothing(
    office: Office,
) -> None:
    code = office.certificate.code

    blank = await office.revoke("   \n ")
    fragment = await office.revoke("", **HTMX)
    too_long = await office.revoke("理" * 501)

    assert blank.status_code == fragment.status_code == too_long.status_code == 400
    message = "Give the reason for revoking: everyone who verifies the certificate reads it."
    assert message in blank.text and f'href="#reason-{code}"' in blank.text
    assert 'aria-invalid="true"' in blank.text and "<html" in blank.text
    assert message in fragment.text and "<html" not in fragment.text
    assert "Keep the reason to 500 characters or fewer." in too_long.text
    assert "理" * 501 in too_long.text, "the input is kept"
    unchanged = await office.current()
    assert unchanged.status == "valid" and unchanged.revoked_at is None
    assert await inbox_of(office) == [] and await revocations(code) == []


async def test_staff_applicants_and_visitors_cannot_reach_the_page_or_revoke(
    office: Office, client: httpx.AsyncClient
) -> None:
    url = f"/staff/certificates/{office.certificate.code}/revoke"

    for person in (office.staff, office.holder):
        page = await person.client.get("/staff/certificates", params={"q": office.certificate.code})
        posted = await office.revoke(REASON, person)
        assert (page.status_code, posted.status_code) == (403, 403)
    signed_out = await client.get("/staff/certificates", follow_redirects=False)
    posted_signed_out = await client.post(url, data={"reason": REASON}, follow_redirects=False)
    console = await office.staff.client.get("/staff")

    assert signed_out.status_code in {302, 303} and "/signin" in signed_out.headers["location"]
    assert posted_signed_out.status_code in {303, 403}
    assert 'href="/staff/certificates"' not in console.text
    assert (await office.current()).status == "valid"


async def test_a_post_without_the_csrf_token_is_refused(office: Office) -> None:
    url = f"/staff/certificates/{office.certificate.code}/revoke"
    await office.supervisor.csrf()

    response = await office.supervisor.client.post(url, data={"reason": REASON})

    assert response.status_code == 403
    assert (await office.current()).status == "valid"


async def test_htmx_gets_the_region_alone_from_the_same_addresses(office: Office) -> None:
    code = office.certificate.code

    found = await office.supervisor.client.get(
        "/staff/certificates", params={"q": code}, headers=HTMX
    )
    revoked = await office.revoke(REASON, **HTMX)

    assert found.status_code == 200 and "<html" not in found.text
    assert f'hx-post="/staff/certificates/{code}/revoke"' in found.text
    assert "HX-Request" in found.headers["vary"]
    assert revoked.status_code == 200 and "<html" not in revoked.text
    assert f"E-certificate {code} is revoked" in revoked.text
    assert (await office.current()).status == "revoked"


async def test_an_unknown_code_is_not_found(office: Office) -> None:
    url = "/staff/certificates/ABCD-EFGH-JKLM-NPQR/revoke"

    response = await office.supervisor.post_form(url, {"reason": REASON})

    assert response.status_code == 404


async def test_a_certificate_whose_holder_left_is_revoked_and_nobody_is_told(
    office: Office, client: httpx.AsyncClient
) -> None:
    await office.holder.post_form("/account/delete", {"confirm": "yes"})
    page = await office.supervisor.client.get(
        "/staff/certificates", params={"q": office.certificate.code}
    )

    response = await office.revoke(REASON)

    assert "The holder deleted their account" in page.text
    assert response.status_code == 200
    assert (await office.current()).status == "revoked"
    verify = await client.get(f"/verify/{office.certificate.code}")
    assert re.search(r"Revoked on [^<]+: 该专利权", verify.text)
    assert len(await revocations(office.certificate.code)) == 1
