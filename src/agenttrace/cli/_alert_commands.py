"""``agenttrace alerts add | list | delete | history | deliveries``: alert rules and budgets
through the collector's API (`agenttrace.query.QueryClient.add_alert_rule`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from agenttrace.cli._help import PlainHelpCommand
from agenttrace.cli._shared import PLAIN_HELP, Output, client, echo_csv, echo_json, stdout
from agenttrace.core.spans import SPAN_HELP, require_span
from agenttrace.exceptions import UserError

__all__ = ["alerts_app"]

alerts_app = typer.Typer(
    name="alerts",
    help="Alert rules and budgets the collector evaluates, and their history.",
    no_args_is_help=True,
    **PLAIN_HELP,
)

_METRICS = ("error_rate", "errors", "cost", "p95_latency_ms", "requests")
_OPS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "gt": "gt", "gte": "gte", "lt": "lt",
        "lte": "lte"}  # fmt: skip
OutputOption = Annotated[Output, typer.Option("--output", "-o", help="table, json or csv.")]
LimitOption = Annotated[int, typer.Option(metavar="N", min=1, max=1000, help="How many.")]


def _rule_filter(
    path: str | None,
    model: str | None,
    session_name: str | None,
    user: str | None,
    property_: str | None,
) -> dict[str, str]:
    given = {
        "path": path,
        "model": model,
        "session_name": session_name,
        "user_id": user,
        "property": property_,
    }
    if property_ is not None and "=" not in property_:
        msg = f"--property is KEY=VALUE; got {property_!r}"
        raise UserError(msg)
    return {key: value for key, value in given.items() if value is not None}


def _echoed(rows: list[dict[str, Any]], output: Output) -> bool:
    """Print ``rows`` as JSON or CSV when asked (True), else leave it to the table."""
    if output is Output.JSON:
        echo_json(rows)
    elif output is Output.CSV:
        echo_csv(rows)
    return output is not Output.TABLE


@alerts_app.command("add", cls=PlainHelpCommand)
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="What the alert is called.")],
    *,
    metric: Annotated[str, typer.Option(metavar="METRIC", help=f"One of: {', '.join(_METRICS)}.")],
    threshold: Annotated[float, typer.Option(metavar="NUMBER", help="Fire past this value.")],
    op: Annotated[str, typer.Option(metavar="OP", help="gt, gte, lt or lte (or >, <).")] = "gt",
    window: Annotated[
        str | None, typer.Option(metavar="SPAN", help=f"Sliding window: {SPAN_HELP}.")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(metavar="PERIOD", help="A budget instead: cost per UTC day or month."),
    ] = None,
    path: Annotated[str | None, typer.Option(metavar="PATH", help="Exact session path.")] = None,
    model: Annotated[str | None, typer.Option(metavar="MODEL", help="Model name.")] = None,
    session_name: Annotated[
        str | None, typer.Option(metavar="NAME", help="Exact session name.")
    ] = None,
    user: Annotated[str | None, typer.Option(metavar="USER", help="User id.")] = None,
    property_: Annotated[
        str | None, typer.Option("--property", metavar="KEY=VALUE", help="Custom property.")
    ] = None,
    webhook: Annotated[
        str | None, typer.Option(metavar="URL", help="POST signed events here.")
    ] = None,
    output: OutputOption = Output.TABLE,
) -> None:
    """Create a rule (a metric over a window) or a budget (cost per day or month); prints
    the webhook secret once."""
    if metric not in _METRICS:
        msg = f"--metric is one of {', '.join(_METRICS)}; got {metric!r}"
        raise UserError(msg)
    if op not in _OPS:
        msg = f"--op is gt, gte, lt or lte; got {op!r}"
        raise UserError(msg)
    window_s = None
    if window is not None:
        window_s = int(require_span(window, "--window", positive=True).total_seconds())
    with client(ctx) as query:
        rule = query.add_alert_rule(
            name,
            metric,
            threshold,
            window_s=window_s,
            period=period,
            op=_OPS[op],
            filter=_rule_filter(path, model, session_name, user, property_),
            webhook_url=webhook,
        )
    if output is not Output.TABLE:
        echo_json(rule.model_dump(mode="json"))
        return
    console = stdout()
    console.print(f"created alert rule {rule.rule_id}: {rule.name}")
    if rule.webhook_url:
        console.print(f"webhook secret (shown once): {rule.webhook_secret}")


@alerts_app.command("list", cls=PlainHelpCommand)
def list_rules(ctx: typer.Context, *, output: OutputOption = Output.TABLE) -> None:
    """The rules and budgets, with their state and last value."""
    with client(ctx) as query:
        rules = query.alert_rules()
    if _echoed(
        [rule.model_dump(mode="json", exclude={"webhook_secret"}) for rule in rules], output
    ):
        return
    console = stdout()
    if not rules:
        console.print("no alert rules yet; add one with `agenttrace alerts add`", style="dim")
        return
    from agenttrace.cli import _format as fmt
    from agenttrace.cli._fit import Column
    from agenttrace.cli._render import print_table

    def span(window_s: int | None, period: str | None) -> str:
        return f"per {period}" if period else f"{window_s}s"

    def where(filter_: dict[str, str | None]) -> str:
        return ", ".join(f"{k}={v}" for k, v in filter_.items() if v) or "all requests"

    print_table(
        console,
        [
            Column("Id", [r.rule_id for r in rules]),
            Column("Name", [r.name for r in rules]),
            Column("State", [r.state for r in rules]),
            Column("Rule", [f"{r.metric} {r.op} {r.threshold:g}" for r in rules]),
            Column("Over", [span(r.window_s, r.period) for r in rules], 2),
            Column("For", [where(r.filter) for r in rules], 3),
            Column("Value", [fmt.NONE if r.value is None else f"{r.value:g}" for r in rules], 1),
        ],
    )


@alerts_app.command("delete", cls=PlainHelpCommand)
def delete(
    ctx: typer.Context,
    rule_id: Annotated[str, typer.Argument(metavar="RULE_ID", help="From `alerts list`.")],
) -> None:
    """Delete a rule; its history stays."""
    with client(ctx) as query:
        query.delete_alert_rule(rule_id)
    stdout().print(f"deleted alert rule {rule_id}")


@alerts_app.command("history", cls=PlainHelpCommand)
def history(
    ctx: typer.Context, *, limit: LimitOption = 50, output: OutputOption = Output.TABLE
) -> None:
    """Alerts that fired and resolved, newest first."""
    with client(ctx) as query:
        events = query.alert_events(limit=limit)
    if _echoed([event.model_dump(mode="json") for event in events], output):
        return
    from agenttrace.cli import _format as fmt
    from agenttrace.cli._fit import Column
    from agenttrace.cli._render import print_table

    print_table(
        stdout(),
        [
            Column("When", [fmt.when(e.at) for e in events]),
            Column("Rule", [e.rule_name or e.rule_id for e in events]),
            Column("State", [e.state for e in events]),
            Column("Value", [fmt.NONE if e.value is None else f"{e.value:g}" for e in events]),
            Column("Threshold", [f"{e.threshold:g}" for e in events], 1),
        ],
    )


@alerts_app.command("deliveries", cls=PlainHelpCommand)
def deliveries(
    ctx: typer.Context, *, limit: LimitOption = 50, output: OutputOption = Output.TABLE
) -> None:
    """The webhook delivery log: delivered, pending (retried) or failed."""
    with client(ctx) as query:
        found = query.alert_deliveries(limit=limit)
    if _echoed([delivery.model_dump(mode="json") for delivery in found], output):
        return
    from agenttrace.cli import _format as fmt
    from agenttrace.cli._fit import Column
    from agenttrace.cli._render import print_table

    print_table(
        stdout(),
        [
            Column("Event", [d.event_id for d in found]),
            Column("Status", [d.status for d in found]),
            Column("Attempts", [str(d.attempts) for d in found], 1, "right"),
            Column("URL", [d.url for d in found], 2),
            Column("Last error", [d.last_error or fmt.NONE for d in found], 3),
        ],
    )
