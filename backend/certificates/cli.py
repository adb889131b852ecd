"""`litestar iph api-key …`: the administrator issues and revokes the data interface's keys."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING

import click
from litestar.cli._utils import LitestarGroup

from backend.certificates import api_keys
from backend.core import database

if TYPE_CHECKING:
    from litestar import Litestar


@click.group(name="api-key", cls=LitestarGroup, help="Keys of the data interface (/api/v1).")
def api_key_group() -> None:
    pass


@api_key_group.command("create", help="Issue a key; it is printed once and never kept.")
@click.option("--name", required=True, help="Whose system it is for, e.g. 'Bank of X'.")
def create(app: Litestar, name: str) -> None:
    row, key = asyncio.run(_with_engine(app, api_keys.create_key(name)))
    click.echo(f"API key {row.id} for {row.name} (send it as {api_keys.HEADER}; shown only now):")
    click.echo(key)


@api_key_group.command("revoke", help="Revoke a key by its id: its calls are refused from now.")
@click.argument("key_id", type=int)
def revoke(app: Litestar, key_id: int) -> None:
    try:
        row = asyncio.run(_with_engine(app, api_keys.revoke_key(key_id, dt.datetime.now(dt.UTC))))
    except api_keys.KeyNotFound as error:
        raise click.ClickException(f"no API key has the id {key_id}") from error
    click.echo(f"API key {row.id} ({row.name}) revoked")


@api_key_group.command("list", help="Every key: id, name, first characters, revoked or not.")
def list_keys(app: Litestar) -> None:
    for row in asyncio.run(_with_engine(app, api_keys.all_keys())):
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "live"
        click.echo(f"{row.id}\t{row.name}\t{row.prefix}…\t{state}")


async def _with_engine(app: Litestar, work):
    await database.open_engine(app.state.engine)
    try:
        return await work
    finally:
        await database.close_engine(app.state.engine)
