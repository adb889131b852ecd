"""A certificate outlives its holder's account: /verify and the data interface answer as before,
its share links (the person's) go with the account, and the deletion page says so."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from backend.certificates import api_keys, service
from backend.certificates.tables import Certificate, ShareLink
from tests.certificates.holders import bound_record, issue
from tests.people import Person

pytestmark = pytest.mark.profiles


def verified_facts(html: str) -> str:
    """What /verify says of the certificate: the page's main part (the layout around it holds
    per-request bits such as the CSRF token)."""
    return re.search(r"<main\b.*?</main>", html, re.DOTALL).group(0)


async def test_a_certificate_verifies_as_before_after_its_holder_deletes_their_account(
    person: Person, tmp_path: Path, client: httpx.AsyncClient, app: Litestar
) -> None:
    await person.sign_up("王建国")
    certificate = await issue(person, (await bound_record(person, tmp_path)).number)
    made = await person.post_form(f"/my/certificates/{certificate.code}/share", {"days": "7"})
    token = re.search(r"/share/([A-Za-z0-9_-]+)", made.text).group(1)
    _, secret = await api_keys.create_key("测试银行")
    api = f"/api/v1/certificates/{certificate.code}"
    before = await client.get(f"/verify/{certificate.code}")
    api_before = await client.get(api, headers={"X-API-Key": secret})
    assert (await client.get(f"/share/{token}")).status_code == 200

    deleted = await person.post_form("/account/delete", {"confirm": "yes"})

    assert deleted.status_code == 200
    after = await client.get(f"/verify/{certificate.code}")
    assert after.status_code == before.status_code == 200
    assert verified_facts(after.text) == verified_facts(before.text)
    assert 'app-chip">' in after.text and certificate.holder_name in after.text
    assert (await client.get(api, headers={"X-API-Key": secret})).json() == api_before.json()
    assert (await client.get(f"/share/{token}")).status_code == 404
    kept = await Certificate.objects().where(Certificate.code == certificate.code).first()
    assert kept.holder is None and kept.sha256 == certificate.sha256
    assert service.pdf_file(kept, app.state.settings.var_path).is_file()
    assert not await ShareLink.exists().where(ShareLink.certificate == certificate.id)


async def test_the_export_lists_the_certificates_with_their_share_links(
    person: Person, tmp_path: Path
) -> None:
    await person.sign_up("王建国")
    certificate = await issue(person, (await bound_record(person, tmp_path)).number)
    await person.post_form(f"/my/certificates/{certificate.code}/share", {"days": "1"})

    exported = (await person.client.get("/account/export")).json()

    (mine,) = exported["certificates"]
    assert mine["code"] == certificate.code and mine["status"] == "valid"
    assert mine["revoked_at"] is None and mine["revoked_reason"] == ""
    assert len(mine["share_links"]) == 1


async def test_the_delete_page_says_issued_certificates_stay_verifiable(person: Person) -> None:
    await person.sign_up()

    english = await person.client.get("/account/delete", headers={"Accept-Language": "en"})
    chinese = await person.client.get("/account/delete", headers={"Accept-Language": "zh-CN"})

    assert "anyone given its code can still verify it here" in english.text
    assert "a shared link stops working" in english.text
    assert "no longer verifies" not in english.text
    assert "仍可" in chinese.text and "核验" in chinese.text
