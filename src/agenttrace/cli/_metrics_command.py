"""``agenttrace metrics``: requests, errors, tokens, cost and latency per group over time."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.text import Text

from agenttrace.cli import _format as fmt
from agenttrace.cli._fit import Column
from agenttrace.cli._render import print_table
from agenttrace.cli._shared import Output, client, echo_csv, echo_json, parse_properties, stdout
from agenttrace.query import MetricsResult, MetricsRow
from agenttrace.records import RecordKind, Status

__all__ = ["metrics", "metrics_table"]

_TIME_HELP = "ISO-8601 time (UTC unless an offset is given) or a span ago: 30m, 2h, 7d."


def _percent(value: float | None) -> str:
    return fmt.NONE if value is None else f"{value:.1%}"


def metrics_table(result: MetricsResult) -> list[Column]:
    """One line per group: its bucket and keys, then the figures."""
    rows: Sequence[MetricsRow] = result.groups
    columns: list[Column] = []
    if result.bucket is not None:
        shape = {"minute": "%Y-%m-%d %H:%M", "hour": "%Y-%m-%d %H:%M", "day": "%Y-%m-%d"}
        pattern = shape.get(result.bucket, "%Y-%m-%d %H:%M")
        columns.append(
            Column(
                f"{result.bucket.capitalize()} ({result.tz})",
                [r.bucket_start.strftime(pattern) if r.bucket_start else fmt.NONE for r in rows],
            )
        )
    columns.extend(
        Column(name, [r.key.get(name) or fmt.NONE for r in rows])
        for name in result.group_by
        if name != "time"
    )
    errors = [
        Text(f"{fmt.count(r.errors)} ({_percent(r.error_rate)})", style="red" if r.errors else "")
        for r in rows
    ]
    columns += [
        Column("Requests", [fmt.count(r.requests) for r in rows], 0, "right"),
        Column("Sessions", [fmt.count(r.sessions) for r in rows], 6, "right"),
        Column("Errors", errors, 1, "right"),
        Column("In", [fmt.tokens(r.input_tokens) for r in rows], 7, "right"),
        Column("Out", [fmt.tokens(r.output_tokens) for r in rows], 7, "right"),
        Column("Cache hit", [_percent(r.cache_hit_rate) for r in rows], 8, "right"),
        Column("Cost", [fmt.cost(r.cost) for r in rows], 0, "right"),
        Column("p50", [fmt.duration(r.latency_p50_ms) for r in rows], 3, "right"),
        Column("p95", [fmt.duration(r.latency_p95_ms) for r in rows], 2, "right"),
        Column("p99", [fmt.duration(r.latency_p99_ms) for r in rows], 4, "right"),
        Column("TTFT p50", [fmt.duration(r.ttft_p50_ms) for r in rows], 5, "right"),
    ]
    return columns


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
        print_table(console, metrics_table(result))
    else:
        console.print("no requests match", style="dim")
