"""``agenttrace sessions | session | requests | request | paths``: query a collector.

The query client (httpx) and the rendering (rich) are imported when a command runs, so
that ``agenttrace --help`` loads neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from agenttrace.cli import _filter_options as opt
from agenttrace.cli._filter_options import choices, filter_arguments
from agenttrace.cli._shared import (
    Order,
    Output,
    SessionStatus,
    client,
    echo_csv,
    echo_json,
    stdout,
)
from agenttrace.exceptions import NotFoundError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from agenttrace.query import QueryClient

__all__ = ["paths", "request", "requests", "session", "sessions"]

JsonOption = Annotated[bool, typer.Option("--json", hidden=True, help="Same as --output json.")]
BodiesOption = Annotated[
    bool, typer.Option("--bodies", help="Include request and response bodies (--output json).")
]
OutputOption = Annotated[
    Output,
    typer.Option(
        "--output",
        "-o",
        metavar=choices(Output),
        help="table (for people), json or csv (for scripts).",
    ),
]


def _machine(output: Output, as_json: bool, whole: BaseModel, rows: Sequence[BaseModel]) -> bool:
    """Print ``whole`` as JSON or ``rows`` as CSV when asked; whether it did."""
    if as_json or output is Output.JSON:
        echo_json(whole.model_dump(mode="json"))
        return True
    if output is Output.CSV:
        echo_csv([row.model_dump(mode="json") for row in rows])
        return True
    return False


OffsetOption = Annotated[
    int, typer.Option(metavar="N", min=0, help="Rows to skip (for the next page).")
]
OrderOption = Annotated[Order, typer.Option(metavar=choices(Order), help="Sort direction.")]


def _hints(
    query: QueryClient,
    properties: dict[str, str] | None,
    total: int,
    output: Output,
    as_json: bool,
) -> list[str]:
    """Why nothing matched, when a --property names what no session has (tables only)."""
    if total or as_json or output is not Output.TABLE:
        return []
    from agenttrace.cli._property_hint import property_hints

    return property_hints(query, properties)


def _page_caption(shown: int, total: int, offset: int, noun: str) -> str:
    from agenttrace.cli import _format as fmt

    if not shown:
        return f"no {noun}s match" if not total else f"no {noun}s at offset {offset} of {total}"
    caption = f"{offset + 1}-{offset + shown} of {fmt.count(total)} {noun}s"
    if offset + shown < total:
        caption += f" (--offset {offset + shown} for more)"
    return caption


def sessions(
    ctx: typer.Context,
    *,
    name: opt.NameOption = None,
    search: opt.SessionSearchOption = None,
    user_id: opt.UserOption = None,
    status: opt.SessionStatusOption = None,
    waiting: Annotated[
        bool,
        typer.Option(
            "--waiting", help="Only sessions waiting for a human's answer (--status waiting)."
        ),
    ] = False,
    since: opt.SinceOption = None,
    until: opt.UntilOption = None,
    properties: opt.PropertyOption = None,
    min_cost: opt.MinCostOption = None,
    max_cost: opt.MaxCostOption = None,
    score: opt.ScoreOption = None,
    min_score: opt.MinScoreOption = None,
    max_score: opt.MaxScoreOption = None,
    score_value: opt.ScoreValueOption = None,
    sort: Annotated[
        str | None,
        typer.Option(metavar="COLUMN", help="Column: start_time, cost_usd, duration_ms, ..."),
    ] = None,
    order: OrderOption = Order.DESC,
    limit: Annotated[int, typer.Option(metavar="N", min=1, help="Sessions per page.")] = 50,
    offset: OffsetOption = 0,
    output: OutputOption = Output.TABLE,
    as_json: JsonOption = False,
) -> None:
    """List sessions with their duration, requests, tokens, cost and status."""
    filters = filter_arguments(ctx.params)  # the filter options above, by name
    if waiting:
        if status not in {None, SessionStatus.WAITING}:
            msg = f"--waiting is --status waiting; leave out --status {status}"
            raise typer.BadParameter(msg, param_hint="--waiting")
        filters["status"] = SessionStatus.WAITING.value
    with client(ctx) as query:
        page = query.sessions(
            sort=sort,
            order="asc" if order is Order.ASC else "desc",
            limit=limit,
            offset=offset,
            **filters,
        )
        hints = _hints(query, filters.get("properties"), page.total, output, as_json)
    if _machine(output, as_json, page, page.sessions):
        return
    from agenttrace.cli._render import print_table, sessions_table

    console = stdout()
    if page.sessions:
        print_table(console, sessions_table(page.sessions))
    console.print(_page_caption(len(page), page.total, page.offset, "session"), style="dim")
    for hint in hints:
        console.print(hint)


DEFAULT_SESSION_REQUESTS = 1000


def session(
    ctx: typer.Context,
    session_id: Annotated[
        str, typer.Argument(metavar="SESSION_ID", help="The session's id, or a unique prefix.")
    ],
    *,
    bodies: BodiesOption = False,
    limit: Annotated[
        int,
        typer.Option(
            min=0,
            help="Requests to fetch, page by page (0 fetches every one); the tree's figures "
            "always count them all.",
        ),
    ] = DEFAULT_SESSION_REQUESTS,
    output: OutputOption = Output.TABLE,
    as_json: JsonOption = False,
) -> None:
    """Show one session as a tree of its paths and requests."""
    with client(ctx) as query:
        max_requests = limit or None
        try:
            detail = query.session(session_id, include_bodies=bodies, max_requests=max_requests)
        except NotFoundError:
            from agenttrace.cli._ids import resolve_session_id

            whole = resolve_session_id(query, session_id)
            detail = query.session(whole, include_bodies=bodies, max_requests=max_requests)
    if _machine(output, as_json, detail, detail.requests):
        return
    from agenttrace.cli import _format as fmt
    from agenttrace.cli._render import session_tree

    console = stdout()
    console.print(session_tree(detail))
    total = detail.session.request_count
    if detail.next_cursor is not None:
        console.print(
            f"showing the first {fmt.count(len(detail.requests))} of {fmt.count(total)} "
            "requests (--limit 0 shows every one, --limit N the first N)",
            style="dim",
        )


def requests(
    ctx: typer.Context,
    *,
    session_id: opt.SessionIdOption = None,
    path: opt.PathOption = None,
    search: opt.RequestSearchOption = None,
    kind: opt.KindOption = None,
    status: opt.StatusOption = None,
    model: opt.ModelOption = None,
    user_id: opt.UserOption = None,
    properties: opt.PropertyOption = None,
    since: opt.SinceOption = None,
    until: opt.UntilOption = None,
    order: Annotated[
        Order, typer.Option(metavar=choices(Order), help="By start time.")
    ] = Order.DESC,
    limit: Annotated[int, typer.Option(metavar="N", min=1, help="Requests per page.")] = 100,
    offset: OffsetOption = 0,
    bodies: Annotated[
        bool, typer.Option("--bodies", help="Include bodies (with --output json).")
    ] = False,
    output: OutputOption = Output.TABLE,
    as_json: JsonOption = False,
) -> None:
    """List requests (LLM, tool, retriever and custom calls), newest first."""
    filters = filter_arguments(ctx.params)  # the filter options above, by name
    with client(ctx) as query:
        page = query.requests(
            order="asc" if order is Order.ASC else "desc",
            limit=limit,
            offset=offset,
            include_bodies=bodies,
            **filters,
        )
        hints = _hints(query, filters.get("properties"), page.total, output, as_json)
    if _machine(output, as_json, page, page.requests):
        return
    from agenttrace.cli._render import print_table, requests_table

    console = stdout()
    if page.requests:
        print_table(console, requests_table(page.requests))
    console.print(_page_caption(len(page), page.total, page.offset, "request"), style="dim")
    for hint in hints:
        console.print(hint)


def request(
    ctx: typer.Context,
    request_id: Annotated[
        str, typer.Argument(metavar="REQUEST_ID", help="The request's id, or a unique prefix.")
    ],
    output: OutputOption = Output.TABLE,
    as_json: JsonOption = False,
) -> None:
    """Show one request with its request and response bodies."""
    with client(ctx) as query:
        try:
            row = query.request(request_id)
        except NotFoundError:
            from agenttrace.cli._ids import resolve_request_id

            row = query.request(resolve_request_id(query, request_id))
    if _machine(output, as_json, row, [row]):
        return
    from rich.text import Text

    from agenttrace.cli._render import request_grid

    console = stdout()
    console.print(request_grid(row))
    for title, body in (("request body", row.request_body), ("response body", row.response_body)):
        if body is not None:
            console.print(Text(f"\n{title}", style="bold"))
            console.print_json(data=body)


def paths(
    ctx: typer.Context,
    *,
    session_name: opt.SessionNameOption = None,
    session_id: opt.SessionIdOption = None,
    since: opt.SinceOption = None,
    until: opt.UntilOption = None,
    output: OutputOption = Output.TABLE,
    as_json: JsonOption = False,
) -> None:
    """Aggregates per session path across sessions: requests, errors, tokens, cost, latency."""
    with client(ctx) as query:
        result = query.paths(**filter_arguments(ctx.params))
    if _machine(output, as_json, result, result.paths):
        return
    from agenttrace.cli._render import paths_table, print_table

    console = stdout()
    if result.paths:
        print_table(console, paths_table(result.paths))
    else:
        console.print("no paths match", style="dim")
