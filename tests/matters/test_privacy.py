"""A person's matters in their data export, and their files gone with their account
(backend/matters/privacy.py, through core/domains.py's privacy parts)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from backend.auth.tables import Account
from backend.matters import files, service
from backend.matters.attachments import AttachmentNotFound, open_attachment, store_attachment
from backend.matters.tables import Matter
from tests.matters.test_filing import an_acceptance_window  # noqa: F401 (an autouse fixture)
from tests.people import Person

pytestmark = pytest.mark.profiles
KIND = "bibliographic-change"


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def a_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "blue").save(out, "JPEG")
    return out.getvalue()


async def test_the_export_holds_the_matters_and_deletion_removes_their_files(
    person: Person, settings
) -> None:
    await person.sign_up()
    account = await Account.objects().where(Account.email == person.email).first()
    draft = await service.start_matter(account.id, KIND)
    await service.save_answers(draft.reference, account.id, {"address_after": "北京市海淀区"})
    root = Path(settings.var_path) / "attachments"
    stored = await store_attachment(one_chunk(a_photo()), root=root, filename="licence.jpg")
    await files.attach(draft.reference, account.id, "business_licence", stored)

    exported = (await person.client.get("/account/export")).json()
    (matter,) = exported["matters"]
    assert matter["reference"] == draft.reference and matter["status"] == "draft"
    assert matter["answers"] == {"address_after": "北京市海淀区"}
    assert [a["display_name"] for a in matter["attachments"]] == ["licence.jpg"]
    assert "bound_records" in exported and "notifications" in exported
    assert exported["certificates"] == []

    await person.post_form("/account/delete", {"confirm": "yes"})
    assert not await Matter.exists().where(Matter.reference == draft.reference)
    with pytest.raises(AttachmentNotFound):
        open_attachment(stored.token, root=root)
