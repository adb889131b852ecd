"""Staff edit a guide in the console with a preview; each save is a new version."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.auth.tables import Account
from backend.guides.service import history, import_guides
from tests.guides.test_guides import guide_file, unique_slug
from tests.people import Person

pytestmark = pytest.mark.profiles


async def test_staff_preview_then_publish_a_new_version_and_the_old_one_is_kept(
    person: Person, tmp_path: Path
) -> None:
    slug = unique_slug("edit")
    guide_file(tmp_path / "guides", slug)
    await import_guides(tmp_path / "guides")
    await person.sign_up()
    assert (await person.client.get(f"/staff/guides/{slug}")).status_code == 403
    await Account.update({Account.role: "staff"}).where(Account.email == person.email)
    page = await person.client.get(f"/staff/guides/{slug}")
    assert page.status_code == 200 and "办理条件" in page.text
    text = "## 新的一节\n\n<script>alert(1)</script> 更新后的内容。"
    preview = await person.client.post(
        f"/staff/guides/{slug}/preview",
        data={
            "title": "新标题",
            "summary": "摘要",
            "markdown": text,
            "_csrf_token": await person.csrf(),
        },
        headers={"HX-Request": "true"},
    )
    assert '<h2 id="新的一节">' in preview.text and "<script>" not in preview.text
    assert "<html" not in preview.text
    saved = await person.post_form(
        f"/staff/guides/{slug}?locale=zh_Hans",
        {"title": "新标题", "summary": "摘要", "markdown": text},
    )
    assert saved.url.path == f"/guides/{slug}" and "新标题" in saved.text
    versions = await history(slug, "zh_Hans")
    assert [v.version for v in versions] == [2, 1]
    refused = await person.post_form(
        f"/staff/guides/{slug}?locale=zh_Hans", {"title": "", "summary": "", "markdown": ""}
    )
    assert refused.status_code == 400
    assert [v.version for v in await history(slug, "zh_Hans")] == [2, 1]
