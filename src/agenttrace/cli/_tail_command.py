"""``agenttrace tail``: the live feed, one line per request as the collector stores it."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from agenttrace.cli import _filter_options as opt
from agenttrace.cli._filter_options import filter_arguments
from agenttrace.cli._shared import Output, client, stdout
from agenttrace.exceptions import UserError

if TYPE_CHECKING:
    from rich.text import Text

    from agenttrace.query import RequestRow

__all__ = ["request_line", "tail"]


def request_line(row: RequestRow, width: int) -> Text:
    """One request on one line no wider than ``width``: time, status, session, path, name
    stay; tokens, model, id, kind, cost and latency give way in that order, then the line
    is cut."""
    from agenttrace.cli import _format as fmt
    from agenttrace.cli._fit import Part, fit_line

    session = row.session_name or fmt.short_id(row.session_id)
    return fit_line(
        width,
        [
            Part(row.start_time.astimezone().strftime("%H:%M:%S"), 8),
            Part(fmt.status(row.status.value), 11),
            Part(fmt.duration(row.latency_ms), 7, give_way=1, right=True),
            Part(fmt.cost(row.cost_usd), 9, give_way=2, right=True),
            Part(session),
            Part(row.session_path),
            Part(row.kind.value, give_way=3),
            Part(row.name or fmt.NONE),
            Part(row.model or fmt.NONE, give_way=6),
            Part(fmt.tokens(row.total_tokens) + " tok", give_way=7),
            Part(fmt.short_id(row.id), give_way=5),
        ],
    )


def tail(
    ctx: typer.Context,
    *,
    backlog: Annotated[
        int,
        typer.Option(
            "--backlog", "-n", metavar="N", min=0, help="Show the N newest requests first."
        ),
    ] = 10,
    interval: Annotated[
        float,
        typer.Option(metavar="SECONDS", min=0.05, help="Seconds between polls when idle."),
    ] = 1.0,
    name: opt.NameOption = None,
    search: opt.SessionSearchOption = None,
    session_id: opt.SessionIdOption = None,
    user_id: opt.UserOption = None,
    status: opt.StatusOption = None,
    model: opt.ModelOption = None,
    provider: opt.ProviderOption = None,
    kind: opt.KindOption = None,
    path: opt.PathOption = None,
    properties: opt.PropertyOption = None,
    since: opt.SinceOption = None,
    until: opt.UntilOption = None,
    min_cost: opt.RequestMinCostOption = None,
    max_cost: opt.RequestMaxCostOption = None,
    output: Annotated[
        Output, typer.Option("--output", "-o", help="table (one line each) or json (lines).")
    ] = Output.TABLE,
) -> None:
    """Follow requests as the collector stores them, one line each (Ctrl+C to stop)."""
    if output is Output.CSV:
        msg = (
            "tail prints lines (--output table) or JSON lines (--output json), not CSV; "
            "for a CSV file use `agenttrace export requests.csv`"
        )
        raise UserError(msg)
    console = stdout()
    try:
        with client(ctx) as query:
            follow = query.follow_feed(
                backlog=backlog,
                poll_interval=interval,
                **filter_arguments(ctx.params),  # the filter options above, by name
            )
            for row in follow:
                if output is Output.JSON:
                    line = json.dumps(row.model_dump(mode="json"), ensure_ascii=False)
                    sys.stdout.write(line + "\n")
                else:
                    console.print(request_line(row, console.width))
                sys.stdout.flush()
    except KeyboardInterrupt:
        raise typer.Exit(0) from None  # Ctrl+C: the way to stop, not an error
    except BrokenPipeError:  # `agenttrace tail | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
