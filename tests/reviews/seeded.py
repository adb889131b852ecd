"""The figures' pages' fixture (`seeded`: tests/reviews/scenario.py at the office's outlets) and
the figures read back from a page's HTML, by the data attributes of its cells."""

from __future__ import annotations

import secrets
from html.parser import HTMLParser

import pytest

from backend.outlets.tables import Outlet
from tests.matters.test_staff_queue import Office, account_id_of
from tests.reviews.scenario import Seeded, seed


class FigureCells(HTMLParser):
    """The figures of a page: {table id: {row key: {figure: (part, whole) or (count, 0)}}}, and
    what each cell shows. A chart's text table is under its data-chart; a summary under
    "summary"."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, tuple[int, int]]]] = {}
        self.shown: dict[tuple[str, str, str], str] = {}
        self._table = self._row = ""
        self._cell: tuple[str, str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "table":
            self._table = attributes.get("id") or attributes.get("data-chart", "")
        elif tag == "dl" and attributes.get("id") == "outlet-review-summary":
            self._table, self._row = "summary", attributes["data-outlet"]
        elif tag == "tr" and "data-key" in attributes:
            self._row = attributes["data-key"]
        elif "data-figure" in attributes and self._table and tag in {"td", "dd", "th"}:
            figure = attributes["data-figure"]
            if "data-count" in attributes:
                value = (int(attributes["data-count"]), 0)
            else:
                value = (int(attributes["data-part"]), int(attributes["data-whole"]))
            self.tables.setdefault(self._table, {}).setdefault(self._row, {})[figure] = value
            self._cell = (self._table, self._row, figure)
            self.shown[self._cell] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "dd", "th"}:
            self._cell = None
        elif tag in {"table", "dl"}:
            self._table = ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self.shown[self._cell] += data


@pytest.fixture(name="seeded")
async def seeded_office(office: Office) -> Seeded:
    """SCENARIO seeded at the office's two outlets, renamed to start as a spreadsheet formula
    would (the CSV must neutralise them), with matter codes of its own that do too."""
    token = secrets.token_hex(3)
    outlets = {"a": office.outlet, "b": office.other_outlet}
    for key, name in (
        ("a", f"-1+1 测试受理窗口{token}"),
        ("b", f'=HYPERLINK("http://evil.example","点我"){token}'),
    ):
        await Outlet.update({Outlet.name: name}).where(Outlet.id == outlets[key])
    staff = {"a": await account_id_of(office.staff), "b": await account_id_of(office.other_staff)}
    matters = {"m1": f"+m1-{token}", "m2": f"@m2-{token}"}
    return await seed(outlets, staff, await account_id_of(office.supervisor), matters)
