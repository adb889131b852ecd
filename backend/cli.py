"""Project commands under `litestar iph …`: migrate, seed, setup, worker, static-export, …"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click
from litestar.cli._utils import LitestarGroup  # the documented cls for groups that need `app`
from litestar.plugins import CLIPluginProtocol

if TYPE_CHECKING:
    from litestar import Litestar


@click.group(cls=LitestarGroup, name="iph", help="IP Handheld: database and data commands.")
def iph_group() -> None:
    pass


@iph_group.command(help="Apply every Piccolo migration not yet applied.")
def migrate() -> None:
    asyncio.run(_migrate())


@iph_group.command(help="Load the demo data (deterministic; running it twice adds nothing).")
def seed(app: Litestar) -> None:
    created = asyncio.run(_with_engine(app, _seed(app)))
    click.echo(f"demo data: {created} new rows")


@iph_group.command(help="Migrate, then load the demo data if the database has none (make run).")
def setup(app: Litestar) -> None:
    asyncio.run(_migrate())
    created = asyncio.run(_with_engine(app, _seed(app)))
    click.echo(f"database ready; demo data: {created} new rows")
    instructions = asyncio.run(_with_engine(app, _demo_sign_in(app)))
    click.echo(instructions)


@iph_group.command(
    "create-staff", help="Create or promote a staff account; print its enrolment link."
)
@click.option("--email", required=True, help="The person's e-mail address.")
@click.option(
    "--role",
    type=click.Choice(["staff", "supervisor", "admin"]),
    default="staff",
    show_default=True,
)
@click.option("--outlet", default="", help="The outlet they work at: its name or id.")
def create_staff(app: Litestar, email: str, role: str, outlet: str) -> None:
    link = asyncio.run(_with_engine(app, _enrolment_link(app, email, role, outlet)))
    click.echo(f"One-time enrolment link for {email} ({role}), valid 24 hours:\n{link}")


@iph_group.command(help="Run the scale profile's job worker: periodic jobs, sends, indexing.")
@click.option("--concurrency", default=10, show_default=True, help="Jobs run at once.")
def worker(app: Litestar, concurrency: int) -> None:
    from backend.core.jobs import worker_for

    if app.state.jobs is None:
        raise click.ClickException(
            "IPH_REDIS_URL is not set: the embedded profile runs its jobs in the web process"
        )
    asyncio.run(_with_engine(app, _run_worker(app, worker_for(app, concurrency=concurrency))))


async def _run_worker(app: Litestar, job_worker) -> None:
    try:
        await job_worker.run()
    finally:
        await app.state.jobs.disconnect()


@iph_group.command(
    "static-export",
    help="Write the static files, with .br and .gz copies, for a reverse proxy to serve from disk "
    "(default folder: IPH_VAR_DIR/static; deploy/nginx/iph.conf).",
)
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
def static_export(app: Litestar, folder: Path | None) -> None:
    target = folder or app.state.settings.var_path / "static"
    written = app.state.assets.export(target)
    click.echo(f"static files: {written} written under {target}")


@iph_group.group(name="import", cls=LitestarGroup, help="Import data files.")
def import_group() -> None:
    pass


@import_group.command(
    "records", help="Import records from CSV or JSON Lines (docs/import-records.md)."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_records(app: Litestar, file: Path) -> None:
    from rich.progress import Progress

    from backend.inquiries.importer import import_file
    from backend.inquiries.routes import forget_record_pages

    with Progress() as progress:
        task = progress.add_task(f"importing {file.name}", total=None)
        result = asyncio.run(
            _with_engine(
                app,
                import_file(file, lambda n: progress.advance(task, n), _marks_dir(app)),
            )
        )
    asyncio.run(forget_record_pages(app, result.updated_numbers))
    for problem in result.problems:
        click.echo(f"{file}:{problem.line}: {problem.message}", err=True)
    if result.problems:
        raise click.ClickException(f"{len(result.problems)} problem(s): nothing was imported")
    click.echo(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")
    if result.trademark_ids:
        _index_marks(app, result.trademark_ids)


def _index_marks(app: Litestar, record_ids: list[int]) -> None:
    """New or changed marks into the image-search index: queued for the worker (scale
    profile), or indexed here (embedded)."""
    from backend.marks.jobs import index_after_import

    asyncio.run(_with_engine(app, index_after_import(record_ids, app.state.jobs)))
    if app.state.jobs is None:
        click.echo(f"image search: {len(record_ids)} trademark(s) indexed")
    else:
        click.echo(f"image search: {len(record_ids)} trademark(s) queued for indexing")


@iph_group.command(
    "reviews-retally",
    help="Count the review figures' running tallies again from the events, reviews, cases and "
    "appeals (after migrating a database that had reviews before the tallies).",
)
def reviews_retally(app: Litestar) -> None:
    from backend.reviews.tallies import rebuild

    rows = asyncio.run(_with_engine(app, rebuild()))
    click.echo(f"review figures: {rows} tally row(s) counted from the raw tables")


@iph_group.command(
    "marks-rebuild", help="Rebuild the trademark image-search index from every mark image."
)
def marks_rebuild(app: Litestar) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from backend.marks.service import rebuild_index

    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn()) as progress:
        task = progress.add_task("indexing marks", total=None)
        entries = asyncio.run(
            _with_engine(
                app,
                rebuild_index(
                    lambda done, total: progress.update(task, completed=done, total=total)
                ),
            )
        )
    click.echo(f"image search: {entries} marks indexed")


@import_group.command("guides", help="Import guides from content/guides (or FOLDER).")
@click.argument(
    "folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
def import_guides_command(app: Litestar, folder: Path | None) -> None:
    from backend.guides.service import CONTENT_DIR, import_guides

    result = asyncio.run(_with_engine(app, import_guides(folder or CONTENT_DIR)))
    for problem in result.problems:
        click.echo(str(problem), err=True)
    if result.problems:
        raise click.ClickException(f"{len(result.problems)} problem(s): nothing was imported")
    click.echo(f"new versions {result.new_versions}, unchanged {result.unchanged}")


@import_group.command(
    "outlets", help="Import service outlets from CSV or JSON Lines (docs/import-outlets.md)."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_outlets(app: Litestar, file: Path) -> None:
    from backend.outlets.importer import read_rows, write_rows

    rows, problems = read_rows(file)
    lines = [f"{file}:{problem.line}: {problem.message}" for problem in problems]
    result = _write_checked_rows(app, file, rows, lines, write_rows)
    click.echo(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")


@import_group.command(
    "gi", help="Import GI products: CSV, JSON Lines or the CNIPA JSON (docs/import-gi.md)."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_gi(app: Litestar, file: Path) -> None:
    from backend.geo_indications.importer import read_rows, write_rows
    from backend.geo_indications.routes import forget_product_pages

    rows, problems, unresolved = read_rows(file)
    lines = [f"{file}: {problem}" for problem in problems]
    result = _write_checked_rows(app, file, rows, lines, write_rows)
    if result.updated:  # the cached pages of the products it changed (of all: imports are rare)
        asyncio.run(forget_product_pages(app))
    for place in unresolved:
        click.echo(f"{file}: {place.unit} {place.line}: {place.message!r} not found", err=True)
    click.echo(
        f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}; "
        f"{len(unresolved)} kept without the prefecture or county that was not found"
    )


@import_group.command(
    "gi-users",
    help="Import authorised users of GI special marks: CSV or JSON Lines (docs/import-gi.md).",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_gi_users(app: Litestar, file: Path) -> None:
    from backend.geo_indications.authorised_users import read_rows, write_rows
    from backend.geo_indications.routes import forget_product_pages

    rows, problems = asyncio.run(_with_engine(app, read_rows(file)))
    lines = [f"{file}: {problem}" for problem in problems]
    result = _write_checked_rows(app, file, rows, lines, write_rows)
    if result.created or result.updated:  # product pages list their users
        asyncio.run(forget_product_pages(app))
    click.echo(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")


@import_group.command(
    "business-entities",
    help="Import entities of the business register from CSV (docs/import-business-entities.md).",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_business_entities(app: Litestar, file: Path) -> None:
    from backend.business_register.service import read_rows, write_rows

    rows, problems = read_rows(file)
    lines = [f"{file}:{problem.line}: {problem.message}" for problem in problems]
    result = _write_checked_rows(app, file, rows, lines, write_rows)
    click.echo(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")


@import_group.command(
    "working-days",
    help="Import holidays and adjusted working days from CSV (docs/import-working-days.md).",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_working_days(app: Litestar, file: Path) -> None:
    from backend.working_days.importer import read_rows, write_rows

    rows, problems = read_rows(file)
    lines = [f"{file}:{problem.line}: {problem.message}" for problem in problems]
    result = _write_checked_rows(app, file, rows, lines, write_rows)
    click.echo(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")


def _write_checked_rows(
    app: Litestar, file: Path, rows: list, problem_lines: list[str], write_rows
):
    """An import after its rows were checked: any problem refuses the whole file (each line
    printed), else the rows are written behind a progress bar."""
    for line in problem_lines:
        click.echo(line, err=True)
    if problem_lines:
        raise click.ClickException(f"{len(problem_lines)} problem(s): nothing was imported")
    with click.progressbar(length=len(rows), label=f"importing {file.name}") as bar:
        return asyncio.run(_with_engine(app, write_rows(rows, bar.update)))


CLI_META_CLIENT = "cli"


async def _enrolment_link(app: Litestar, email: str, role: str, outlet: str = "") -> str:
    from backend.auth.audit import RequestMeta
    from backend.auth.enrolment import issue_enrolment_link
    from backend.auth.service import normalise_email
    from backend.auth.tables import Account
    from backend.outlets.service import assign_staff, outlet_id_named

    outlet_id = await outlet_id_named(outlet) if outlet else None
    if outlet and outlet_id is None:
        raise click.ClickException(f"no outlet with the name or id {outlet!r}")
    meta = RequestMeta(client_ip=CLI_META_CLIENT, user_agent="litestar iph", request_id="-")
    token = await issue_enrolment_link(app.state.auth, email, Account.Role(role), meta)
    if outlet_id is not None:
        account = await Account.objects().where(Account.email == normalise_email(email)).first()
        await assign_staff(account.id, outlet_id)
    return f"{app.state.settings.origin}/enrol/{token}"


async def _demo_sign_in(app: Litestar) -> str:
    """How to sign in as each demo account; fresh enrolment links for staff without a passkey."""
    from backend.auth.tables import Account, Passkey
    from backend.demo import DEMO_ACCOUNTS

    lines = ["Demo accounts (sign-in codes and enrolment links also land in var/outbox):"]
    for email, _, role in DEMO_ACCOUNTS:
        account = await Account.objects().where(Account.email == email).first()
        has_passkey = await Passkey.exists().where(Passkey.account == account.id)
        if role == Account.Role.applicant or has_passkey:
            lines.append(f"  {role:<10} {email}: sign in at /signin (passkey or e-mail code)")
            continue
        link = await _enrolment_link(app, email, role)
        await app.state.auth.mail.send(email, "IP Handheld staff enrolment", link)
        lines.append(f"  {role:<10} {email}: create a passkey at {link}")
    return "\n".join(lines)


async def _migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all")
    if not result.success:
        raise click.ClickException(f"migrations failed: {result.message}")


async def _with_engine(app: Litestar, work):
    from backend.core import database

    engine = app.state.engine
    await database.open_engine(engine)
    try:
        return await work
    finally:
        await database.close_engine(engine)


def _marks_dir(app: Litestar) -> Path:
    return app.state.settings.var_path / "marks"


async def _seed(app: Litestar) -> int:
    from backend.demo import load_demo_data

    return await load_demo_data(marks_dir=_marks_dir(app), mark_count=app.state.settings.demo_marks)


class IPHCLIPlugin(CLIPluginProtocol):
    def on_cli_init(self, cli: click.Group) -> None:
        from backend.certificates.cli import api_key_group

        iph_group.add_command(api_key_group)
        cli.add_command(iph_group)
