"""The collector's database as the maintenance commands (``keys``, ``db``) open it: the
same ``--database`` / ``--data-dir`` options and environment variables as ``serve``."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agenttrace.exceptions import UserError

if TYPE_CHECKING:
    from agenttrace.server.store import Store

__all__ = ["DataDirOption", "DatabaseOption", "collector_store"]

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        envvar="AGENTTRACE_DATABASE_URL",
        metavar="URL",
        help="The collector's database: sqlite:///path/to/file.db or postgresql://... "
        "(default: SQLite in the data directory, as for serve).",
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        envvar="AGENTTRACE_DATA_DIR",
        metavar="DIR",
        file_okay=False,
        help="Where the default SQLite file lives (default: the user data directory).",
    ),
]


@contextmanager
def collector_store(database: str | None, data_dir: Path | None, *, task: str) -> Iterator[Store]:
    """The collector's database, opened (and migrated) as ``serve`` would, then closed.

    ``task`` completes "... needs the server extra" in the error when it is missing.
    """
    if importlib.util.find_spec("fastapi") is None:
        msg = (
            f"{task} needs the server extra, which is not installed: "
            "pip install 'agenttrace[server]'"
        )
        raise UserError(msg)
    from agenttrace.server import open_store, resolve_database_url

    store = open_store(resolve_database_url(database, data_dir))
    try:
        yield store
    finally:
        store.close()
