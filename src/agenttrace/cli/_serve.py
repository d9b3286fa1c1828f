"""``agenttrace serve``: run the collector (API + dashboard) in the foreground."""

from __future__ import annotations

import importlib.util
from typing import Annotated

import typer

from agenttrace.cli._database import DataDirOption
from agenttrace.core.defaults import DEFAULT_PORT
from agenttrace.exceptions import UserError

__all__ = ["serve"]

_SERVER_MODULES = ("fastapi", "uvicorn")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on (0 picks a free one).")
    ] = DEFAULT_PORT,
    database: Annotated[
        str | None,
        typer.Option(
            envvar="AGENTTRACE_DATABASE_URL",
            metavar="URL",
            help="sqlite:///path/to/file.db or postgresql://user:pass@host/db "
            "(default: SQLite in the data directory).",
        ),
    ] = None,
    data_dir: DataDirOption = None,
    *,
    allow_open: Annotated[
        bool,
        typer.Option(
            "--allow-open",
            help="Serve a non-loopback --host although no API key exists (anyone who reaches "
            "it can read and write every session).",
        ),
    ] = False,
    rate_limit: Annotated[
        float,
        typer.Option(
            min=0,
            help="Requests per second per API key, bursts of twice that; 0 turns it off.",
        ),
    ] = 100.0,
    retention: Annotated[
        str | None,
        typer.Option(
            envvar="AGENTTRACE_RETENTION",
            metavar="SPAN",
            help="Prune sessions that ended longer ago than this, at start and every hour "
            "(e.g. 30d; default: keep everything).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Collector processes sharing the port and the database: more cores for "
            "ingest when several clients post at once. Each process keeps its own rate "
            "limits; --retention needs a single process.",
        ),
    ] = 1,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            envvar="AGENTTRACE_ALLOWED_HOSTS",
            metavar="NAME",
            help="A host name clients use to reach the collector, beside localhost and IP "
            "addresses (repeatable, or comma separated in the variable; * for any). Other "
            "names get 421 (a web page trying DNS rebinding), while no API key exists, or "
            "always once this is given.",
        ),
    ] = None,
) -> None:
    """Run the collector and dashboard on http://HOST:PORT until interrupted."""
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        msg = (
            f"the collector needs {' and '.join(missing)}, which are not installed; install "
            "the server extra: pip install 'agenttrace[server]'"
        )
        raise UserError(msg)
    from agenttrace.server import serve as run_collector
    from agenttrace.server._serve import retention_span

    directory = data_dir.expanduser() if data_dir is not None else None
    run_collector(
        host,
        port,
        database,
        directory,
        allow_open=allow_open,
        workers=workers,
        allowed_hosts=allowed_host or (),
        rate_limit=rate_limit or None,
        retention=retention_span(retention),
    )
