"""``agenttrace export``: requests or sessions to JSONL, CSV or Parquet, resumable."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from agenttrace.cli._shared import client, parse_properties
from agenttrace.core.record_rules import RecordKind

__all__ = ["export"]

_TIME_HELP = "ISO-8601 time (UTC unless an offset is given) or a span ago: 30m, 2h, 7d."


class ExportFormat(StrEnum):
    """``--format`` (the query client's formats, named here so that ``--help`` loads no
    query client)."""

    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


class What(StrEnum):
    """What ``export`` writes."""

    REQUESTS = "requests"
    SESSIONS = "sessions"


@contextmanager
def _progress_bar(what: str) -> Iterator[Callable[[int, int | None], None] | None]:
    """A progress bar on standard error when it is a terminal, else nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = Console(file=sys.stderr)
    columns = (
        TextColumn(f"exporting {what}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(what, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Argument(help="File to write (.jsonl, .csv or .parquet).")],
    *,
    what: Annotated[What, typer.Option(help="What to export.")] = What.REQUESTS,
    format_: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="jsonl, csv or parquet (default: from the file name)."),
    ] = None,
    bodies: Annotated[
        bool, typer.Option("--bodies", help="Include request and response bodies.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Go on with an interrupted export to OUTPUT.")
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace OUTPUT.")] = False,
    page_size: Annotated[
        int, typer.Option(min=1, max=1000, help="Rows asked for per page.")
    ] = 1000,
    name: Annotated[str | None, typer.Option(help="Sessions: exact session name.")] = None,
    search: Annotated[str | None, typer.Option(help="Sessions: part of the name or id.")] = None,
    session_id: Annotated[
        str | None, typer.Option("--session", help="Requests: session id.")
    ] = None,
    user_id: Annotated[str | None, typer.Option("--user-id", "--user", help="User id.")] = None,
    status: Annotated[str | None, typer.Option(help="Request or session status.")] = None,
    model: Annotated[str | None, typer.Option(help="Requests: model name.")] = None,
    kind: Annotated[RecordKind | None, typer.Option(help="Requests: kind of call.")] = None,
    path: Annotated[str | None, typer.Option(help="Requests: exact session path.")] = None,
    property_: Annotated[
        list[str] | None,
        typer.Option("--property", "-p", metavar="KEY=VALUE", help="Custom property; repeat."),
    ] = None,
    since: Annotated[str | None, typer.Option(help=f"Not before this. {_TIME_HELP}")] = None,
    until: Annotated[str | None, typer.Option(help=f"Not after this. {_TIME_HELP}")] = None,
    min_cost: Annotated[float | None, typer.Option(help="Sessions: cost at least.")] = None,
    max_cost: Annotated[float | None, typer.Option(help="Sessions: cost at most.")] = None,
) -> None:
    """Export requests or sessions to JSONL, CSV or Parquet, page by page (--resume goes on
    after an interruption)."""
    with client(ctx) as query, _progress_bar(what.value) as progress:
        summary = query.export(
            output,
            what.value,
            format=format_.value if format_ else None,
            include_bodies=bodies,
            resume=resume,
            overwrite=overwrite,
            page_size=page_size,
            progress=progress,
            name=name,
            search=search,
            session_id=session_id,
            user_id=user_id,
            status=status,
            model=model,
            kind=kind,
            path_filter=path,
            properties=parse_properties(property_),
            since=since,
            until=until,
            min_cost=min_cost,
            max_cost=max_cost,
        )
    note = f" ({summary.resumed_from:,} from the earlier run)" if summary.resumed_from else ""
    typer.echo(f"wrote {summary.rows:,} {what.value} to {summary.path}{note}", err=True)
