"""E-certificate pages: issuing, the PDF for its holder only, /verify, share links."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from backend.certificates import service
from backend.certificates.routes import MAX_UPLOAD_BYTES
from backend.certificates.signing import office_key, validate
from backend.certificates.tables import Certificate, ShareLink
from tests.certificates.holders import bound_record, issue
from tests.conftest import Mailbox, serve
from tests.people import Person

pytestmark = pytest.mark.profiles


@pytest.fixture
async def holder(person: Person) -> Person:
    await person.sign_up("王建国")
    person.client.cookies.set("iph_locale", "en")
    return person


@pytest.fixture
def client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A visitor who reads English: the tests read the pages' words."""
    client.cookies.set("iph_locale", "en")
    return client


@pytest.fixture
async def someone_else(app: Litestar, mailbox: Mailbox):
    async with serve(app) as browser:
        other = Person(browser, mailbox)
        await other.sign_up("李四")
        yield other


def sha256_on_page(html: str) -> str:
    return re.search(r"<code>([0-9a-f]{64})</code>", html).group(1)


async def test_the_holder_of_a_bound_granted_record_is_issued_a_signed_certificate(
    holder: Person, tmp_path: Path, client: httpx.AsyncClient, app: Litestar
) -> None:
    record = await bound_record(holder, tmp_path)

    page = await holder.client.get("/my/certificates")
    assert record.number in page.text and "/my/certificates/issue" in page.text
    certificate = await issue(holder, record.number)

    assert certificate.status == "valid" and certificate.number == record.number
    assert certificate.holder_name == record.applicants
    pdf = (await holder.client.get(f"/my/certificates/{certificate.code}/pdf")).content
    verify = await client.get(f"/verify/{certificate.code}")
    assert verify.status_code == 200
    assert sha256_on_page(verify.text) == hashlib.sha256(pdf).hexdigest() == certificate.sha256
    check = await asyncio.to_thread(validate, pdf, office_key(app.state.settings))
    assert check.status == "intact"
    for fact in (record.number, record.title, "西安秦川科技有限公司", certificate.code):
        assert fact in verify.text


async def test_the_pdf_is_served_privately_and_not_from_a_guessable_path(
    holder: Person, tmp_path: Path, app: Litestar
) -> None:
    certificate = await issue(holder, (await bound_record(holder, tmp_path)).number)

    response = await holder.client.get(f"/my/certificates/{certificate.code}/pdf")

    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert certificate.code not in certificate.pdf_path
    assert service.pdf_file(certificate, app.state.settings.var_path).is_file()


async def test_a_record_not_granted_gets_no_certificate(holder: Person, tmp_path: Path) -> None:
    record = await bound_record(holder, tmp_path, stage="substantive_examination", granted_on=None)

    page = await holder.client.get("/my/certificates")
    response = await holder.post_form("/my/certificates/issue", {"number": record.number})

    assert "Not granted" in page.text
    assert response.status_code == 400
    assert not await Certificate.exists().where(Certificate.record == record.id)


async def test_a_record_bound_to_someone_else_cannot_be_issued(
    holder: Person, someone_else: Person, tmp_path: Path
) -> None:
    record = await bound_record(holder, tmp_path)

    response = await someone_else.post_form("/my/certificates/issue", {"number": record.number})

    assert response.status_code == 404
    assert not await Certificate.exists().where(Certificate.record == record.id)


async def test_someone_elses_pdf_and_share_links_are_not_found(
    holder: Person, someone_else: Person, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    certificate = await issue(holder, (await bound_record(holder, tmp_path)).number)
    await holder.post_form(f"/my/certificates/{certificate.code}/share", {"days": "7"})
    link = await ShareLink.objects().where(ShareLink.certificate == certificate.id).first()

    pdf = await someone_else.client.get(f"/my/certificates/{certificate.code}/pdf")
    share_url = f"/my/certificates/{certificate.code}/share"
    share = await someone_else.post_form(share_url, {"days": "7"})
    withdraw = await someone_else.post_form(f"/my/certificates/shares/{link.id}/withdraw", {})
    signed_out = await client.get(f"/my/certificates/{certificate.code}/pdf")

    assert (pdf.status_code, share.status_code, withdraw.status_code) == (404, 404, 404)
    assert signed_out.status_code in {302, 303} and "/signin" in signed_out.headers["location"]
    assert (await ShareLink.objects().where(ShareLink.id == link.id).first()).withdrawn_at is None
    assert await ShareLink.count().where(ShareLink.certificate == certificate.id) == 1


async def test_verify_a_valid_a_revoked_and_an_unknown_code(
    holder: Person, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    certificate = await issue(holder, (await bound_record(holder, tmp_path)).number)

    valid = await client.get(f"/verify/{certificate.code.lower().replace('-', ' ')}")
    await service.revoke(certificate.code, "宣告无效", dt.datetime.now(dt.UTC))
    revoked = await client.get(f"/verify/{certificate.code}")
    unknown = await client.get("/verify/ABCD-EFGH-JKLM-NPQR")
    garbage = await client.get("/verify/ABC")

    assert valid.status_code == 200 and 'app-chip">' in valid.text
    assert revoked.status_code == 200 and "app-chip--action" in revoked.text
    assert unknown.status_code == 404 and garbage.status_code == 404
    assert "ABCD-EFGH-JKLM-NPQR" in unknown.text
    assert "No e-certificate has this code" in unknown.text


async def test_issuing_again_supersedes_and_the_old_page_points_to_the_new(
    holder: Person, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    number = (await bound_record(holder, tmp_path)).number
    first = await issue(holder, number)
    second = await issue(holder, number)
    third = await issue(holder, number)

    old = await client.get(f"/verify/{first.code}")

    assert f'href="/verify/{third.code}"' in old.text and "app-chip--ended" in old.text
    statuses = {
        c.code: (c.status, c.superseded_by)
        for c in await Certificate.objects().where(Certificate.number == number)
    }
    assert statuses == {
        first.code: ("superseded", third.code),
        second.code: ("superseded", third.code),
        third.code: ("valid", ""),
    }


async def test_the_verify_page_checks_an_uploaded_pdf_against_the_hash_as_issued(
    holder: Person, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    first = await issue(holder, (await bound_record(holder, tmp_path)).number)
    other = await issue(holder, (await bound_record(holder, tmp_path)).number)
    pdf = (await holder.client.get(f"/my/certificates/{first.code}/pdf")).content
    other_pdf = (await holder.client.get(f"/my/certificates/{other.code}/pdf")).content
    changed = bytearray(pdf)
    changed[len(changed) // 3] ^= 0x01

    def check(body: bytes, code: str = first.code):
        files = {"pdf": ("certificate.pdf", body, "application/pdf")}
        return client.post(f"/verify/{code}/check", files=files)

    answers = [await check(pdf), await check(other_pdf), await check(bytes(changed))]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "is the PDF as the office issued it" in answers[0].text
    assert hashlib.sha256(pdf).hexdigest() in answers[0].text
    assert "not this certificate" in answers[1].text
    assert "do not rely on it" in answers[2].text


async def test_an_upload_over_5_mb_is_refused_before_it_is_read(
    holder: Person, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    certificate = await issue(holder, (await bound_record(holder, tmp_path)).number)
    url = f"/verify/{certificate.code}/check"
    read: list[int] = []

    async def body():
        for _ in range(8):
            read.append(1)
            yield b"x" * (1024 * 1024)

    declared = await client.post(
        url,
        content=b"",
        headers={"content-type": "multipart/form-data; boundary=b", "content-length": "9999999"},
    )
    streamed = await client.post(
        url, content=body(), headers={"content-type": "multipart/form-data; boundary=b"}
    )
    files = {"pdf": ("big.pdf", b"%PDF" + b"0" * MAX_UPLOAD_BYTES, "application/pdf")}
    just_over = await client.post(url, files=files)

    assert declared.status_code == streamed.status_code == just_over.status_code == 413
    assert len(read) <= 7  # stopped at the chunk that passed the limit
    assert 'id="pdf-error"' in just_over.text


async def test_a_share_link_shows_the_verify_page_until_withdrawn(
    holder: Person, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    certificate = await issue(holder, (await bound_record(holder, tmp_path)).number)

    made = await holder.post_form(f"/my/certificates/{certificate.code}/share", {"days": "1"})
    token = re.search(r"/share/([A-Za-z0-9_-]+)", made.text).group(1)
    shown = await client.get(f"/share/{token}")
    link = await ShareLink.objects().where(ShareLink.certificate == certificate.id).first()
    withdrawn = await holder.post_form(f"/my/certificates/shares/{link.id}/withdraw", {})
    after = await client.get(f"/share/{token}")

    assert made.status_code == 200 and shown.status_code == 200
    assert certificate.code in shown.text and sha256_on_page(shown.text) == certificate.sha256
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()  # the token is not kept
    assert token not in (await holder.client.get("/my/certificates")).text
    assert withdrawn.status_code == 200
    assert after.status_code == 410 and certificate.code not in after.text
    assert (await client.get("/share/not-a-token")).status_code == 404


async def test_an_expired_share_link_says_so(
    holder: Person, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    certificate = await issue(holder, (await bound_record(holder, tmp_path)).number)
    made = await holder.post_form(f"/my/certificates/{certificate.code}/share", {"days": "30"})
    token = re.search(r"/share/([A-Za-z0-9_-]+)", made.text).group(1)
    await ShareLink.update(
        {ShareLink.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)}
    ).where(ShareLink.certificate == certificate.id)

    response = await client.get(f"/share/{token}")

    assert response.status_code == 410
    assert certificate.code not in response.text


async def test_a_share_period_not_offered_is_refused(holder: Person, tmp_path: Path) -> None:
    certificate = await issue(holder, (await bound_record(holder, tmp_path)).number)

    url = f"/my/certificates/{certificate.code}/share"
    response = await holder.post_form(url, {"days": "365"})

    assert response.status_code == 400
    assert not await ShareLink.exists().where(ShareLink.certificate == certificate.id)


async def test_the_code_lookup_sends_a_typed_code_to_its_page(client: httpx.AsyncClient) -> None:
    empty = await client.get("/verify")
    typed = await client.get("/verify?code=abcd efgh jklm npqr", follow_redirects=False)

    assert empty.status_code == 200
    assert typed.headers["location"] == "/verify/ABCD-EFGH-JKLM-NPQR"


async def test_someone_with_no_records_sees_an_empty_page(holder: Person) -> None:
    response = await holder.client.get("/my/certificates")

    assert response.status_code == 200
    assert "You have not added any records yet." in response.text
