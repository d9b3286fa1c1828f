"""The ``agenttrace`` command: global options, error reporting, command registration."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from agenttrace.cli import _query_commands
from agenttrace.cli._alert_commands import alerts_app
from agenttrace.cli._db_commands import db_app
from agenttrace.cli._export_command import export
from agenttrace.cli._help import PlainHelpCommand
from agenttrace.cli._keys_commands import keys_app
from agenttrace.cli._metrics_command import metrics
from agenttrace.cli._score_commands import score_app
from agenttrace.cli._serve import serve
from agenttrace.cli._shared import PLAIN_HELP, GlobalOptions
from agenttrace.cli._tail_command import tail
from agenttrace.core.version import VERSION
from agenttrace.exceptions import AgentTraceError

__all__ = ["app", "main"]


_GLOBAL_OPTIONS = ("--endpoint", "--api-key", "--timeout")
"""Options of the ``agenttrace`` command itself, also accepted after the sub-command."""


def global_options_first(args: list[str]) -> list[str]:
    """``args`` with the global options moved in front of the sub-command.

    ``agenttrace sessions --endpoint URL`` then means ``agenttrace --endpoint URL
    sessions``, as the error hints and people expect. Everything after ``--`` stays.
    """
    moved: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        name = arg.partition("=")[0]
        if name in _GLOBAL_OPTIONS:
            takes_next = "=" not in arg and index + 1 < len(args)
            moved.extend(args[index : index + 2] if takes_next else [arg])
            index += 2 if takes_next else 1
            continue
        rest.append(arg)
        index += 1
    return [*moved, *rest]


class _Group(TyperGroup):
    """Reports agenttrace's errors as one line on stderr with exit code 1, and takes the
    global options after the sub-command too."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, global_options_first(args))

    def invoke(self, ctx: Any) -> Any:  # click's Context (vendored by newer typer versions)
        try:
            return super().invoke(ctx)
        except AgentTraceError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Group,
    name="agenttrace",
    help="Session tracing for LLM agents: run the collector and query its sessions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    **PLAIN_HELP,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"agenttrace {VERSION}")
        raise typer.Exit


@app.callback()
def _global_options(
    ctx: typer.Context,
    endpoint: Annotated[
        str | None,
        typer.Option(
            envvar="AGENTTRACE_ENDPOINT",
            metavar="URL",
            help="The collector to query (default http://127.0.0.1:8787).",
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="AGENTTRACE_API_KEY", metavar="KEY", help="API key of a project."),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS", min=0.001, help="Seconds to wait for the collector's answer."
        ),
    ] = 10.0,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Session tracing for LLM agents: run the collector and query its sessions."""
    ctx.obj = GlobalOptions(endpoint=endpoint, api_key=api_key, timeout=timeout)


app.command("serve", cls=PlainHelpCommand)(serve)
app.command("sessions", cls=PlainHelpCommand)(_query_commands.sessions)
app.command("session", cls=PlainHelpCommand)(_query_commands.session)
app.command("requests", cls=PlainHelpCommand)(_query_commands.requests)
app.command("request", cls=PlainHelpCommand)(_query_commands.request)
app.command("paths", cls=PlainHelpCommand)(_query_commands.paths)
app.command("metrics", cls=PlainHelpCommand)(metrics)
app.command("export", cls=PlainHelpCommand)(export)
app.command("tail", cls=PlainHelpCommand)(tail)
app.add_typer(keys_app, name="keys")
app.add_typer(score_app, name="score")
app.add_typer(alerts_app, name="alerts")
app.add_typer(db_app, name="db")


def main() -> None:
    """Entry point of the ``agenttrace`` script: a bug prints one line, not a traceback.

    Set ``AGENTTRACE_DEBUG=1`` to see the traceback of an unexpected error.
    """
    try:
        app()
    except Exception as exc:
        if os.environ.get("AGENTTRACE_DEBUG", "").strip().lower() in {"1", "true", "yes"}:
            raise
        message = str(exc) or "no message"
        sys.stderr.write(
            f"error: unexpected {type(exc).__name__}: {message} (this is a bug in agenttrace; "
            "rerun with AGENTTRACE_DEBUG=1 for the traceback and report it)\n"
        )
        sys.exit(1)
