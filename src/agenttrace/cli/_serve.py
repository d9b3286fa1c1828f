"""``agenttrace serve``: run the collector (API + dashboard) in the foreground.

It is also the command line of ``python -m agenttrace.server`` (`main`): one set of
options, one parser, for both.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer

from agenttrace.cli._collector_database import DataDirOption
from agenttrace.core.defaults import DEFAULT_PORT
from agenttrace.exceptions import AgentTraceError, UserError

__all__ = ["MODULE_PROG", "main", "serve"]

MODULE_PROG = "python -m agenttrace.server"

_SERVER_MODULES = ("fastapi", "uvicorn")


class LogLevel(StrEnum):
    """``--log-level``: how much uvicorn logs (info: a line per request)."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    DEBUG = "debug"
    TRACE = "trace"


def serve(
    host: Annotated[
        str, typer.Option(metavar="HOST", help="Interface to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            metavar="PORT", min=0, max=65535, help="Port to listen on (0 picks a free one)."
        ),
    ] = DEFAULT_PORT,
    database: Annotated[
        str | None,
        typer.Option(
            envvar="AGENTTRACE_DATABASE_URL",
            metavar="URL",
            help="sqlite:///path/to/file.db (or a file path such as ./traces.db) or "
            "postgresql://user:pass@host/db (default: SQLite in the data directory).",
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
            metavar="N",
            min=0,
            help="Records per second per API key (a batch costs its number of records, an "
            "OTLP export its number of spans, a query or a Helicone log one), bursts of "
            "twice that; 0 turns it off.",
        ),
    ] = 5_000.0,
    read_timeout: Annotated[
        float,
        typer.Option(
            min=0,
            metavar="SECONDS",
            help="How long a client may take to send a request's headers, and again its "
            "body; slower connections get 408 and are closed. 0 turns it off.",
        ),
    ] = 30.0,
    max_connections: Annotated[
        int,
        typer.Option(
            metavar="N",
            min=0,
            help="Connections served at once per collector process; requests on more get "
            "503 with Retry-After. 0 turns it off.",
        ),
    ] = 500,
    retention: Annotated[
        str | None,
        typer.Option(
            envvar="AGENTTRACE_RETENTION",
            metavar="SPAN",
            help="Prune sessions that ended longer ago than this, at start and every hour "
            "(e.g. 30d; default: keep everything).",
        ),
    ] = None,
    alert_interval: Annotated[
        float,
        typer.Option(
            envvar="AGENTTRACE_ALERT_INTERVAL",
            metavar="SECONDS",
            min=0,
            help="Evaluate the alert rules and send their webhooks this often (one "
            "collector at a time, however many share the database); 0 turns alerts off.",
        ),
    ] = 15.0,
    workers: Annotated[
        int,
        typer.Option(
            metavar="N",
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
    max_body_bytes: Annotated[
        int | None,
        typer.Option(
            metavar="BYTES",
            min=1,
            help="Largest request body accepted (default 16 MiB).",
        ),
    ] = None,
    log_level: Annotated[
        LogLevel,
        typer.Option(
            metavar="[" + "|".join(LogLevel) + "]",
            case_sensitive=False,
            help="How much uvicorn logs (info: one line per request).",
        ),
    ] = LogLevel.INFO,
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
    limits: dict[str, Any] = {} if max_body_bytes is None else {"max_body_bytes": max_body_bytes}
    run_collector(
        host,
        port,
        database,
        directory,
        allow_open=allow_open,
        log_level=log_level.value,
        workers=workers,
        allowed_hosts=allowed_host or (),
        rate_limit=rate_limit or None,
        retention=retention_span(retention),
        read_timeout=read_timeout or None,
        max_connections=max_connections or None,
        alert_interval=alert_interval or None,
        **limits,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m agenttrace.server [OPTIONS]``: the ``agenttrace serve`` command under
    that name. Returns the exit status: 2, with one line on stderr, when the collector
    cannot start (``agenttrace serve`` exits 1)."""
    module = typer.Typer(add_completion=False, rich_markup_mode=None)
    module.command(
        help="Run the agenttrace collector (ingest, query API, dashboard, API docs at /docs) "
        "on http://HOST:PORT until interrupted."
    )(serve)
    command = typer.main.get_command(module)
    try:
        command.main(
            args=None if argv is None else list(argv),
            prog_name=MODULE_PROG,
            standalone_mode=True,
        )
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    except AgentTraceError as exc:
        print(f"agenttrace.server: {exc}", file=sys.stderr)
        return 2
    return 0
