"""Rich tables and trees for the CLI's query commands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from agenttrace.cli import _format as fmt
from agenttrace.cli._fit import Column, fit
from agenttrace.query import PathRow, RequestRow, SessionDetail, SessionRow, TreeNode

__all__ = [
    "branch_numbers",
    "paths_table",
    "print_table",
    "request_grid",
    "request_label",
    "requests_table",
    "session_tree",
    "sessions_table",
]


def _plural(n: int, word: str) -> str:
    return f"{fmt.count(n)} {word}{'' if n == 1 else 's'}"


def print_table(console: Console, columns: Sequence[Column]) -> None:
    """Print ``columns`` fitted to the console, and a line naming any column it hid."""
    fitted = fit(console, columns)
    console.print(fitted.table)
    note = fitted.note(console.width)
    if note:
        console.print(note, style="dim")


def _created_header() -> str:
    """``Created (UTC)``, ``Created (CET)``: the times are local, so say which zone."""
    return f"Created ({datetime.now().astimezone().strftime('%Z') or 'local'})"


def sessions_table(rows: Sequence[SessionRow]) -> list[Column]:
    """One line per session: name, id, created, duration, requests, tokens, cost, errors."""
    ids = [row.session_id for row in rows]
    return [
        Column("Name", [row.session_name or fmt.NONE for row in rows]),
        Column("ID", ids, short=[fmt.short_id(i) for i in ids]),
        Column(_created_header(), [fmt.when(row.start_time) for row in rows], give_way=4),
        Column("Duration", [fmt.duration(r.duration_ms) for r in rows], 2, "right"),
        Column("Requests", [fmt.count(r.request_count) for r in rows], 3, "right"),
        Column("Tokens", [fmt.tokens(r.total_tokens) for r in rows], 5, "right"),
        Column("Cost", [fmt.cost(r.cost_usd) for r in rows], 1, "right"),
        Column(
            "Errors",
            [Text(fmt.count(r.error_count), style="red" if r.error_count else "") for r in rows],
            6,
            "right",
        ),
        Column("Status", [fmt.status(row.status, row.waiting_since) for row in rows]),
    ]


def requests_table(rows: Sequence[RequestRow]) -> list[Column]:
    """One line per request: when, ids, path, kind, name, model, status, latency, figures."""
    ids = [row.id for row in rows]
    sessions = [row.session_name or row.session_id for row in rows]
    return [
        Column(_created_header(), [fmt.when(r.start_time) for r in rows], give_way=5),
        Column("ID", ids, short=[fmt.short_id(i) for i in ids]),
        Column("Session", sessions, give_way=4, short=[fmt.short_id(s) for s in sessions]),
        Column("Path", [row.session_path for row in rows]),
        Column("Kind", [row.kind.value for row in rows], give_way=3),
        Column("Name", [row.name or fmt.NONE for row in rows]),
        Column("Model", [row.model or fmt.NONE for row in rows], give_way=6),
        Column("Status", [fmt.status(row.status.value) for row in rows]),
        Column("Latency", [fmt.duration(row.latency_ms) for row in rows], 1, "right"),
        Column("Tokens", [fmt.tokens(row.total_tokens) for row in rows], 7, "right"),
        Column("Cost", [fmt.cost(row.cost_usd) for row in rows], 2, "right"),
    ]


def paths_table(rows: Sequence[PathRow]) -> list[Column]:
    """One line per session path with its aggregates (latency as p50 and p95, as elsewhere)."""
    return [
        Column("Path", [row.path for row in rows]),
        Column("Sessions", [fmt.count(r.session_count) for r in rows], 4, "right"),
        Column("Requests", [fmt.count(r.request_count) for r in rows], 3, "right"),
        Column(
            "Errors",
            [Text(fmt.count(r.error_count), style="red" if r.error_count else "") for r in rows],
            2,
            "right",
        ),
        Column("Tokens", [fmt.tokens(r.total_tokens) for r in rows], 5, "right"),
        Column("Cost", [fmt.cost(r.cost_usd) for r in rows], 1, "right"),
        Column("p50", [fmt.duration(r.p50_latency_ms) for r in rows], 0, "right"),
        Column("p95", [fmt.duration(r.p95_latency_ms) for r in rows], 0, "right"),
    ]


def _figures(
    duration_ms: float | None, requests: int, tokens: int, cost: float | None, errors: int
) -> Text:
    text = Text.assemble(("  ", ""), (fmt.duration(duration_ms), "cyan"))
    text.append(f" · {_plural(requests, 'request')}")
    if tokens:
        text.append(f" · {fmt.tokens(tokens)} tokens")
    if cost is not None:
        text.append(f" · {fmt.cost(cost)}")
    if errors:
        text.append(f" · ✗ {_plural(errors, 'error')}", style="bold red")
    return text


def branch_numbers(rows: Sequence[RequestRow]) -> dict[str, int]:
    """Number the parallel branches (``branch_id``, a LangGraph ``Send`` task) of a session.

    A branch starts at the shortest path among its requests (``/research`` for a branch
    whose calls are at ``/research`` and ``/research/docs_index``); the branches starting
    at one path are numbered 1, 2, ... by their first request. Paths that ran a single
    branch get no numbers.
    """
    first: dict[str, tuple[str, datetime]] = {}
    for row in rows:
        if row.branch_id is None:
            continue
        known = first.get(row.branch_id)
        if known is None:
            first[row.branch_id] = (row.session_path, row.start_time)
        else:
            path = min(known[0], row.session_path, key=lambda p: (p.count("/"), p))
            first[row.branch_id] = (path, min(known[1], row.start_time))
    by_start: dict[str, list[tuple[datetime, str]]] = {}
    for branch_id, (path, start) in first.items():
        by_start.setdefault(path, []).append((start, branch_id))
    numbers: dict[str, int] = {}
    for branches in by_start.values():
        if len(branches) > 1:
            for number, (_, branch_id) in enumerate(sorted(branches), 1):
                numbers[branch_id] = number
    return numbers


def request_label(row: RequestRow, branch: int | None = None) -> Text:
    """A request as one line: kind, name, model, parallel branch, status, latency, tokens,
    cost, error."""
    text = Text.assemble(
        (row.kind.value, "magenta"),
        " ",
        (row.name or fmt.NONE, "bold"),
    )
    if row.model and row.model != row.name:
        text.append(f" {row.model}", style="dim")
    if branch is not None:
        text.append(f" [branch {branch}]", style="cyan")
    text.append("  ")
    text.append_text(fmt.status(row.status.value))
    text.append(f"  {fmt.duration(row.latency_ms)}")
    if row.total_tokens is not None:
        text.append(f" · {fmt.tokens(row.total_tokens)} tokens")
    if row.cost_usd is not None:
        text.append(f" · {fmt.cost(row.cost_usd)}")
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
            node.cost_usd,
            node.error_count,
        )
    )
    return text


@dataclass(frozen=True)
class _Loaded:
    """The requests fetched, looked up by path, and what the tree needs to place them."""

    by_path: dict[str, list[RequestRow]]
    counts: dict[str, int]
    """Requests of each path in all (fetched or not)."""
    branches: dict[str, int]
    """Branch id -> its number (`branch_numbers`)."""

    @classmethod
    def of(cls, detail: SessionDetail) -> _Loaded:
        by_path: dict[str, list[RequestRow]] = {}
        for row in detail.requests:
            by_path.setdefault(row.session_path, []).append(row)
        counts = {row.path: row.request_count for row in detail.paths}
        return cls(by_path, counts, branch_numbers(detail.requests))

    def first_start(self, node: TreeNode) -> datetime | None:
        """When the first fetched request in ``node``'s subtree started."""
        times = [
            self.by_path[child.path][0].start_time
            for child in node.walk()
            if self.by_path.get(child.path)
        ]
        return min(times) if times else None


def _add_children(branch: Tree, node: TreeNode, loaded: _Loaded) -> None:
    entries: list[tuple[datetime | None, int, RequestRow | TreeNode]] = []
    rows = loaded.by_path.get(node.path, [])
    for row in rows:
        entries.append((row.start_time, len(entries), row))
    for child in node.children:
        entries.append((loaded.first_start(child), len(entries), child))
    entries.sort(key=lambda entry: (entry[0] is None, entry[0] or datetime.min, entry[1]))
    for _, _, item in entries:
        if isinstance(item, RequestRow):
            number = loaded.branches.get(item.branch_id) if item.branch_id is not None else None
            branch.add(request_label(item, number))
        else:
            _add_children(branch.add(_node_label(item)), item, loaded)
    missing = loaded.counts.get(node.path, 0) - len(rows)
    if missing > 0:
        branch.add(Text(f"… {_plural(missing, 'more request')} not fetched", style="dim"))


def session_tree(detail: SessionDetail) -> Tree:
    """The session as a tree of paths; leaves are its requests in time order (those of
    ``detail.requests``; a path whose other requests were not fetched says how many).
    Requests of parallel branches say which branch they ran in: ``[branch 2]``."""
    session = detail.session
    label = Text.assemble(
        (session.session_name or "(unnamed session)", "bold"),
        " ",
        (session.session_id, "dim"),
        "  ",
    )
    label.append_text(fmt.status(session.status, session.waiting_since))
    label.append_text(
        _figures(
            session.duration_ms,
            session.request_count,
            session.total_tokens,
            session.cost_usd,
            session.error_count,
        )
    )
    tree = Tree(label, guide_style="dim")
    _add_children(tree, detail.tree, _Loaded.of(detail))
    return tree


def request_grid(row: RequestRow) -> Table:
    """One request's figures, a label and a value per line."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    fields: list[tuple[str, str | Text]] = [
        ("request", row.id),
        ("session", f"{row.session_name or fmt.NONE} ({row.session_id})"),
        ("path", row.session_path),
        ("kind", row.kind.value),
        ("name", row.name or fmt.NONE),
        ("model", " ".join(p for p in (row.provider, row.model) if p) or fmt.NONE),
        ("status", fmt.status(row.status.value)),
        ("started", fmt.when(row.start_time)),
        ("latency", fmt.duration(row.latency_ms)),
        ("first token", fmt.duration(row.time_to_first_token_ms)),
        (
            "tokens",
            f"{fmt.tokens(row.input_tokens)} in · {fmt.tokens(row.output_tokens)} out · "
            f"{fmt.tokens(row.total_tokens)} total",
        ),
        ("cost", fmt.cost(row.cost_usd)),
        ("attempt", str(row.attempt)),
        ("user", row.user_id or fmt.NONE),
    ]
    fields.extend((f"property {key}", value) for key, value in sorted(row.properties.items()))
    if row.error is not None:
        fields.append(("error", Text(f"{row.error.type}: {row.error.message}", style="red")))
    for label, value in fields:
        grid.add_row(label, value)
    return grid
