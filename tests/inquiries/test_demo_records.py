"""The demo data shows what the app is for: every kind and stage, and fees that need attention."""

from __future__ import annotations

import datetime as dt

from backend.inquiries.demo import RECORD_COUNT, SEED, _demo_applicant_rows, _row
from backend.inquiries.numbers import parse_number
from backend.inquiries.service import next_deadline
from backend.inquiries.stages import STAGES
from backend.inquiries.tables import Record

TODAY = dt.date(2026, 11, 25)


def as_record(row) -> Record:
    return Record(
        number=row.number,
        kind=str(row.kind),
        stage=row.stage,
        filing_date=row.filing_date,
        granted_on=row.granted_on,
        fees_paid_year=row.fees_paid_year,
    )


def test_demo_records_cover_every_kind_and_stage_with_valid_numbers() -> None:
    import random

    rng, used = random.Random(SEED), set()
    rows = [_row(rng, index, TODAY, used) for index in range(RECORD_COUNT)]
    assert len({row.number for row in rows}) == RECORD_COUNT
    assert {(str(row.kind), row.stage) for row in rows} >= {
        (kind, stage) for kind in ("trademark",) for stage in STAGES if stage.startswith("tm_")
    }
    assert {row.stage for row in rows} == set(STAGES)
    for row in rows:
        assert parse_number(row.number).canonical == row.number


def test_the_demo_applicant_has_a_fee_due_within_30_days_and_one_in_grace() -> None:
    for today in (TODAY, dt.date(2027, 2, 28), dt.date(2028, 2, 29)):
        rows = _demo_applicant_rows(today, set())
        assert len(rows) == 12
        deadlines = [next_deadline(as_record(row), today) for row in rows]
        states = [(d.state, d.days_left) for d in deadlines if d is not None]
        assert any(state == "upcoming" and 0 <= days <= 30 for state, days in states), states
        assert any(state == "grace" for state, _ in states), states
        assert all("张三" in row.applicants for row in rows)


def test_every_other_demo_trademark_has_its_word_mark_as_an_image(tmp_path) -> None:
    import random
    import xml.etree.ElementTree as ElementTree

    from backend.inquiries.demo import _with_word_mark
    from backend.inquiries.marks import word_mark_svg

    rng, used = random.Random(SEED), set()
    marks = [
        row for row in (_row(rng, i, TODAY, used) for i in range(16)) if row.kind == "trademark"
    ]
    with_image = [_with_word_mark(row, tmp_path) for row in marks[::2]]
    for row in with_image:
        assert row.mark_image.startswith("/marks/")
        svg = (tmp_path / row.mark_image.removeprefix("/marks/")).read_text()
        assert (
            ElementTree.fromstring(svg).find("{http://www.w3.org/2000/svg}text").text == row.title
        )
    assert b"&lt;b&gt;&amp;" in word_mark_svg("<b>&")
