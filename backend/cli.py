"""Project commands under `litestar iph …`: migrate, seed, setup."""

from __future__ import annotations

import asyncio
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
    created = asyncio.run(_with_engine(app, _seed()))
    click.echo(f"demo data: {created} new rows")


@iph_group.command(help="Migrate, then load the demo data if the database has none (make run).")
def setup(app: Litestar) -> None:
    asyncio.run(_migrate())
    created = asyncio.run(_with_engine(app, _seed()))
    click.echo(f"database ready; demo data: {created} new rows")


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


async def _seed() -> int:
    from backend.demo import load_demo_data

    return await load_demo_data()


class IPHCLIPlugin(CLIPluginProtocol):
    def on_cli_init(self, cli: click.Group) -> None:
        cli.add_command(iph_group)
