"""DESIGN.md's Lighthouse budgets in CI: performance ≥ 95 (mobile, Lighthouse's default simulated
slow 4G), accessibility 100 and best practices 100 on home, a record page, a guide and a GI list.

Lighthouse is bench/lighthouse.py's: npm's package at its pinned version, installed on first use
into the gitignored bench/.lighthouse/, driving Debian's Chromium. Its performance score comes
from a simulation (Lantern) over the page's trace, so it hardly moves with the machine's load;
the trace's CPU tasks still do, so a page whose first run scores under 95 runs twice more and
the median counts. Accessibility and best practices do not depend on time: one run decides them.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

import pytest

from bench import lighthouse
from bench.run import a_record_page
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PERFORMANCE = "performance"
BUDGETS = {
    category: lighthouse.BUDGETS[("slow 4G", category)] for category in lighthouse.CATEGORIES
}
RUNS_WHEN_IN_DOUBT = 3


@pytest.fixture(scope="module")
def lighthouse_binary() -> Path:
    try:
        return lighthouse.ensure_lighthouse()
    except lighthouse.LighthouseError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Lighthouse: {error}", pytrace=False)
        pytest.skip(f"Lighthouse: {error}")


def page_path(name: str, server: LiveServer) -> str:
    if name == "record":
        return a_record_page(server.var_dir)
    if name == "guide":
        return lighthouse.a_guide_page(server.url)
    return {"home": "/", "GI list": lighthouse.GI_LIST}[name]


def lost(report: dict, category: str) -> str:
    return "; ".join(
        f"{audit_id} ({title}{': ' + detail if detail else ''})"
        for audit_id, title, detail in lighthouse.lost_points(report, category)
    )


@pytest.mark.parametrize("name", ["home", "record", "guide", "GI list"])
def test_lighthouse_scores_the_page_within_the_budgets(
    live_server: LiveServer,
    chromium_executable: str,
    lighthouse_binary: Path,
    tmp_path: Path,
    name: str,
) -> None:
    url = live_server.url + page_path(name, live_server)

    def run(number: int) -> dict:
        out = tmp_path / f"report-{number}.json"
        return lighthouse.run_lighthouse(
            lighthouse_binary, chromium_executable, url, "slow 4G", out
        )

    report = run(1)
    for category in ("accessibility", "best-practices"):
        score = lighthouse.category_score(report, category)
        assert score is not None and score >= BUDGETS[category], (
            f"{url}: {category} {score} < {BUDGETS[category]}: {lost(report, category)}"
        )
    reports = [report]
    if (lighthouse.category_score(report, PERFORMANCE) or 0) < BUDGETS[PERFORMANCE]:
        reports += [run(number) for number in range(2, RUNS_WHEN_IN_DOUBT + 1)]
    scores = [lighthouse.category_score(r, PERFORMANCE) or 0 for r in reports]
    median = statistics.median_low(scores)
    print(f"{url}: performance {scores}")
    assert median >= BUDGETS[PERFORMANCE], (
        f"{url}: performance {scores} (median {median}) < {BUDGETS[PERFORMANCE]}: "
        + lost(reports[scores.index(median)], PERFORMANCE)
    )
