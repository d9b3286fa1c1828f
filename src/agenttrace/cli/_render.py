"""Rich tables and trees for the CLI's query commands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from agenttrace.cli import _format as fmt
from agenttrace.query import PathRow, RequestRow, SessionDetail, SessionRow, TreeNode

__all__ = ["paths_table", "request_label", "requests_table", "session_tree", "sessions_table"]


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


def _first_start(node: TreeNode, starts: dict[str, list[datetime]]) -> datetime | None:
    times = [starts[child.path][0] for child in node.walk() if starts.get(child.path)]
    return min(times) if times else None


def _add_children(
    branch: Tree,
    node: TreeNode,
    by_path: dict[str, list[RequestRow]],
    starts: dict[str, list[datetime]],
    counts: dict[str, int],
) -> None:
    entries: list[tuple[datetime | None, int, RequestRow | TreeNode]] = []
    loaded = by_path.get(node.path, [])
    for row in loaded:
        entries.append((row.request_created_at, len(entries), row))
    for child in node.children:
        entries.append((_first_start(child, starts), len(entries), child))
    entries.sort(key=lambda entry: (entry[0] is None, entry[0] or datetime.min, entry[1]))
    for _, _, item in entries:
        if isinstance(item, RequestRow):
            branch.add(request_label(item))
        else:
            _add_children(branch.add(_node_label(item)), item, by_path, starts, counts)
    missing = counts.get(node.path, 0) - len(loaded)
    if missing > 0:
        branch.add(Text(f"… {_plural(missing, 'more request')} not fetched", style="dim"))


def session_tree(detail: SessionDetail) -> Tree:
    """The session as a tree of paths; leaves are its requests in time order (those of
    ``detail.requests``; a path whose other requests were not fetched says how many)."""
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
    by_path: dict[str, list[RequestRow]] = {}
    for row in detail.requests:
        by_path.setdefault(row.session_path, []).append(row)
    starts = {path: [row.request_created_at for row in rows] for path, rows in by_path.items()}
    counts = {row.path: row.request_count for row in detail.paths}
    _add_children(tree, detail.tree, by_path, starts, counts)
    return tree
