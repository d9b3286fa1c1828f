"""``agenttrace db upgrade | prune``: maintain a collector's database directly.

Like ``agenttrace keys``, these open the database the collector uses (the same
``--database`` / ``--data-dir`` and environment variables), whether a collector runs or
not. ``upgrade`` applies the schema migrations (a collector also does on start; two at once
do not race); ``prune`` deletes old sessions in short transactions, so a running
collector keeps ingesting meanwhile.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from agenttrace.cli._collector_database import DatabaseOption, DataDirOption, collector_store
from agenttrace.cli._shared import PLAIN_HELP, stdout
from agenttrace.core.spans import SPAN_HELP, require_span

__all__ = ["db_app"]

db_app = typer.Typer(
    name="db",
    help="Upgrade the collector's database schema, or prune old sessions.",
    no_args_is_help=True,
    **PLAIN_HELP,
)


@db_app.command("upgrade")
def upgrade(database: DatabaseOption = None, data_dir: DataDirOption = None) -> None:
    """Apply the schema migrations the database does not have yet."""
    with collector_store(database, data_dir, task="upgrading the database") as store:
        applied = getattr(store, "applied_migrations", [])
        done = f"applied migration(s) {', '.join(map(str, applied))}" if applied else "up to date"
        stdout().print(f"{store!r}: schema version {store.schema_version()} ({done})")


@db_app.command("prune")
def prune(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="SPAN",
            help=f"Delete sessions whose last request ended longer ago than this ({SPAN_HELP}).",
        ),
    ],
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
    batch_sessions: Annotated[
        int, typer.Option(metavar="N", min=1, help="Sessions deleted per transaction.")
    ] = 500,
) -> None:
    """Delete old sessions (every project's) with their requests, in short transactions."""
    cutoff = datetime.now(UTC) - require_span(older_than, "--older-than")
    with collector_store(database, data_dir, task="pruning the database") as store:
        counts = store.prune(cutoff, batch_sessions=batch_sessions)
    stdout().print(
        f"deleted {counts.sessions} session(s) and {counts.records} request(s) that ended "
        f"before {cutoff.isoformat(timespec='seconds')}, in {counts.batches} transaction(s)"
    )
