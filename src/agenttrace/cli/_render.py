"""Rich tables and trees for the CLI's query commands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from agenttrace.cli import _format as fmt
from agenttrace.query import PathRow, RequestRow, SessionDetail, SessionRow, TreeNode

__all__ = [
    "paths_table",
    "request_grid",
    "request_label",
    "requests_table",
    "session_tree",
    "sessions_table",
]


def _plural(n: int, word: str) -> str:
    return f"{fmt.count(n)} {word}{'' if n == 1 else 's'}"


def sessions_table(rows: Sequence[SessionRow]) -> Table:
    """One line per session: name, id, created, duration, requests, tokens, cost, errors."""
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Name")
    table.add_column("ID", overflow="fold")
    table.add_column("Created", no_wrap=True)
    for column in ("Duration", "Requests", "Tokens", "Cost", "Errors"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for row in rows:
        table.add_row(
            row.session_name or fmt.NONE,
            row.session_id,
            fmt.when(row.created_at),
            fmt.duration(row.duration_ms),
            fmt.count(row.total_requests),
            fmt.tokens(row.total_tokens),
            fmt.cost(row.total_cost),
            Text(fmt.count(row.error_count), style="red" if row.error_count else ""),
            fmt.status(row.status),
        )
    return table


def requests_table(rows: Sequence[RequestRow]) -> Table:
    """One line per request: when, ids, path, kind, name, model, status, latency, figures."""
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Created", no_wrap=True)
    table.add_column("ID", overflow="fold")
    table.add_column("Session", overflow="fold")
    table.add_column("Path", overflow="fold")
    table.add_column("Kind", no_wrap=True)
    table.add_column("Name")
    table.add_column("Model")
    table.add_column("Status", no_wrap=True)
    for column in ("Latency", "Tokens", "Cost"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            fmt.when(row.request_created_at),
            row.request_id,
            row.session_name or row.session_id,
            row.session_path,
            row.kind.value,
            row.name or fmt.NONE,
            row.model or fmt.NONE,
            fmt.status(row.status.value),
            fmt.duration(row.delay_ms),
            fmt.tokens(row.total_tokens),
            fmt.cost(row.cost),
        )
    return table


def paths_table(rows: Sequence[PathRow]) -> Table:
    """One line per session path with its aggregates."""
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Path", overflow="fold")
    for column in ("Sessions", "Requests", "Errors", "Tokens", "Cost", "Avg latency", "p95"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            row.path,
            fmt.count(row.session_count),
            fmt.count(row.request_count),
            Text(fmt.count(row.error_count), style="red" if row.error_count else ""),
            fmt.tokens(row.total_tokens),
            fmt.cost(row.total_cost),
            fmt.duration(row.avg_latency),
            fmt.duration(row.p95_latency_ms),
        )
    return table


def _figures(
    duration_ms: float | None, requests: int, tokens: int, cost: float | None, errors: int
) -> Text:
    text = Text.assemble(
        ("  ", ""),
        (fmt.duration(duration_ms), "cyan"),
        f" · {_plural(requests, 'request')} · {fmt.tokens(tokens)} tokens · {fmt.cost(cost)}",
    )
    if errors:
        text.append(f" · ✗ {_plural(errors, 'error')}", style="bold red")
    return text


def request_label(row: RequestRow) -> Text:
    """A request as one line: kind, name, model, status, latency, tokens, cost, error."""
    text = Text.assemble(
        (row.kind.value, "magenta"),
        " ",
        (row.name or fmt.NONE, "bold"),
    )
    if row.model:
        text.append(f" {row.model}", style="dim")
    text.append("  ")
    text.append_text(fmt.status(row.status.value))
    text.append(f"  {fmt.duration(row.delay_ms)}")
    if row.total_tokens is not None:
        text.append(f" · {fmt.tokens(row.total_tokens)} tokens")
    if row.cost is not None:
        text.append(f" · {fmt.cost(row.cost)}")
    if row.attempt > 1:
        text.append(f" · attempt {row.attempt}", style="yellow")
    if row.error is not None:
        message = " ".join(row.error.message.split())
        if len(message) > 120:
            message = message[:119] + "…"
        detail = f"{row.error.type}: {message}" if message else row.error.type
        text.append(f"  {detail}", style="red")
    return text


def _node_label(node: TreeNode) -> Text:
    text = Text(node.name or "/", style="bold blue")
    text.append_text(
        _figures(
            node.duration_ms,
            node.request_count,
            node.total_tokens,
            node.total_cost,
            node.error_count,
        )
    )
    return text


def _first_start(node: TreeNode, starts: dict[str, datetime]) -> datetime | None:
    times = [starts[rid] for child in node.walk() for rid in child.request_ids if rid in starts]
    return min(times) if times else None


def _add_children(
    branch: Tree, node: TreeNode, by_id: dict[str, RequestRow], starts: dict[str, datetime]
) -> None:
    entries: list[tuple[datetime | None, int, RequestRow | TreeNode | str]] = []
    for rid in node.request_ids:
        row = by_id.get(rid)
        entries.append((row.request_created_at if row else None, len(entries), row or rid))
    for child in node.children:
        entries.append((_first_start(child, starts), len(entries), child))
    entries.sort(key=lambda entry: (entry[0] is None, entry[0] or datetime.min, entry[1]))
    for _, _, item in entries:
        if isinstance(item, RequestRow):
            branch.add(request_label(item))
        elif isinstance(item, TreeNode):
            _add_children(branch.add(_node_label(item)), item, by_id, starts)
        else:
            branch.add(Text(f"request {item} (not loaded)", style="dim"))


def session_tree(detail: SessionDetail) -> Tree:
    """The session as a tree of paths; leaves are its requests in time order."""
    session = detail.session
    label = Text.assemble(
        (session.session_name or "(unnamed session)", "bold"),
        " ",
        (session.session_id, "dim"),
        "  ",
    )
    label.append_text(fmt.status(session.status))
    label.append_text(
        _figures(
            session.duration_ms,
            session.total_requests,
            session.total_tokens,
            session.total_cost,
            session.error_count,
        )
    )
    tree = Tree(label, guide_style="dim")
    by_id = {row.request_id: row for row in detail.requests}
    starts = {row.request_id: row.request_created_at for row in detail.requests}
    _add_children(tree, detail.tree, by_id, starts)
    return tree


def request_grid(row: RequestRow) -> Table:
    """One request's figures, a label and a value per line."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    fields: list[tuple[str, str | Text]] = [
        ("request", row.request_id),
        ("session", f"{row.session_name or fmt.NONE} ({row.session_id})"),
        ("path", row.session_path),
        ("kind", row.kind.value),
        ("name", row.name or fmt.NONE),
        ("model", " ".join(p for p in (row.provider, row.model) if p) or fmt.NONE),
        ("status", fmt.status(row.status.value)),
        ("started", fmt.when(row.request_created_at)),
        ("latency", fmt.duration(row.delay_ms)),
        ("first token", fmt.duration(row.time_to_first_token)),
        (
            "tokens",
            f"{fmt.tokens(row.prompt_tokens)} in · {fmt.tokens(row.completion_tokens)} out · "
            f"{fmt.tokens(row.total_tokens)} total",
        ),
        ("cost", fmt.cost(row.cost)),
        ("attempt", str(row.attempt)),
        ("user", row.request_user_id or fmt.NONE),
    ]
    fields.extend((f"property {key}", value) for key, value in sorted(row.properties.items()))
    if row.error is not None:
        fields.append(("error", Text(f"{row.error.type}: {row.error.message}", style="red")))
    for label, value in fields:
        grid.add_row(label, value)
    return grid
