"""``agenttrace score add | list``: scores and feedback on a session or a request, through
the collector's API (`agenttrace.query.QueryClient.score`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, cast

import typer

from agenttrace.cli._help import PlainHelpCommand
from agenttrace.cli._shared import PLAIN_HELP, Output, client, echo_csv, echo_json, stdout
from agenttrace.exceptions import UserError

if TYPE_CHECKING:
    from agenttrace.query import Score

__all__ = ["parse_value", "score_app"]

score_app = typer.Typer(
    name="score",
    help="Score a session or a request (thumbs, a number or a label) and list the scores.",
    no_args_is_help=True,
    **PLAIN_HELP,
)

SessionOption = Annotated[
    str | None, typer.Option("--session", metavar="ID", help="The session to score.")
]
RequestOption = Annotated[
    str | None, typer.Option("--request", metavar="ID", help="The request to score.")
]
Kind = Literal["numeric", "boolean", "categorical"]


def parse_value(text: str, kind: str | None) -> bool | float | str:
    """The value typed on the command line: true/false/yes/no/up/down as a boolean, a
    number as numeric, anything else as a category; ``kind`` forces one reading."""
    lowered = text.strip().lower()
    booleans = {"true": True, "yes": True, "up": True, "false": False, "no": False, "down": False}
    if kind in {None, "boolean"} and lowered in booleans:
        return booleans[lowered]
    if kind == "boolean":
        msg = f"a boolean score is true or false (or yes/no, up/down); got {text!r}"
        raise UserError(msg)
    if kind in {None, "numeric"}:
        try:
            return float(text)
        except ValueError:
            if kind == "numeric":
                msg = f"a numeric score is a number such as 0.8; got {text!r}"
                raise UserError(msg) from None
    return text


def _check_target(session: str | None, request: str | None) -> None:
    if (session is None) == (request is None):
        msg = "give exactly one of --session ID and --request ID"
        raise UserError(msg)


@score_app.command("add", cls=PlainHelpCommand)
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The score's name, e.g. thumbs.")],
    value: Annotated[
        str,
        typer.Argument(metavar="VALUE", help="true/false (up/down), a number, or a label."),
    ],
    *,
    session: SessionOption = None,
    request: RequestOption = None,
    kind: Annotated[
        str | None,
        typer.Option(
            metavar="KIND", help="numeric, boolean or categorical (default: read from the value)."
        ),
    ] = None,
    comment: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Why; kept with the score.")
    ] = None,
    source: Annotated[
        str, typer.Option(metavar="SOURCE", help="Who scored: cli, api, sdk...")
    ] = "cli",
    output: Annotated[Output, typer.Option("--output", "-o", help="table or json.")] = (
        Output.TABLE
    ),
) -> None:
    """Attach a score to a session or a request."""
    if kind is not None and kind not in {"numeric", "boolean", "categorical"}:
        msg = f"--kind is numeric, boolean or categorical; got {kind!r}"
        raise UserError(msg)
    _check_target(session, request)
    with client(ctx) as query:
        score = query.score(
            name,
            parse_value(value, kind),
            session_id=session,
            request_id=request,
            kind=cast("Kind | None", kind),
            source=source,
            comment=comment,
        )
    if output is Output.JSON:
        echo_json(score.model_dump(mode="json"))
        return
    stdout().print(f"scored {score.target} {score.target_id}: {score.name} = {_shown(score)}")


def _shown(score: Score) -> str:
    if isinstance(score.value, bool):
        return "true" if score.value else "false"
    return f"{score.value:g}" if isinstance(score.value, float) else score.value


@score_app.command("list", cls=PlainHelpCommand)
def list_scores(
    ctx: typer.Context,
    *,
    session: SessionOption = None,
    request: RequestOption = None,
    output: Annotated[Output, typer.Option("--output", "-o", help="table, json or csv.")] = (
        Output.TABLE
    ),
) -> None:
    """The scores of a session (its own and its requests') or of a request."""
    _check_target(session, request)
    with client(ctx) as query:
        scores = query.scores(session_id=session, request_id=request)
    rows = [score.model_dump(mode="json") for score in scores]
    if output is Output.JSON:
        echo_json(rows)
        return
    if output is Output.CSV:
        echo_csv(rows)
        return
    console = stdout()
    if not scores:
        console.print("no scores yet", style="dim")
        return
    from agenttrace.cli import _format as fmt
    from agenttrace.cli._fit import Column
    from agenttrace.cli._render import print_table

    print_table(
        console,
        [
            Column("Name", [s.name for s in scores]),
            Column("Value", [_shown(s) for s in scores], 0, "right"),
            Column("On", [f"{s.target} {fmt.short_id(s.target_id)}" for s in scores], 1),
            Column("Source", [s.source for s in scores], 3),
            Column("When", [fmt.when(s.created_at) for s in scores], 2),
            Column("Comment", [s.comment or fmt.NONE for s in scores], 4),
        ],
    )
