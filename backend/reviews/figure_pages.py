"""What the figures' pages show, put together for their templates: the dashboard (a table by the
grouping chosen, its trend charts), the disclosure (per outlet, per matter type, the cases put
right) and an outlet's own summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from backend.core import i18n
from backend.reviews import charts, figures
from backend.reviews import figure_views as views
from backend.reviews.disclosure import PublicCase, Published
from backend.reviews.figures import Figures, GroupBy
from backend.reviews.wording import level_name, step_name


class Meaning(msgspec.Struct, frozen=True):
    figure: str
    name: str
    meaning: str


def meanings() -> list[Meaning]:
    _ = i18n.gettext
    return [Meaning(m.figure, _(m.name), _(m.meaning)) for m in views.MEASURES]


async def figure_table(chosen: views.Chosen) -> views.Table:
    return await views.table_of(chosen.by, await figures.figures_by(chosen.by, chosen.filters))


async def dashboard(chosen: views.Chosen) -> dict[str, Any]:
    groups = await figures.figures_by(chosen.by, chosen.filters)
    by_month = (
        groups
        if chosen.by == GroupBy.month
        else await figures.figures_by(GroupBy.month, chosen.filters)
    )
    _ = i18n.gettext
    return {
        "chosen": chosen,
        "table": await views.table_of(chosen.by, groups),
        "measures": meanings(),
        "csv_href": f"/supervisor/figures.csv?{chosen.query}".rstrip("?"),
        "charts": [
            charts.trend(
                "trend-grades", _("Good and bad ratings by month"), by_month, ("good", "bad")
            ),
            charts.trend(
                "trend-answers",
                _("Unrated services and bad ratings answered, by month"),
                by_month,
                ("unrated", "replied"),
            ),
        ],
    }


async def disclosure_page(counted: Published, cases: list[PublicCase]) -> dict[str, Any]:
    return {
        "outlets": await views.table_of(GroupBy.outlet, counted.outlets),
        "matters": await views.table_of(GroupBy.matter, counted.matters),
        "measures": meanings(),
        "counted_meaning": i18n.gettext(views.COUNTED_MEANING),
        **await public_cases(cases),
    }


def outlet_summary(outlet_id: int, name: str, counts: Figures) -> dict[str, Any]:
    return {
        "outlet_id": outlet_id,
        "outlet_name": name,
        "summary": views.row(outlet_id, name, counts),
        "measures": meanings(),
    }


class StepShown(msgspec.Struct, frozen=True, kw_only=True):
    step: str
    name: str
    text: str
    on: dt.date


class CaseShown(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    level: str
    matter: str
    outlet: str
    reviewed_on: dt.date
    steps: list[StepShown]


async def public_cases(cases: list[PublicCase]) -> dict[str, Any]:
    outlets = await views.outlet_names(case.outlet_id for case in cases)
    return {
        "cases": [
            CaseShown(
                number=case.number,
                level=level_name(case.level),
                matter=views.matter_name(case.matter_code),
                outlet=outlets.get(case.outlet_id, "") if case.outlet_id else "",
                reviewed_on=case.reviewed_on,
                steps=[
                    StepShown(step=step.step, name=step_name(step.step), text=step.text, on=step.on)
                    for step in case.steps
                ],
            )
            for case in cases
        ]
    }
