"""``agenttrace metrics``: requests, errors, tokens, cost and latency per group over time."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from agenttrace.cli import _filter_options as opt
from agenttrace.cli._filter_options import filter_arguments
from agenttrace.cli._shared import Output, client, echo_csv, echo_json, stdout

__all__ = ["metrics"]


def metrics(
    ctx: typer.Context,
    *,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            "-b",
            help="Group by: time, model, provider, kind, status, user, session_name, path or "
            "property:KEY (repeat, or separate by commas).",
        ),
    ] = None,
    bucket: Annotated[str, typer.Option(help="Time bucket: minute, hour or day.")] = "hour",
    tz: Annotated[
        str | None,
        typer.Option(help="IANA time zone of the buckets (default: $TZ, else UTC)."),
    ] = None,
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
        Output, typer.Option("--output", "-o", help="table, json or csv.")
    ] = Output.TABLE,
) -> None:
    """Requests, sessions, errors, tokens, cost and latency per group (time buckets in your
    zone, model, user, path, property...)."""
    zone = tz or os.environ.get("TZ") or "UTC"
    with client(ctx) as query:
        result = query.metrics(
            by or [],
            bucket=bucket,
            tz=zone,
            **filter_arguments(ctx.params),  # the filter options above, by name
        )
    if output is Output.JSON:
        echo_json(result.model_dump(mode="json"))
        return
    if output is Output.CSV:
        flat = []
        for row in result.groups:
            values = row.model_dump(mode="json")
            keys = values.pop("key")
            flat.append({"bucket_start": values.pop("bucket_start"), **keys, **values})
        echo_csv(flat)
        return
    console = stdout()
    if result.groups:
        from agenttrace.cli._metrics_table import metrics_table
        from agenttrace.cli._render import print_table

        print_table(console, metrics_table(result))
    else:
        console.print("no requests match", style="dim")
