"""The supervisor's figures over HTTP (/supervisor): every number in the table, the trend's text
table and the CSV equals a count made here over the seeded reviews (unrated events, an upheld
and a dismissed appeal, answers in time and late); a rate of nothing is "—"; the CSV is the
table, in UTF-8 with a BOM, its formula-like cells neutralised; staff and applicants see none of
it (both profiles)."""

from __future__ import annotations

import csv
import io

import pytest

from backend.reviews.figures_csv import neutralised
from tests.matters.test_staff_queue import Office
from tests.reviews.scenario import FRACTIONS, Seeded, events_where, expected_cells
from tests.reviews.seeded import FigureCells, seeded_office  # noqa: F401 - fixture `seeded`

pytestmark = pytest.mark.profiles


async def figures_page(office: Office, query: str) -> FigureCells:
    page = await office.supervisor.client.get(f"/supervisor?{query}")
    assert page.status_code == 200, page.text
    return FigureCells(page.text)


async def test_the_table_by_outlet_is_the_count_of_what_happened(
    office: Office, seeded: Seeded
) -> None:
    cells = await figures_page(office, "by=outlet")
    table = cells.tables["figures-table"]

    for key in ("a", "b"):
        assert table[str(seeded.outlets[key])] == expected_cells(events_where(outlet=key))
    assert set(table["total"]) == {*FRACTIONS, "events", "counted"}


async def test_by_matter_type_channel_and_month_within_an_outlet(
    office: Office, seeded: Seeded
) -> None:
    by_matter = (await figures_page(office, "by=matter")).tables["figures-table"]
    outlet = seeded.outlets["a"]
    by_channel = (await figures_page(office, f"by=channel&outlet={outlet}")).tables
    by_month = (await figures_page(office, f"by=month&outlet={outlet}")).tables

    for key, code in seeded.matters.items():
        assert by_matter[code] == expected_cells(events_where(matter=key))
    a_online = [event for event in events_where(outlet="a") if event.matter]
    a_visits = events_where(outlet="a", matter="")
    assert by_channel["figures-table"]["online"] == expected_cells(a_online)
    assert by_channel["figures-table"]["on_site"] == expected_cells(a_visits)
    assert by_channel["figures-table"]["total"] == expected_cells(events_where(outlet="a"))
    for month in ("2031-03", "2031-04"):
        happened = [e for e in events_where(outlet="a") if e.at.strftime("%Y-%m") == month]
        assert by_month["figures-table"][month] == expected_cells(happened)
        trend = by_month["trend-grades"][month]
        assert trend == {name: expected_cells(happened)[name] for name in ("good", "bad")}


async def test_a_rate_of_nothing_is_a_dash_and_a_month_filter_narrows_the_table(
    office: Office, seeded: Seeded
) -> None:
    outlet_b = str(seeded.outlets["b"])
    cells = await figures_page(office, "by=outlet&from=2031-04&to=2031-04")
    shown = (await figures_page(office, "by=outlet")).shown

    assert outlet_b not in cells.tables["figures-table"]  # b's events were all in March
    assert cells.tables["figures-table"][str(seeded.outlets["a"])]["events"] == (3, 0)
    # b: one bad review not answered yet, nobody rated a putting right.
    assert shown[("figures-table", outlet_b, "in_time")].startswith("—")
    assert shown[("figures-table", outlet_b, "satisfied")].startswith("—")
    assert shown[("figures-table", outlet_b, "replied")].startswith("0")


async def test_htmx_gets_the_figures_fragment_from_the_same_address(
    office: Office, seeded: Seeded
) -> None:
    page = await office.supervisor.client.get(
        "/supervisor?by=matter", headers={"HX-Request": "true", "HX-Request-Type": "partial"}
    )

    assert page.status_code == 200 and "<html" not in page.text
    assert 'id="figures-table"' in page.text and "HX-Request" in page.headers["vary"]
    assert page.headers["cache-control"] == "private, no-store"


async def test_the_csv_is_the_table_shown_with_formulas_neutralised(
    office: Office, seeded: Seeded
) -> None:
    for by in ("outlet", "matter"):
        table = (await figures_page(office, f"by={by}")).tables["figures-table"]
        answer = await office.supervisor.client.get(f"/supervisor/figures.csv?by={by}")

        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert answer.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
        header, body = rows[0], rows[1:]
        assert len(body) == len(table)  # each row shown, and the total
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
        by_name = {row[0]: row for row in body}
        keys = seeded.outlets if by == "outlet" else seeded.matters
        for key in keys:
            name = await _name_of(by, keys[key])
            line = by_name["'" + name]  # every seeded name starts as a formula would
            shown = table[str(keys[key])]
            assert [int(line[1]), int(line[2])] == [shown["events"][0], shown["counted"][0]]
            for index, figure in enumerate(FRACTIONS):  # the CSV's order is the table's
                part, whole = line[3 + 3 * index], line[4 + 3 * index]
                assert (int(part), int(whole)) == shown[figure], (figure, header)


async def _name_of(by: str, key) -> str:
    from backend.outlets.tables import Outlet

    if by == "matter":
        return key
    row = await Outlet.select(Outlet.name).where(Outlet.id == key).first()
    return row["name"]


def test_a_cell_that_a_spreadsheet_would_run_is_neutralised() -> None:
    for formula in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x")'):
        assert neutralised(formula) == "'" + formula
    assert neutralised("62.5%") == "62.5%" and neutralised("—") == "—" and neutralised(3) == "3"


async def test_staff_and_applicants_see_no_figures_and_visitors_sign_in_first(
    office: Office, client
) -> None:
    for person in (office.staff, office.applicant):
        for path in ("/supervisor", "/supervisor/figures.csv"):
            answer = await person.client.get(path)
            assert answer.status_code == 403, (path, answer.status_code)
    visitor = await client.get("/supervisor", follow_redirects=False)
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/signin")
