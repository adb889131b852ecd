"""Reviews over HTTP with 100,000 in the database: /disclosure, an outlet's page and its review
summary, and rating a service, in requests per second at 32 connections against the plain
endpoint, on both profiles (issue 13).

    .venv/bin/python bench/reviews_http.py                      # both profiles
    .venv/bin/python bench/reviews_http.py --engines sqlite     # the embedded profile only

A benchmark, not a test: pytest never collects it. For each profile (bench/engines.py: a child
process each, an SQLite file in a temporary var dir, or the PostgreSQL database
`iph_bench_reviews_http`, dropped at the end): `litestar iph setup` (bench/run.py), then
bench/reviews.py's filling (`fill_reviews`: `--reviews` reviews over the seed's outlets and this
year's months, with the unrated events beside them and the bad ones' cases), `--reviewers`
applicants, `--ratings` matters of theirs just ended and unrated (`prepare_ratings`), and the
running tallies rebuilt from it all (`retally`, as `litestar iph reviews-retally`). Then
bench/run.py's plain endpoint and the real app, each one uvicorn worker pinned to a core with
wrk on the other (bench/http_app.py's `Profile`); the scale profile's app has its sessions, rate
limits, page cache and queue in Redis under a namespace of its own (removed at the end).

- *disclosure*: `GET /disclosure`, as a visitor without a session asks for it.
- *outlet page* / *outlet summary*: `GET /outlets/<id>` of the outlet with the most reviews, and
  the fragment that page pulls in, `GET /disclosure/outlets/<id>` with HX-Request.
- *rate*: `POST /rate/<token>`, the rating page's form (the CSRF token, a new idempotency key,
  the account the page was shown to, a level drawn as the filled reviews' are, sometimes a
  dimension, a tag and a comment), a different matter each request, by its applicant signed in
  as the app signs people in (an e-mail code; bench/http_app.py's `Visitor`). One rating is made
  through the page itself (the form read from `GET /rate/<token>`) as the check;
  bench/form_posts.lua walks through the others.
- *signed-in POST, floor*: `POST /preferences/elder-mode` by the same reviewers, signed in:
  the app's cheapest form (no CSRF token, checked by origin; it sets a cookie and answers 303),
  through the same middleware (session, account, locale, the shared limiter's counter written):
  the floor under a rating that p99 < 50 ms at 32 connections is to be read against.

Afterwards the reviewers must hold as many reviews, and idempotency records, as ratings were
sent (less those that found wrk gone before the app read their body), none twice for one
matter, and every tally must equal a recount from the raw tables (`figures.recounted_by`).

Prints Markdown; bench/README.md ("Reviews over HTTP") holds the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import re
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import http_app  # noqa: E402
from bench import reviews as filling  # noqa: E402
from bench import run as bench  # noqa: E402
from bench.engines import run_on_engines  # noqa: E402
from bench.http_app import BROWSER, PROFILES, Profile, Visitor, client_of, with_engine  # noqa: E402

BENCH_DATABASE = "iph_bench_reviews_http"
DISCLOSURE = "/disclosure"
FRAGMENT = {**BROWSER, "HX-Request": "true", "HX-Request-Type": "partial"}
SENT = "/sent?grade="  # in the Location of an accepted rating's 303
FLOOR = "/preferences/elder-mode"
FLOOR_NEXT = "/my/reviews?floor=1"  # the Location of the floor's 303
FLOOR_LINES = "floor.tsv"  # in the profile's var dir, beside the ratings' lines
HIDDEN = re.compile(r'<input type="hidden" name="(idempotency_key|for_account)" value="([^"]*)"')
# The options a profile's child process is given again (with the loads').
CHILD_OPTIONS = ("redis_url", "reviews", "ratings", "reviewers")


# --- the database, from this process ------------------------------------------------------------


async def fill(args: argparse.Namespace) -> dict:
    """The reviews, the reviewers and their matters to rate, the tallies: what was written."""
    from backend.reviews.tables import Review

    filled = await filling.fill_reviews(args.reviews, tally=False)
    owners = await filling.reviewer_accounts(args.reviewers)
    tokens = await filling.prepare_ratings(owners, args.ratings + 1)
    filled["tallies_s"], filled["tally_rows"] = await filling.retally()
    busiest = await Review.raw(
        "SELECT outlet_id, COUNT(*) AS n FROM review WHERE outlet_id IS NOT NULL "
        "GROUP BY outlet_id ORDER BY n DESC LIMIT 1"
    )
    return {
        **filled,
        "owners": owners,
        "tokens": tokens,
        "busiest_outlet": busiest[0]["outlet_id"],
        "busiest_reviews": busiest[0]["n"],
    }


async def what_was_stored(owners: list[int]) -> dict[str, int]:
    """For these reviewers: their reviews, the matters they rated, the idempotency records of
    their ratings, the cases their bad ones opened; all reviews."""
    from backend.idempotency.tables import IdempotencyRecord
    from backend.reviews.service import SUBMISSION_SCOPE
    from backend.reviews.tables import RectificationCase, Review

    theirs = Review.reviewer_id.is_in(owners)
    records = 0
    for owner in owners:
        prefix = f"{SUBMISSION_SCOPE}|account:{owner}|"
        records += await IdempotencyRecord.count().where(
            IdempotencyRecord.natural_key.like(f"{prefix}%")
        )
    rated = await Review.raw(
        "SELECT COUNT(DISTINCT event) AS n FROM review WHERE reviewer_id IN ("
        + ", ".join(str(int(owner)) for owner in owners)
        + ")"
    )
    return {
        "reviews": await Review.count().where(theirs),
        "events_rated": rated[0]["n"],
        "idempotency_records": records,
        "bad": await Review.count().where(theirs & (Review.grade == "bad")),
        "cases": await RectificationCase.count().where(
            RectificationCase.review.reviewer_id.is_in(owners)
        ),
        "all_reviews": await Review.count(),
    }


async def tallies_against_a_recount() -> dict[str, int]:
    """Per grouping (outlet, matter type, channel, month): the rows where the running tallies
    differ from a recount of the raw tables (0 everywhere: they are equal)."""
    from backend.reviews import figures
    from backend.reviews.figures import GroupBy

    differing = {}
    for group in GroupBy:
        kept = {row.key: row for row in await figures.figures_by(group)}
        counted = {row.key: row for row in await figures.recounted_by(group)}
        keys = kept.keys() | counted.keys()
        differing[group.name] = sum(kept.get(key) != counted.get(key) for key in keys)
    return differing


# --- over HTTP ----------------------------------------------------------------------------------


def get_ok(server: bench.Server, path: str, headers: dict[str, str], marker: str) -> None:
    """The page answers 200 with `marker` in it before it is loaded (a failed page is fast)."""

    async def fetch() -> tuple[int, str]:
        async with client_of(server) as client:
            page = await client.get(path, headers=headers)
            return page.status_code, page.text

    status, text = asyncio.run(fetch())
    if status != 200 or marker not in text:
        sys.exit(f"bench: GET {path} answered {status} without {marker!r}:\n{text[:1000]}")


async def rate_through_the_page(visitor: Visitor, token: str) -> None:
    """The check: the rating page read and its form sent back, as a browser does."""
    page = await visitor.client.get(f"/rate/{token}")
    hidden = dict(HIDDEN.findall(page.text))
    if page.status_code != 200 or "idempotency_key" not in hidden:
        sys.exit(f"bench: GET /rate/{token} answered {page.status_code} without its form")
    answer = await visitor.post(f"/rate/{token}", {**hidden, "level": "5", "tags": "friendly"})
    if SENT not in answer.headers["location"]:
        sys.exit(f"bench: rating {token} led to {answer.headers['location']}")


async def prepare_posts(
    server: bench.Server, outbox: Path, filled: dict, lines: Path
) -> dict[str, int]:
    """The reviewers signed in, the check rated through its page, the others' forms written
    for wrk; what was stored for the reviewers before the check."""
    owners, tokens = filled["owners"], filled["tokens"]
    visitors = {owner: Visitor(client_of(server), outbox) for owner in owners}
    for number, visitor in enumerate(visitors.values()):
        await visitor.sign_in(f"bench-reviewer-{number}@example.test")
    before = await with_engine(lambda: what_was_stored(owners))
    (owner, token), rest = tokens[0], tokens[1:]
    await rate_through_the_page(visitors[owner], token)
    rng = random.Random(20261205)
    floor = urllib.parse.urlencode({"enabled": "1", "next": FLOOR_NEXT})
    with lines.open("w") as out, lines.with_name(FLOOR_LINES).open("w") as floor_out:
        for owner, token in rest:
            visitor = visitors[owner]
            form = filling.rating_form(rng, visitor.client.cookies["iph_csrf"], owner)
            out.write(f"/rate/{token}\t{visitor.cookie()}\t{urllib.parse.urlencode(form)}\n")
            floor_out.write(f"{FLOOR}\t{visitor.cookie()}\t{floor}\n")
    for visitor in visitors.values():
        await visitor.client.aclose()
    return before


def measure_rating(profile: Profile, server: bench.Server, filled: dict) -> tuple[bench.Load, dict]:
    lines = profile.var_dir / "ratings.tsv"
    before = asyncio.run(prepare_posts(server, profile.outbox, filled, lines))
    request = (
        "`POST /rate/<token>` (a matter just ended each, a new idempotency key, "
        f"{len(filled['owners'])} applicants' sessions)"
    )
    load, sent = http_app.measure_form_posts(profile, server, "rate", request, lines, SENT)

    async def afterwards() -> tuple[dict[str, int], dict[str, int]]:
        return await what_was_stored(filled["owners"]), await tallies_against_a_recount()

    after, differing = asyncio.run(with_engine(afterwards))
    return load, {
        "wrk_sent": sent,
        "stored": {name: after[name] - before[name] for name in after},
        "tallies_differing": differing,
    }


def measure_floor(profile: Profile, server: bench.Server) -> bench.Load:
    """The reviewers' sessions again, each sending the elder-mode form (prepare_posts wrote the
    lines beside the ratings'); a line run out is sent again, which changes nothing."""
    request = f"`POST {FLOOR}` (the same sessions; nothing written but the limiter's counter)"
    lines = profile.var_dir / FLOOR_LINES
    load, sent = http_app.measure_form_posts(
        profile, server, "signed-in POST, floor", request, lines, FLOOR_NEXT
    )
    if sent["refused"]:
        sys.exit(f"bench: a floor post was refused: {sent}")
    return load


# --- one profile (the child process) ------------------------------------------------------------


def run_profile(args: argparse.Namespace) -> dict:
    profile = Profile.of_child(args, "reviews", IPH_REVIEWS_PER_HOUR=bench.RATE_LIMIT_FOR_BENCH)
    loadavg = {"start": os.getloadavg()}
    bench.setup_database(profile.var_dir, **profile.extra)
    bench.log(f"{profile.engine}: writing {args.reviews:,} reviews (bench/reviews.py)")
    filled = asyncio.run(with_engine(lambda: fill(args)))
    outlet = filled["busiest_outlet"]
    loads = [profile.measure_plain()]
    try:
        with profile.app_server() as server:
            pages = [
                ("disclosure", DISCLOSURE, BROWSER, 'id="disclosure-outlets"', ""),
                ("outlet page", f"/outlets/{outlet}", BROWSER, "outlet-reviews", ""),
                (
                    "outlet summary",
                    f"/disclosure/outlets/{outlet}",
                    FRAGMENT,
                    'id="outlet-review-summary"',
                    " (HX-Request: the fragment the outlet page pulls in)",
                ),
            ]
            for target, path, headers, marker, note in pages:
                get_ok(server, path, headers, marker)
                request = f"`GET {path}` (Accept-Encoding: br, gzip, no session{note})"
                loads.append(
                    profile.measure(server, target, path, headers=headers, request=request)
                )
            load, rating = measure_rating(profile, server, filled)
            loads += [load, measure_floor(profile, server)]
    finally:
        profile.forget_namespace(args.redis_url)
    loadavg["end"] = os.getloadavg()
    filled = {name: value for name, value in filled.items() if name not in ("owners", "tokens")}
    return {
        "engine": profile.engine,
        "database": http_app.database_version(profile.engine),
        "filled": filled,
        "ratings": args.ratings + 1,
        "loads": [dataclasses.asdict(load) for load in loads],
        "loadavg": loadavg,
        **rating,
    }


# --- the report ---------------------------------------------------------------------------------


def check_counts(result: dict) -> list[str]:
    """Each rating sent made one review with its idempotency record (and a case when bad), or
    nothing when wrk had gone before the app read its body (+1: the check through the page);
    the tallies equal a recount."""
    sent, stored = result["wrk_sent"], result["stored"]
    problems = []
    if sent["beyond"]:
        problems.append(f"wrk ran out of matters to rate ({sent['beyond']} repeated one)")
    if sent["refused"]:
        problems.append(f"{sent['refused']} answers were not a rating stored")
    made = stored["reviews"]
    if stored["idempotency_records"] != made:
        problems.append(f"{stored['idempotency_records']:,} idempotency records for {made:,}")
    if stored["events_rated"] != made:
        problems.append(f"{made:,} reviews of {stored['events_rated']:,} matters")
    if stored["cases"] != stored["bad"]:
        problems.append(f"{stored['cases']:,} cases for {stored['bad']:,} bad reviews")
    if made + sent["gone"] != sent["sent"] + 1:
        problems.append(f"{made:,} stored and {sent['gone']} left unread for {sent['sent'] + 1:,}")
    if made < sent["accepted"] + 1:
        problems.append(f"{made:,} stored for {sent['accepted'] + 1:,} answered")
    differing = {name: rows for name, rows in result["tallies_differing"].items() if rows}
    if differing:
        problems.append(f"tallies unlike a recount: {differing}")
    return problems


def markdown(figures: dict[str, dict], info: dict[str, str], args: argparse.Namespace) -> str:
    lines = [f"{http_app.machine_line(info, figures, args)} {args.reviewers} reviewers.", ""]
    for engine, result in figures.items():
        loads = [bench.Load(**load) for load in result["loads"]]
        filled = result["filled"]
        lines += [
            f"**{PROFILES[engine]}**: {filled['reviews']:,} reviews of {filled['events']:,} "
            f"events ({filled['cases']:,} bad ones' cases) over {filled['outlets']} outlets, "
            f"written in {filled['written_s']:.0f} s, {filled['tally_rows']:,} tally rows "
            f"rebuilt in {filled['tallies_s']:.1f} s; the outlet shown has "
            f"{filled['busiest_reviews']:,} reviews; {http_app.loadavg_note(result['loadavg'])}",
            "",
            *http_app.load_rows(loads),
        ]
        sent, stored = result["wrk_sent"], result["stored"]
        problems = check_counts(result)
        lines += [
            "",
            f"Rating: {result['ratings']:,} matters prepared; wrk sent {sent['sent']:,} "
            f"(warm-ups and every run included) and the script 1 (the check, through the "
            f"page); {sent['accepted']:,} answered 303 to the thanks page before wrk stopped, "
            f"{sent['refused']} answered otherwise, the rest were in flight when wrk stopped, of "
            f"which {sent['gone']} found wrk gone before the app read their body (nothing "
            f"stored). The database holds {stored['reviews']:,} reviews more by the reviewers, "
            f"of {stored['events_rated']:,} matters, {stored['idempotency_records']:,} "
            f"idempotency records and {stored['cases']:,} cases for {stored['bad']:,} bad "
            "ones; the tallies against a recount: "
            + (
                "equal. Each rating sent made one review, or nothing when its client had gone."
                if not problems
                else "**" + "; ".join(problems) + "**"
            ),
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    http_app.add_load_options(parser, seconds=http_app.BUDGET_LOAD_SECONDS)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--ratings", type=int, default=60_000, help="matters for wrk to rate")
    parser.add_argument("--reviewers", type=int, default=8, help="whose matters they are")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_profile(args)))
        return
    info = bench.machine_info(bench.ensure_wrk())
    options = http_app.child_options(args, CHILD_OPTIONS)
    figures = run_on_engines(__file__, args.engines, options, args.postgres_url, BENCH_DATABASE)
    print(markdown(figures, info, args))


if __name__ == "__main__":
    main()
