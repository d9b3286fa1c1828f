"""``agenttrace keys create | list | revoke``: the API keys of a collector's database.

Keys live in the collector's own database (the one ``agenttrace serve`` uses), so these
commands work on the database directly, whether the collector runs or not; a running
collector sees a new or revoked key on its next request. Once any key exists, the
collector needs a key on every ingest and query request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agenttrace.cli._collector_database import DatabaseOption, DataDirOption, collector_store
from agenttrace.cli._help import PlainHelpCommand
from agenttrace.cli._shared import PLAIN_HELP, echo_json, stdout
from agenttrace.exceptions import UserError

if TYPE_CHECKING:
    from agenttrace.server.store.api_keys import KeyStore

__all__ = ["keys_app"]

keys_app = typer.Typer(
    name="keys",
    help="Create, list and revoke API keys (one project per key).",
    no_args_is_help=True,
    **PLAIN_HELP,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def _key_store(database: str | None, data_dir: Path | None) -> Iterator[KeyStore]:
    from agenttrace.server.app import store_keys

    with collector_store(database, data_dir, task="managing keys") as store:
        keys = store_keys(store)
        if keys is None:
            msg = f"{store!r} keeps no API keys"
            raise UserError(msg)
        yield keys


@keys_app.command("create")
def create(
    project: Annotated[
        str,
        typer.Option(
            metavar="PROJECT", help="The project the key opens (letters, digits, '.', '_', '-')."
        ),
    ],
    *,
    name: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="A label to tell keys apart, e.g. ci or laptop."),
    ] = None,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a key for PROJECT and print it once (only its hash is stored)."""
    with _key_store(database, data_dir) as store:
        new = store.create_key(project, name)
    typer.echo(
        f"Created API key {new.key.display} for project {project!r}. Copy it now: it is "
        "not shown again. Use it as AGENTTRACE_API_KEY (or Authorization: Bearer <key>).",
        err=True,
    )
    typer.echo(new.secret)


@keys_app.command("list")
def list_keys(
    *,
    project: Annotated[
        str | None, typer.Option(metavar="PROJECT", help="Only this project's keys.")
    ] = None,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the keys (their ids, never their secrets), revoked ones included."""
    with _key_store(database, data_dir) as store:
        found = store.list_keys(project)
    if as_json:
        echo_json(
            [
                {
                    "key_id": key.key_id,
                    "project": key.project_id,
                    "name": key.name,
                    "created_at": key.created_at.isoformat(),
                    "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
                }
                for key in found
            ]
        )
        return
    if not found:
        typer.echo("no API keys: the collector runs open (agenttrace keys create --project NAME)")
        return
    from rich.table import Table

    from agenttrace.cli import _format as fmt

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for column in ("Key", "Project", "Name", "Created", "Status"):
        table.add_column(column, no_wrap=column != "Name")
    for key in found:
        status = "active" if key.active else f"revoked {fmt.when(key.revoked_at)}"
        table.add_row(
            key.display, key.project_id, key.name or fmt.NONE, fmt.when(key.created_at), status
        )
    stdout().print(table)


@keys_app.command("revoke", cls=PlainHelpCommand)
def revoke(
    key_id: Annotated[
        str, typer.Argument(metavar="KEY_ID", help="The key's id (from keys list) or the key.")
    ],
    *,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Revoke a key: requests with it get 401 from then on."""
    with _key_store(database, data_dir) as store:
        key = store.revoke_key(key_id)
    typer.echo(f"revoked {key.display} (project {key.project_id!r})")
