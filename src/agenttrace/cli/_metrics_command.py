"""``agenttrace metrics``: requests, errors, tokens, cost and latency per group over time."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from agenttrace.cli._shared import Output, client, echo_csv, echo_json, parse_properties, stdout
from agenttrace.core.record_rules import RecordKind, Status

__all__ = ["metrics"]

_TIME_HELP = "ISO-8601 time (UTC unless an offset is given) or a span ago: 30m, 2h, 7d."


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
    name: Annotated[str | None, typer.Option(help="Exact session name.")] = None,
    search: Annotated[str | None, typer.Option(help="Part of the session name or id.")] = None,
    session_id: Annotated[str | None, typer.Option("--session", help="Session id.")] = None,
    user_id: Annotated[str | None, typer.Option("--user-id", "--user", help="User id.")] = None,
    status: Annotated[Status | None, typer.Option(help="How the request ended.")] = None,
    model: Annotated[str | None, typer.Option(help="Model name.")] = None,
    provider: Annotated[str | None, typer.Option(help="Provider.")] = None,
    kind: Annotated[RecordKind | None, typer.Option(help="Kind of call.")] = None,
    path: Annotated[str | None, typer.Option(help="Exact session path.")] = None,
    property_: Annotated[
        list[str] | None,
        typer.Option("--property", "-p", metavar="KEY=VALUE", help="Custom property; repeat."),
    ] = None,
    since: Annotated[str | None, typer.Option(help=f"Not before this. {_TIME_HELP}")] = None,
    until: Annotated[str | None, typer.Option(help=f"Not after this. {_TIME_HELP}")] = None,
    min_cost: Annotated[float | None, typer.Option(help="Request cost at least (USD).")] = None,
    max_cost: Annotated[float | None, typer.Option(help="Request cost at most (USD).")] = None,
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
            name=name,
            search=search,
            session_id=session_id,
            user_id=user_id,
            status=status,
            model=model,
            provider=provider,
            kind=kind,
            path=path,
            properties=parse_properties(property_),
            since=since,
            until=until,
            min_cost=min_cost,
            max_cost=max_cost,
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
