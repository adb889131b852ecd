"""Records over HTTP: look-up, search, the API, "My IP", binding, import, notifications."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path

import httpx
import pytest

from backend.auth.tables import Account
from backend.inquiries.importer import import_file
from backend.inquiries.numbers import check_character
from backend.inquiries.reminders import send_deadline_reminders
from backend.inquiries.tables import Record, RecordBinding, StatusEvent
from backend.notifications.tables import InboxEntry
from tests.people import Person

pytestmark = pytest.mark.profiles
TODAY = dt.date(2026, 11, 25)


def new_patent_number(year: int = 2019, type_digit: str = "1") -> str:
    digits = f"{year}{type_digit}{secrets.randbelow(10**7):07d}"
    return f"{digits}.{check_character(digits)}"


def record_line(number: str, **overrides) -> dict:
    line = {
        "number": number,
        "kind": "invention",
        "title": "一种智能灌溉控制装置",
        "filing_date": "2019-03-10",
        "applicants": "西安秦川科技有限公司; 王建国",
        "stage": "in_force",
        "official_status": "专利权维持",
        "granted_on": "2021-05-01",
        "fees_paid_year": 7,
        "binding_code": "K7Q2M9XA",
        "events": [
            {"date": "2019-03-10", "stage": "received", "official_status": "新案审查"},
            {
                "date": "2021-05-01",
                "stage": "in_force",
                "official_status": "专利权维持",
                "document": "授予专利权通知书",
            },
        ],
    }
    return {**line, **overrides}


def write_lines(path: Path, lines: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    return path


def unique_name() -> str:
    """Three random CJK characters: a title or applicant no other test has."""
    return "".join(chr(0x4E00 + secrets.randbelow(0x5000)) for _ in range(3))


@pytest.fixture
async def patent(tmp_path: Path, client: httpx.AsyncClient) -> Record:
    number = new_patent_number()
    line = record_line(
        number, title=f"一种{unique_name()}灌溉控制装置", applicants=f"{unique_name()}科技有限公司"
    )
    result = await import_file(write_lines(tmp_path / "one.jsonl", [line]))
    assert result.created == 1, result.problems
    return await Record.objects().where(Record.number == number).first()


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() or c == "." else c for c in text)


async def test_a_number_typed_with_full_width_digits_finds_the_record_and_its_timeline(
    client: httpx.AsyncClient, patent: Record
) -> None:
    typed = "ZL " + full_width(patent.number)
    results = await client.get("/records", params={"q": typed})
    assert f"/records/{patent.number}" in results.text
    page = await client.get(f"/records/{patent.number}")
    assert page.status_code == 200
    assert "授予专利权通知书" in page.text and "新案审查" in page.text


async def test_an_invalid_number_says_which_check_character_it_should_have(
    client: httpx.AsyncClient, patent: Record
) -> None:
    digits, check = patent.number.split(".")
    wrong = "0" if check != "0" else "1"
    client.cookies.set("iph_locale", "en")
    response = await client.get("/records", params={"q": f"{digits}.{wrong}"})
    assert f"the check character should be {check}" in response.text


async def test_a_valid_number_we_do_not_hold_is_told_apart_from_an_invalid_one(
    client: httpx.AsyncClient,
) -> None:
    client.cookies.set("iph_locale", "en")
    number = new_patent_number(2024)
    response = await client.get("/records", params={"q": number})
    assert f"{number} is a valid number, but we hold no record of it" in response.text
    assert (await client.get(f"/records/{number}")).status_code == 404


async def test_search_finds_records_by_title_and_by_applicant_in_chinese(
    client: httpx.AsyncClient, patent: Record
) -> None:
    title_part = patent.title[1:6]  # e.g. "某某某灌溉"
    applicant_part = patent.applicants[:5]
    by_title = await client.get("/records", params={"q": title_part})
    by_applicant = await client.get("/records", params={"q": applicant_part})
    assert patent.number in by_title.text and patent.number in by_applicant.text


async def test_the_api_gives_public_fields_and_timeline_but_no_binding_code(
    client: httpx.AsyncClient, patent: Record
) -> None:
    response = await client.get(f"/api/v1/records/CN{patent.number}")
    data = response.json()
    assert data["number"] == patent.number
    assert [event["official_status"] for event in data["timeline"]] == ["新案审查", "专利权维持"]
    assert "binding" not in response.text and "K7Q2M9XA" not in response.text
    assert (await client.get("/api/v1/records/201710601862.4")).status_code == 400
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/records/{number}" in schema["paths"]


async def test_binding_with_the_right_code_puts_the_record_in_my_ip(
    person: Person, patent: Record
) -> None:
    await person.sign_up()
    response = await person.post_form(
        "/my/records/bind", {"number": patent.number, "code": "k7q2m9xa"}
    )
    assert response.url.path == f"/my/records/{patent.number}"
    listing = await person.client.get("/my/records")
    assert patent.number in listing.text


async def test_binding_with_a_wrong_code_fails_and_is_rate_limited(
    person: Person, patent: Record
) -> None:
    await person.sign_up()
    statuses = [
        (
            await person.post_form("/my/records/bind", {"number": patent.number, "code": "WRONG"})
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429
    account = await Account.objects().where(Account.email == person.email).first()
    assert not await RecordBinding.exists().where(RecordBinding.account == account.id)


async def test_another_persons_record_inbox_and_details_are_not_found(
    person: Person, patent: Record, app, mailbox
) -> None:
    await person.sign_up()
    await person.post_form("/my/records/bind", {"number": patent.number, "code": "K7Q2M9XA"})
    from tests.conftest import serve

    async with serve(app) as other_browser:
        other = Person(other_browser, mailbox)
        await other.sign_up()
        mine = await other.client.get(f"/my/records/{patent.number}")
        listing = await other.client.get("/my/records")
        inbox = await other.client.get("/my/inbox")
    assert mine.status_code == 404
    assert patent.number not in listing.text and patent.number not in inbox.text


async def test_import_reports_malformed_rows_by_line_and_writes_nothing(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    good, bad_check = new_patent_number(), new_patent_number()
    digits, check = bad_check.split(".")
    lines = [
        record_line(good),
        record_line(f"{digits}.{'0' if check != '0' else '1'}"),
        record_line(new_patent_number(), stage="tm_registered"),
        record_line(new_patent_number(), filing_date="not a date"),
    ]
    result = await import_file(write_lines(tmp_path / "bad.jsonl", lines))
    assert [problem.line for problem in result.problems] == [2, 3, 4]
    assert "check-digit" in result.problems[0].message
    assert not await Record.exists().where(Record.number == good)


async def test_importing_the_same_file_again_changes_nothing(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    lines = [record_line(new_patent_number()) for _ in range(3)]
    path = write_lines(tmp_path / "three.jsonl", lines)
    assert (await import_file(path)).created == 3
    before = await Record.select(Record.number, Record.updated_at).where(
        Record.number.is_in([line["number"] for line in lines])
    )
    again = await import_file(path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    after = await Record.select(Record.number, Record.updated_at).where(
        Record.number.is_in([line["number"] for line in lines])
    )
    assert sorted(map(str, before)) == sorted(map(str, after))
    lines[0]["official_status"] = "等年费滞纳金"
    changed = await import_file(write_lines(tmp_path / "changed.jsonl", lines))
    assert (changed.updated, changed.unchanged) == (1, 2)


async def test_a_status_change_by_staff_notifies_every_bound_account_once(
    person: Person, patent: Record, app, mailbox
) -> None:
    from tests.conftest import serve

    holders = []
    async with serve(app) as second_browser:
        for browser in (person.client, second_browser):
            holder = Person(browser, mailbox)
            await holder.sign_up()
            await holder.post_form(
                "/my/records/bind", {"number": patent.number, "code": "K7Q2M9XA"}
            )
            holders.append(holder)
        staff = Person(second_browser, mailbox)
        await staff.sign_up()
        await Account.update({Account.role: "staff"}).where(Account.email == staff.email)
        response = await staff.post_form(
            f"/staff/records/{patent.number}/status",
            {"stage": "lapsed_restorable", "official_status": "未缴年费专利权终止,等恢复"},
        )
        assert response.status_code == 200
    assert await StatusEvent.count().where(StatusEvent.record == patent.id) == 3
    for holder in holders:
        account = await Account.objects().where(Account.email == holder.email).first()
        entries = await InboxEntry.objects().where(
            (InboxEntry.account == account.id) & (InboxEntry.kind == "status")
        )
        assert len(entries) == 1 and patent.number in entries[0].title


async def test_an_applicant_cannot_change_a_records_status(person: Person, patent: Record) -> None:
    await person.sign_up()
    response = await person.post_form(
        f"/staff/records/{patent.number}/status", {"stage": "ended", "official_status": "x"}
    )
    assert response.status_code == 403
    assert (await Record.objects().where(Record.id == patent.id).first()).stage == "in_force"


async def test_a_deadline_reminder_run_twice_on_one_day_sends_once(
    person: Person, tmp_path: Path, app
) -> None:
    await person.sign_up()
    number = new_patent_number()
    # Filed 2019-12-10: the year-8 fee falls due 2026-12-10, 15 days after TODAY.
    line = record_line(number, filing_date="2019-12-10", fees_paid_year=7)
    await import_file(write_lines(tmp_path / "due.jsonl", [line]))
    await person.post_form("/my/records/bind", {"number": number, "code": "K7Q2M9XA"})
    notifier = app.state.notify
    first = await send_deadline_reminders(TODAY, notifier)
    second = await send_deadline_reminders(TODAY, notifier)
    assert first >= 1 and second == 0
    account = await Account.objects().where(Account.email == person.email).first()
    entries = await InboxEntry.objects().where(
        (InboxEntry.account == account.id) & (InboxEntry.kind == "deadline")
    )
    assert len(entries) == 1 and "15" in entries[0].title
    badge = await person.client.get("/my/inbox/badge")
    assert "1" in badge.text


async def test_without_a_code_a_binding_waits_for_staff_approval(
    person: Person, patent: Record, app, mailbox
) -> None:
    from tests.conftest import serve

    await person.sign_up()
    await person.post_form("/my/records/request", {"number": patent.number})
    assert (await person.client.get(f"/my/records/{patent.number}")).status_code == 404
    async with serve(app) as staff_browser:
        staff = Person(staff_browser, mailbox)
        await staff.sign_up()
        await Account.update({Account.role: "staff"}).where(Account.email == staff.email)
        console = await staff.client.get("/staff")
        assert person.email in console.text
        binding = (
            await RecordBinding.objects()
            .where((RecordBinding.record == patent.id) & (RecordBinding.status == "pending"))
            .first()
        )
        await staff.post_form(f"/staff/bindings/{binding.id}", {"decision": "approve"})
    assert (await person.client.get(f"/my/records/{patent.number}")).status_code == 200


async def test_the_inbox_badge_of_a_signed_out_page_is_empty_not_a_sign_in_page(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/my/inbox/badge", follow_redirects=False)
    assert response.status_code == 200 and response.text.strip() == ""


async def test_a_record_without_timeline_events_still_has_its_public_page_and_api(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    number = new_patent_number()
    line = record_line(number, title=f"一种{unique_name()}装置", events=[])
    assert (await import_file(write_lines(tmp_path / "bare.jsonl", [line]))).created == 1
    page = await client.get(f"/records/{number}")
    api = await client.get(f"/api/v1/records/{number}")
    assert page.status_code == 200 and line["title"] in page.text
    assert api.json()["timeline"] == [] and api.json()["title"] == line["title"]


def new_trademark_number() -> str:
    return f"{secrets.randbelow(10**8):08d}"


def registered_mark_line(number: str, name: str, mark_image: str) -> dict:
    """An import row of a registered trademark shown by an image beside the import file."""
    return record_line(
        number,
        kind="trademark",
        title=name,
        stage="tm_registered",
        official_status="注册",
        nice_classes="30",
        granted_on=None,
        fees_paid_year=0,
        events=[],
        mark_image=mark_image,
    )


async def test_an_imported_mark_image_is_kept_by_content_and_shown_on_the_record_page(
    client: httpx.AsyncClient, tmp_path: Path, settings
) -> None:
    from backend.inquiries.marks import word_mark_svg

    number, name = new_trademark_number(), unique_name()
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "mark.svg").write_bytes(word_mark_svg(name))
    line = registered_mark_line(number, name, mark_image="images/mark.svg")
    file = write_lines(tmp_path / "marks.jsonl", [line])
    marks_dir = settings.var_path / "marks"
    assert (await import_file(file, marks_dir=marks_dir)).created == 1
    again = await import_file(file, marks_dir=marks_dir)
    page = await client.get(f"/records/{number}")
    address = (await client.get(f"/api/v1/records/{number}")).json()["mark_image"]
    image = await client.get(address)
    assert again.unchanged == 1
    assert address.startswith("/marks/") and f'src="{address}"' in page.text
    assert f"商标图样：{name}" in page.text
    assert image.status_code == 200 and name.encode() in image.content
    assert image.headers["content-type"].startswith("image/svg+xml")


async def test_a_mark_image_opened_on_its_own_can_run_nothing(
    client: httpx.AsyncClient, tmp_path: Path, settings
) -> None:
    """An SVG from an import, opened by its address, is a document of our origin: sandboxed."""
    number = new_trademark_number()
    (tmp_path / "mark.svg").write_bytes(
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
    )
    line = registered_mark_line(number, unique_name(), mark_image="mark.svg")
    await import_file(
        write_lines(tmp_path / "marks.jsonl", [line]), marks_dir=settings.var_path / "marks"
    )
    address = (await client.get(f"/api/v1/records/{number}")).json()["mark_image"]
    image = await client.get(address)
    page = await client.get(f"/records/{number}")
    policy = image.headers["content-security-policy"]
    assert image.status_code == 200
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("image", "problem"),
    [("missing.png", "no such file"), ("notes.txt", "use one of"), ("big.png", "larger than")],
)
async def test_a_bad_mark_image_is_reported_on_its_line_and_nothing_is_imported(
    tmp_path: Path, settings, image: str, problem: str
) -> None:
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "big.png").write_bytes(b"\x89PNG" + b"0" * 600_000)
    good, bad = new_patent_number(), new_trademark_number()
    lines = [
        record_line(good),
        record_line(bad, kind="trademark", stage="tm_filed", mark_image=image, events=[]),
    ]
    result = await import_file(
        write_lines(tmp_path / "bad.jsonl", lines), marks_dir=settings.var_path / "marks"
    )
    assert [p.line for p in result.problems] == [2] and problem in result.problems[0].message
    assert not await Record.exists().where(Record.number.is_in([good, bad]))
