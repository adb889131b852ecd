"""Matters over HTTP with 100,000 in the database: the staff queue page and sending a matter, in
requests per second at 32 connections against the plain endpoint, on both profiles (issue 12).

    .venv/bin/python bench/matters_http.py                      # both profiles
    .venv/bin/python bench/matters_http.py --engines sqlite     # the embedded profile only

A benchmark, not a test: pytest never collects it. For each profile (bench/engines.py: a child
process each, an SQLite file in a temporary var dir, or the PostgreSQL database
`iph_bench_matters_http`, dropped at the end): `litestar iph setup` (bench/run.py), then
bench/matters.py's filling (`fill`: 20 acceptance windows, `--matters` matters, a staff member at
the busiest window, a supervisor, ANALYZE). Then bench/run.py's plain endpoint and the real app,
each one uvicorn worker pinned to a core with wrk on the other (bench/run.py's `Server`,
`measure`); the scale profile's app has its sessions, rate limits and queue in Redis under a
namespace of its own (removed at the end).

People are signed in as the app signs them in: the staff member and the supervisor with an
e-mail code (`POST /signin/code`, the code read from var/outbox, `POST /signin/code/verify`),
`--applicants` applicants signed up the same way; wrk sends their session and CSRF cookies.

- *queue, staff* / *queue, supervisor*: `GET /staff/matters` (the first page of the queue).
- *send*: `POST /my/matters/<reference>/send`, the review screen's form (CSRF token, a new
  idempotency key, the commitment signed instead of the documents), a different draft every
  request: one draft is filed through the app's own screens (start, the four steps, the review)
  and sent by this script as the check; `--drafts` copies of its row (the same answers) are
  written in bulk, spread over the applicants, and bench/form_posts.lua walks through them.
  Afterwards the database must hold, for the applicants, as many submitted matters, submission
  events, idempotency records and inbox messages as drafts are gone, and as requests were sent
  less those that found wrk gone when it stopped before the app read their body (logged by the
  app, nothing stored); the others in flight then are served but not counted by wrk.

Prints Markdown; bench/README.md ("Matters over HTTP") holds the figures, and
bench/matters_parts.py's breakdown of where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import secrets
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import http_app  # noqa: E402
from bench import run as bench  # noqa: E402
from bench.engines import run_on_engines  # noqa: E402
from bench.http_app import (  # noqa: E402
    BROWSER,
    PROFILES,
    Profile,
    account_ids,
    client_of,
    close_engine,
    database_version,
    forget_namespace,  # noqa: F401 - bench/matters_parts.py's
    open_engine,
    with_engine,
)
from bench.matters import BATCH, KIND, fill  # noqa: E402

BENCH_DATABASE = "iph_bench_matters_http"
QUEUE = "/staff/matters"
# What tests/matters/test_filing.py files: a change of address of a patent held by an enterprise.
PATENT_BODY = "201710601862"
ADDRESS = {
    "change_kind": "address",
    "name_before": "测试科技有限公司",
    "address_after": "北京市海淀区知春路1号 100083",
}
ENTERPRISE = {"holder_kind": "enterprise", "credit_code": "91350100M000100Y43"}
# The options a profile's child process is given again (with the loads').
CHILD_OPTIONS = ("redis_url", "matters", "drafts", "applicants")


# --- people, signed in through the app ----------------------------------------------------------


class Visitor(http_app.Visitor):
    """A browser signed in through the app (bench/http_app.py), sending its drafts."""

    def send_form(self, commitment: str) -> dict[str, str]:
        """The review screen's form: a new idempotency key, the commitment signed."""
        return {
            "_csrf_token": self.client.cookies["iph_csrf"],
            "idempotency_key": secrets.token_urlsafe(18),
            "commitment": commitment,
        }

    async def send(self, reference: str, commitment: str) -> None:
        answer = await self.post(f"/my/matters/{reference}/send", self.send_form(commitment))
        if not answer.headers["location"].endswith(f"/my/matters/{reference}?sent=1"):
            sys.exit(f"bench: sending {reference} led to {answer.headers['location']}")


async def file_a_draft(applicant: Visitor) -> str:
    """A draft taken through the app's screens up to the review: its reference."""
    from backend.inquiries.numbers import check_character

    started = await applicant.post(f"/matters/{KIND}/new", {})
    reference = started.headers["location"].split("/")[3]
    patent = f"{PATENT_BODY}.{check_character(PATENT_BODY)}"
    steps = [("record", {"record_number_other": patent}), ("change", ADDRESS)]
    steps += [("holder", ENTERPRISE), ("documents", {})]
    for key, answers in steps:
        answered = await applicant.post(f"/my/matters/{reference}/steps/{key}", answers)
    if not answered.headers["location"].endswith(f"/my/matters/{reference}/review"):
        sys.exit(f"bench: the draft's last step led to {answered.headers['location']}")
    review = await applicant.client.get(f"/my/matters/{reference}/review")
    if review.status_code != 200 or 'name="idempotency_key"' not in review.text:
        sys.exit(f"bench: the review of {reference} answered {review.status_code}")
    return reference


def commitment_version() -> str:
    from backend.matters.catalogue import catalogue

    return catalogue().get(KIND).current_commitment.version


def queue_rows(page: httpx.Response) -> int:
    if page.status_code != 200:
        sys.exit(f"bench: GET {QUEUE} answered {page.status_code}")
    return page.text.count('href="/staff/matters/')


# --- the database, from this process ------------------------------------------------------------


async def copy_draft(reference: str, owners: list[int], count: int) -> list[tuple[int, str]]:
    """`count` drafts like this one (its answers, type and outlet), each owner in turn: (owner,
    reference) of each."""
    from backend.matters.service import new_reference
    from backend.matters.tables import Matter

    model = await Matter.select().where(Matter.reference == reference).first()
    made = []
    for first in range(0, count, BATCH):
        rows = []
        for number in range(first, min(first + BATCH, count)):
            owner = owners[number % len(owners)]
            made.append((owner, new_reference()))
            rows.append(
                Matter(
                    reference=made[-1][1],
                    type_code=model["type_code"],
                    applicant=owner,
                    outlet=model["outlet"],
                    record_number=model["record_number"],
                    answers=model["answers"],
                )
            )
        await Matter.insert(*rows)
    return made


async def what_was_stored(owners: list[int]) -> dict[str, int]:
    """For these applicants: drafts, matters sent, their submission events, idempotency records,
    inbox messages; and all matters."""
    from backend.idempotency.tables import IdempotencyRecord
    from backend.matters.service import SUBMISSION_SCOPE
    from backend.matters.tables import Matter, MatterEvent
    from backend.matters.workflow import Status
    from backend.notifications.tables import InboxEntry

    theirs = Matter.applicant.is_in(owners)
    records = 0
    for owner in owners:
        prefix = f"{SUBMISSION_SCOPE}|account:{owner}|"
        records += await IdempotencyRecord.count().where(
            IdempotencyRecord.natural_key.like(f"{prefix}%")
        )
    return {
        "drafts": await Matter.count().where(theirs & (Matter.status == Status.draft)),
        "submitted": await Matter.count().where(theirs & (Matter.status == Status.submitted)),
        "events": await MatterEvent.count().where(
            MatterEvent.matter.applicant.is_in(owners) & (MatterEvent.action == "submit")
        ),
        "idempotency_records": records,
        "inbox": await InboxEntry.count().where(InboxEntry.account.is_in(owners)),
        "matters": await Matter.count(),
    }


# --- one profile (the child process) ------------------------------------------------------------


async def sign_in_the_office(server: bench.Server, outbox: Path) -> dict[str, tuple[str, int]]:
    """The staff member's and the supervisor's cookies, and the rows their queue page shows."""
    office = {}
    for role in ("staff", "supervisor"):
        async with client_of(server) as client:
            visitor = Visitor(client, outbox)
            await visitor.sign_in(f"bench-{role}@example.test")
            office[role] = (visitor.cookie(), queue_rows(await client.get(QUEUE)))
    return office


async def prepare_drafts(
    server: bench.Server, outbox: Path, args: argparse.Namespace, drafts_file: Path
) -> tuple[list[int], dict[str, int]]:
    """The applicants (their ids), the drafts file for wrk, and the check: a draft filed through
    the screens and sent. What was stored for them before the check is sent."""
    commitment = commitment_version()
    applicants = [Visitor(client_of(server), outbox) for _ in range(args.applicants)]
    addresses = [f"bench-sender-{number}@example.test" for number in range(args.applicants)]
    for number, (applicant, address) in enumerate(zip(applicants, addresses, strict=True)):
        await applicant.sign_up(address, f"sender {number}")
    await open_engine()
    try:
        owners = await account_ids(addresses)
        checked = await file_a_draft(applicants[0])
        bench.log(f"{args.drafts:,} drafts like {checked} for {len(owners)} applicants")
        drafts = await copy_draft(checked, owners, args.drafts)
        before = await what_was_stored(owners)
        await applicants[0].send(checked, commitment)
    finally:
        await close_engine()
    who = dict(zip(owners, applicants, strict=True))
    with drafts_file.open("w") as lines:
        for owner, reference in drafts:
            form = urllib.parse.urlencode(who[owner].send_form(commitment))
            lines.write(f"/my/matters/{reference}/send\t{who[owner].cookie()}\t{form}\n")
    for applicant in applicants:
        await applicant.client.aclose()
    return owners, before


def measure_sending(
    profile: Profile, server: bench.Server, args: argparse.Namespace
) -> tuple[bench.Load, dict]:
    """wrk through the drafts; then what wrk sent and what the database holds more."""
    drafts_file = profile.var_dir / "drafts.tsv"
    owners, before = asyncio.run(prepare_drafts(server, profile.outbox, args, drafts_file))
    request = (
        "`POST /my/matters/<reference>/send` (a new draft and idempotency key each, "
        f"{len(owners)} applicants' sessions)"
    )
    load, sent = http_app.measure_form_posts(
        profile, server, "send", request, drafts_file, accepted="?sent=1"
    )
    after = asyncio.run(with_engine(lambda: what_was_stored(owners)))
    return load, {
        "drafts": args.drafts + 1,
        "wrk_sent": sent,
        "stored": {name: after[name] - before[name] for name in after},
    }


def run_profile(args: argparse.Namespace) -> dict:
    profile = Profile.of_child(args, "matters")
    loadavg = {"start": os.getloadavg()}
    bench.setup_database(profile.var_dir, **profile.extra)
    bench.log(f"{profile.engine}: writing {args.matters:,} matters (bench/matters.py's fill)")
    filled = asyncio.run(with_engine(lambda: fill(args.matters)))
    loads = [profile.measure_plain()]
    try:
        with profile.app_server() as server:
            office = asyncio.run(sign_in_the_office(server, profile.outbox))
            for role, (cookie, _rows) in office.items():
                headers = {**BROWSER, "Cookie": cookie}
                request = f"`GET {QUEUE}` (Accept-Encoding: br, gzip; the {role}'s cookies)"
                loads.append(
                    profile.measure(
                        server, f"queue, {role}", QUEUE, headers=headers, request=request
                    )
                )
            load, sending = measure_sending(profile, server, args)
            loads.append(load)
    finally:
        profile.forget_namespace(args.redis_url)
    loadavg["end"] = os.getloadavg()
    return {
        "engine": profile.engine,
        "database": database_version(profile.engine),
        "matters": filled,
        "rows_shown": {role: rows for role, (_cookie, rows) in office.items()},
        "loads": [dataclasses.asdict(load) for load in loads],
        "loadavg": loadavg,
        **sending,
    }


# --- the report ---------------------------------------------------------------------------------


def check_counts(result: dict) -> list[str]:
    """Each request sent made one matter with its event, idempotency record and inbox message,
    or nothing, when wrk had gone before the app read its body (+1: the check this script sent).
    """
    sent, stored = result["wrk_sent"], result["stored"]
    problems = []
    if sent["beyond"]:
        problems.append(f"wrk ran out of drafts ({sent['beyond']} requests repeated one)")
    if sent["refused"]:
        problems.append(f"{sent['refused']} answers were not a submission")
    made = stored["submitted"]
    for name in ("events", "idempotency_records", "inbox"):
        if stored[name] != made:
            problems.append(f"{name}: {stored[name]:,} for {made:,} submitted matters")
    if -stored["drafts"] != made:
        problems.append(f"{-stored['drafts']:,} drafts fewer for {made:,} submitted matters")
    if made + sent["gone"] != sent["sent"] + 1:
        problems.append(
            f"{made:,} submitted and {sent['gone']} left unread for {sent['sent'] + 1:,} sent"
        )
    if made < sent["accepted"] + 1:
        problems.append(f"{made:,} submitted for {sent['accepted'] + 1:,} answered")
    return problems


def markdown(figures: dict[str, dict], info: dict[str, str], args: argparse.Namespace) -> str:
    lines = [f"{http_app.machine_line(info, figures, args)} {args.applicants} applicants.", ""]
    for engine, result in figures.items():
        loads = [bench.Load(**load) for load in result["loads"]]
        filled = result["matters"]
        lines += [
            f"**{PROFILES[engine]}**: {filled['busiest_count']:,} of the {args.matters:,} matters "
            f"at the staff member's window ({len(filled['outlets'])} windows), written in "
            f"{filled['load_s']:.0f} s; {http_app.loadavg_note(result['loadavg'])}",
            "",
            *http_app.load_rows(loads),
        ]
        sent, stored = result["wrk_sent"], result["stored"]
        problems = check_counts(result)
        lines += [
            "",
            f"Queue page rows shown: staff {result['rows_shown']['staff']}, supervisor "
            f"{result['rows_shown']['supervisor']}. Sending: {result['drafts']:,} drafts "
            f"prepared; wrk sent {sent['sent']:,} (warm-ups and every run included) and the "
            f"script 1 (the check); {sent['accepted']:,} answered 303 to `?sent=1` before wrk "
            f"stopped, {sent['refused']} answered otherwise, the rest were in flight when wrk "
            f"stopped, of which {sent['gone']} found wrk gone before the app read their body "
            f"(logged: client disconnected prematurely; nothing stored). The database holds "
            f"{stored['submitted']:,} matters submitted, {stored['events']:,} submission "
            f"events, {stored['idempotency_records']:,} idempotency records and "
            f"{stored['inbox']:,} inbox messages more, {-stored['drafts']:,} drafts fewer: "
            + (
                "each request sent made one matter, or nothing when its client had gone."
                if not problems
                else "**" + "; ".join(problems) + "**"
            ),
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    http_app.add_load_options(parser, seconds=http_app.BUDGET_LOAD_SECONDS)
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--drafts", type=int, default=60_000, help="drafts for wrk to send")
    parser.add_argument("--applicants", type=int, default=8, help="who the drafts are spread over")
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
