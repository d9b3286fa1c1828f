"""``agenttrace export``: requests or sessions to JSONL, CSV or Parquet, resumable."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from agenttrace.cli import _filter_options as opt
from agenttrace.cli._filter_options import filter_arguments
from agenttrace.cli._shared import client

__all__ = ["export"]


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
        int,
        typer.Option(
            min=1, max=1000, help="Rows written between two saves of the state (--resume)."
        ),
    ] = 1000,
    name: opt.NameOption = None,
    search: opt.SessionSearchOption = None,
    session_id: opt.SessionIdOption = None,
    user_id: opt.UserOption = None,
    status: opt.StatusOption = None,
    model: opt.ModelOption = None,
    kind: opt.KindOption = None,
    path: opt.PathOption = None,
    properties: opt.PropertyOption = None,
    since: opt.SinceOption = None,
    until: opt.UntilOption = None,
    min_cost: opt.MinCostOption = None,
    max_cost: opt.MaxCostOption = None,
    score: opt.ScoreOption = None,
    min_score: opt.MinScoreOption = None,
    max_score: opt.MaxScoreOption = None,
    score_value: opt.ScoreValueOption = None,
) -> None:
    """Export requests or sessions to JSONL, CSV or Parquet, streamed from the collector
    (--resume goes on after an interruption). Sessions take --name, --search, --status
    ok|error and the costs; requests --session, --status, --model, --kind and --path; both
    the rest."""
    filters = filter_arguments(ctx.params)  # the filter options above, by name
    if "path" in filters:  # the export's own path is the file it writes
        filters["path_filter"] = filters.pop("path")
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
            **filters,
        )
    note = f" ({summary.resumed_from:,} from the earlier run)" if summary.resumed_from else ""
    typer.echo(f"wrote {summary.rows:,} {what.value} to {summary.path}{note}", err=True)
