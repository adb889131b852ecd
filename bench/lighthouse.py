"""Lighthouse benchmark of DESIGN.md's budgets: performance ≥ 95 (mobile, default simulated slow
4G), accessibility 100, best practices 100, and performance ≥ 90 on the "Regular 3G" profile.

Run it with `.venv/bin/python bench/lighthouse.py`; `--write` also puts the figures into
bench/README.md. It is a benchmark, not a test: pytest never collects it.

Lighthouse (npm package, pinned below) is installed on first use into bench/.lighthouse/
(gitignored) with `npm install --prefix bench/.lighthouse lighthouse@<version>`. It drives
Debian's Chromium (/usr/bin/chromium, or $CHROME_PATH) headless. The app is started as
bench/run.py starts it: a fresh temporary var dir migrated and seeded by `litestar iph setup`,
then one uvicorn process on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (  # bench/run.py's helpers, importable once ROOT is on sys.path
    BENCH_DIR,
    ROOT,
    CpuPlan,
    Server,
    a_record_page,
    app_env,
    cpu_model,
    readme_marks,
    setup_database,
    write_readme,
)

LIGHTHOUSE_DIR = BENCH_DIR / ".lighthouse"
LIGHTHOUSE_VERSION = "13.5.0"
LIGHTHOUSE_BIN = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
MARK_START = (
    "<!-- lighthouse:start (bench/lighthouse.py --write replaces this down to the end mark) -->"
)
MARK_END = "<!-- lighthouse:end -->"
CHROME_FLAGS = "--headless=new --no-sandbox"
CATEGORIES = ("performance", "accessibility", "best-practices")
# A run now and then ends in NO_NAVSTART (no trace of the page load) with headless Chromium.
ATTEMPTS = 3

# Lighthouse's own "Regular 3G" constants (lantern simulation Constants.throttling.mobileRegular3G;
# its default mobileSlow4G is rtt 150 ms, 1.6 Mbit/s, CPU ×4). With simulated throttling only
# rttMs, throughputKbps and cpuSlowdownMultiplier are used; the devtools values follow the same
# 3.75 / 0.9 adjustment factors Lighthouse applies.
REGULAR_3G = {
    "rttMs": 300,
    "throughputKbps": 700,
    "requestLatencyMs": 300 * 3.75,
    "downloadThroughputKbps": 700 * 0.9,
    "uploadThroughputKbps": 700 * 0.9,
    "cpuSlowdownMultiplier": 4,
}

BUDGETS = {  # (profile, category) -> minimum score out of 100
    ("slow 4G", "performance"): 95,
    ("slow 4G", "accessibility"): 100,
    ("slow 4G", "best-practices"): 100,
    ("Regular 3G", "performance"): 90,
    ("Regular 3G", "accessibility"): 100,
    ("Regular 3G", "best-practices"): 100,
}

METRICS = (
    ("first-contentful-paint", "FCP"),
    ("largest-contentful-paint", "LCP"),
    ("total-blocking-time", "TBT"),
    ("cumulative-layout-shift", "CLS"),
    ("speed-index", "Speed Index"),
)


def log(message: str) -> None:
    print(f"[lighthouse] {message}", file=sys.stderr, flush=True)


class LighthouseError(RuntimeError):
    """Lighthouse cannot be installed or run (main() stops with it; tests fail or skip)."""


# --- tools --------------------------------------------------------------------------------------


def installed_version() -> str | None:
    package = LIGHTHOUSE_DIR / "node_modules" / "lighthouse" / "package.json"
    return json.loads(package.read_text())["version"] if package.exists() else None


def ensure_lighthouse() -> Path:
    """The pinned Lighthouse in bench/.lighthouse/, installed with npm when missing."""
    if LIGHTHOUSE_BIN.exists() and installed_version() == LIGHTHOUSE_VERSION:
        return LIGHTHOUSE_BIN
    npm = shutil.which("npm")
    if not npm:
        raise LighthouseError("npm is missing (Node.js ≥ 20 with npm is needed to install it)")
    where = LIGHTHOUSE_DIR.relative_to(ROOT)
    log(f"installing lighthouse@{LIGHTHOUSE_VERSION} into {where}/ (npm, once)")
    command = [
        npm,
        "install",
        "--prefix",
        str(LIGHTHOUSE_DIR),
        "--no-audit",
        "--no-fund",
        "--loglevel=error",  # Lighthouse 13 asks for Node ≥ 22.19 but runs on Node 20
        f"lighthouse@{LIGHTHOUSE_VERSION}",
    ]
    # One install at a time: bench runs and test processes may share the checkout.
    LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
    with (LIGHTHOUSE_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (LIGHTHOUSE_BIN.exists() and installed_version() == LIGHTHOUSE_VERSION):
            done = subprocess.run(command, cwd=ROOT, check=False)
            if done.returncode != 0 or installed_version() != LIGHTHOUSE_VERSION:
                raise LighthouseError(f"`{' '.join(command)}` failed")
    return LIGHTHOUSE_BIN


def chrome_path() -> str:
    path = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise LighthouseError("Chromium is missing (Debian: `apt-get install chromium`)")
    return path


def tool_version(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "?"


def machine_info(chrome: str) -> dict[str, str]:
    chromium = re.search(r"Chromium [\d.]+", tool_version([chrome, "--version"]))
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "nproc": str(os.cpu_count()),
        "kernel": platform.release(),
        "node": tool_version(["node", "--version"]),
        "chromium": chromium.group(0) if chromium else "?",
    }


# --- pages --------------------------------------------------------------------------------------


def fetch_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def a_guide_page(origin: str) -> str:
    """The first guide in /guides' list (its links are `<a href="/guides/<slug>"><strong>`)."""
    page = fetch_text(f"{origin}/guides")
    slugs = re.findall(r'href="(/guides/[^"/?#]+)"><strong>', page) or [
        path for path in re.findall(r'href="(/guides/[^"/?#]+)"', page) if path != "/guides/saved"
    ]
    if not slugs:
        raise LighthouseError("/guides links to no guide")
    return slugs[0]


# A GI list: the tea products, paged (the byte budgets' test opens the same list).
GI_LIST = "/gi?category=tea"


def category_score(report: dict, category: str) -> int | None:
    """A category's score out of 100 in a Lighthouse JSON report (None: it could not score)."""
    value = report["categories"][category]["score"]
    return None if value is None else round(value * 100)


@dataclass
class Target:
    label: str
    path: str
    profile: str  # "slow 4G" (Lighthouse's default) or "Regular 3G"


@dataclass
class Result:
    target: Target
    report: dict
    perf_scores: list[int]  # every run's performance score; `report` is the median run

    def score(self, category: str) -> int | None:
        return category_score(self.report, category)

    def metric(self, audit_id: str) -> str:
        audit = self.report["audits"].get(audit_id, {})
        return (audit.get("displayValue") or "–").replace("\xa0", " ")


def run_lighthouse(binary: Path, chrome: str, url: str, profile: str, out: Path) -> dict:
    command = [
        str(binary),
        url,
        f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
    ]
    if profile == "Regular 3G":
        command.append("--throttling-method=simulate")
        command += [f"--throttling.{key}={value}" for key, value in REGULAR_3G.items()]
    env = {**os.environ, "CHROME_PATH": chrome}
    for attempt in range(1, ATTEMPTS + 1):
        out.unlink(missing_ok=True)
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        report = json.loads(out.read_text()) if out.exists() else {}
        if done.returncode == 0 and report and not report.get("runtimeError"):
            return report
        why = (report.get("runtimeError") or {}).get("message") or done.stderr.strip()[-500:]
        log(f"run on {url} failed (attempt {attempt}/{ATTEMPTS}): {why}")
    raise LighthouseError(f"{ATTEMPTS} runs on {url} failed")


def measure(
    binary: Path, chrome: str, server: Server, target: Target, runs: int, out_dir: Path
) -> Result:
    reports = []
    for number in range(1, runs + 1):
        out = out_dir / f"{re.sub(r'[^a-z0-9]+', '-', target.label.lower())}-{number}.json"
        log(f"{target.label} ({target.profile}) {target.path}: run {number}/{runs}")
        reports.append(run_lighthouse(binary, chrome, server.url(target.path), target.profile, out))
    perf = [round(r["categories"]["performance"]["score"] * 100) for r in reports]
    median = statistics.median_low(perf)
    return Result(target, reports[perf.index(median)], perf)


# --- report -------------------------------------------------------------------------------------


def lost_points(report: dict, category: str) -> list[tuple[str, str, str]]:
    """(audit id, title, what failed) of each scored audit in `category` below a full score."""
    lost = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if audit.get("scoreDisplayMode") in ("notApplicable", "manual", "informative", "error"):
            continue
        if audit.get("score") is None or audit["score"] >= 1:
            continue
        if category == "performance" and not ref.get("weight") and not audit.get("displayValue"):
            continue
        items = (audit.get("details") or {}).get("items") or []
        where = []
        for item in items[:3]:
            node = item.get("node") if isinstance(item, dict) else None
            if isinstance(node, dict) and node.get("selector"):
                where.append(f"`{node['selector']}`")
            elif isinstance(item, dict) and item.get("url"):
                where.append(f"`{re.sub(r'^http://127.0.0.1:[0-9]+', '', item['url'])}`")
            elif isinstance(item, dict) and item.get("description"):
                where.append(str(item["description"])[:120])
        detail = (audit.get("displayValue") or "").replace("\xa0", " ")
        if where:
            detail = f"{detail}; " if detail else ""
            detail += ", ".join(where) + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")
        lost.append((ref["id"], audit["title"], detail))
    return lost


def verdicts(results: list[Result]) -> list[tuple[str, str, bool]]:
    out = []
    for result in results:
        for category in CATEGORIES:
            minimum = BUDGETS[(result.target.profile, category)]
            score = result.score(category)
            label = f"{result.target.label} ({result.target.profile}): {category} ≥ {minimum}"
            out.append((label, str(score), score is not None and score >= minimum))
    return out


def render(info: dict[str, str], lighthouse: str, results: list[Result], runs: int) -> str:
    lines = [
        "### Machine and set-up",
        "",
        f"- measured {info['date']}",
        f"- {info['cpu']}, {info['nproc']} cores (nproc), Linux {info['kernel']}",
        f"- Lighthouse {lighthouse} (npm, in bench/.lighthouse/), Node {info['node']}, "
        f"{info['chromium']} (Debian) with `{CHROME_FLAGS}`",
        "- mobile form factor (Moto G Power, 412×823), simulated throttling (Lantern): "
        "**slow 4G** = Lighthouse's default (RTT 150 ms, 1.6 Mbit/s, CPU ×4); **Regular 3G** = "
        "Lighthouse's `mobileRegular3G` constants (RTT 300 ms, 700 kbit/s, CPU ×4)",
        f"- {runs} run(s) per row; the row shows the run with the median performance score "
        "(every run's performance score in the last column)",
        "- the app as bench/run.py starts it: a fresh temporary var dir seeded by "
        "`litestar iph setup`, uvicorn (1 worker, uvloop, httptools) on 127.0.0.1",
        "",
        "### Scores and metrics",
        "",
        "| page | profile | performance | accessibility | best practices | "
        + " | ".join(name for _, name in METRICS)
        + " | performance, every run |",
        "|---|---|--:|--:|--:|" + "--:|" * len(METRICS) + "---|",
    ]
    for result in results:
        cells = [f"{result.target.label} `{result.target.path}`", result.target.profile]
        cells += [str(result.score(category)) for category in CATEGORIES]
        cells += [result.metric(audit_id) for audit_id, _ in METRICS]
        cells.append(", ".join(map(str, result.perf_scores)))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "### Budgets (DESIGN.md)", "", "| budget | score | verdict |", "|---|--:|---|"]
    for label, score, ok in verdicts(results):
        lines.append(f"| {label} | {score} | {'ok' if ok else '**missed**'} |")
    lines += [
        "",
        "### Audits that lost points",
        "",
        "Accessibility and best practices (any audit here costs the 100): audit id, title, what "
        "Lighthouse found. Performance: the metrics and insights it flagged, as leads.",
        "",
    ]
    any_lost = False
    for result in results:
        for category in CATEGORIES:
            lost = lost_points(result.report, category)
            for audit_id, title, detail in lost:
                any_lost = True
                page = f"{result.target.label} ({result.target.profile})"
                lines.append(
                    f"- {page}, {category}: `{audit_id}` — {title}"
                    + (f": {detail}" if detail else "")
                )
    if not any_lost:
        lines.append("- none")
    warnings = sorted({w for r in results for w in r.report.get("runWarnings", [])})
    if warnings:
        lines += ["", "Lighthouse's run warnings:", ""] + [f"- {w}" for w in warnings]
    return "\n".join(lines) + "\n"


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", type=int, default=3, help="Lighthouse runs per page; the median is shown (3)"
    )
    parser.add_argument("--write", action="store_true", help="update bench/README.md's figures")
    parser.add_argument("--keep", action="store_true", help="keep the var dir, logs and reports")
    args = parser.parse_args()

    if args.write:
        readme_marks(MARK_START, MARK_END)  # fail now, not after the run
    binary = ensure_lighthouse()
    lighthouse = installed_version() or "?"
    chrome = chrome_path()
    info = machine_info(chrome)
    var_dir = Path(tempfile.mkdtemp(prefix="iph-lighthouse-"))
    out_dir = var_dir / "reports"
    out_dir.mkdir()
    no_pinning = CpuPlan([], [], "not pinned")
    results: list[Result] = []
    try:
        setup_database(var_dir)
        with Server("app", "backend.app:app", app_env(var_dir), no_pinning, out_dir) as server:
            targets = [
                Target("home", "/", "slow 4G"),
                Target("record", a_record_page(var_dir), "slow 4G"),
                Target("guides", "/guides", "slow 4G"),
                Target("guide", a_guide_page(server.url("")), "slow 4G"),
                Target("GI list", GI_LIST, "slow 4G"),
                Target("home", "/", "Regular 3G"),
            ]
            for target in targets:
                results.append(measure(binary, chrome, server, target, args.runs, out_dir))
    finally:
        if args.keep:
            log(f"kept {var_dir} (reports in {out_dir})")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)

    section = render(info, lighthouse, results, args.runs)
    print(section)
    if args.write:
        write_readme(section, MARK_START, MARK_END)
    missed = [label for label, _, ok in verdicts(results) if not ok]
    if missed:
        log(f"{len(missed)} budget(s) missed: " + "; ".join(missed))


if __name__ == "__main__":
    try:
        main()
    except LighthouseError as error:
        sys.exit(f"lighthouse: {error}")
