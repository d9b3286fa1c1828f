"""The filter options of the query commands, each declared once, named after the field of
`agenttrace.query_filters` it fills (``sessions``, ``requests``, ``paths``, ``metrics``
and ``export`` take them; `tests/cli/test_filter_options.py` checks that each command
offers exactly its model's filters). Plain typer declarations: ``agenttrace --help``
loads no pydantic.

`filter_arguments` turns a command's parameters (``ctx.params``) into the query
client's keyword arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any

import typer

from agenttrace.cli._shared import SessionStatus, parse_properties
from agenttrace.core.record_rules import RecordKind, Status

__all__ = [
    "FILTER_NAMES",
    "KindOption",
    "MaxCostOption",
    "MaxScoreOption",
    "MinCostOption",
    "MinScoreOption",
    "ModelOption",
    "NameOption",
    "PathOption",
    "PropertyOption",
    "ProviderOption",
    "RequestMaxCostOption",
    "RequestMinCostOption",
    "RequestSearchOption",
    "ScoreOption",
    "ScoreValueOption",
    "SessionIdOption",
    "SessionNameOption",
    "SessionSearchOption",
    "SessionStatusOption",
    "SinceOption",
    "StatusOption",
    "UntilOption",
    "UserOption",
    "choices",
    "filter_arguments",
]

TIME_HELP = "ISO-8601 time (UTC unless an offset is given) or a span ago: 30m, 2h, 7d."


def choices(values: type[Enum]) -> str:
    """The metavar of an option taking one of ``values``: ``[asc|desc]``, as click writes it."""
    return "[" + "|".join(str(item.value) for item in values) + "]"


NameOption = Annotated[str | None, typer.Option(metavar="NAME", help="Exact session name.")]
SessionNameOption = Annotated[
    str | None, typer.Option(metavar="NAME", help="Only sessions of this name.")
]
SessionSearchOption = Annotated[
    str | None, typer.Option(metavar="TEXT", help="Part of the session name or id.")
]
RequestSearchOption = Annotated[
    str | None, typer.Option(metavar="TEXT", help="Part of the request's id or name.")
]
SessionIdOption = Annotated[str | None, typer.Option("--session", metavar="ID", help="Session id.")]
UserOption = Annotated[
    str | None, typer.Option("--user-id", "--user", metavar="ID", help="User id.")
]
SessionStatusOption = Annotated[
    SessionStatus | None,
    typer.Option(metavar=choices(SessionStatus), help="Session status."),
]
StatusOption = Annotated[
    Status | None, typer.Option(metavar=choices(Status), help="How the call ended.")
]
KindOption = Annotated[
    RecordKind | None, typer.Option(metavar=choices(RecordKind), help="Kind of call.")
]
ModelOption = Annotated[str | None, typer.Option(metavar="MODEL", help="Model name.")]
ProviderOption = Annotated[str | None, typer.Option(metavar="PROVIDER", help="Provider.")]
PathOption = Annotated[
    str | None, typer.Option(metavar="PATH", help="Exact session path, e.g. /agent.")
]
PropertyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--property",
        "-p",
        metavar="KEY=VALUE",
        help="Custom property that must match; repeat for several.",
    ),
]
SinceOption = Annotated[
    str | None, typer.Option(metavar="TIME", help=f"Not before this. {TIME_HELP}")
]
UntilOption = Annotated[
    str | None, typer.Option(metavar="TIME", help=f"Not after this. {TIME_HELP}")
]
MinCostOption = Annotated[
    float | None, typer.Option(metavar="USD", help="Total cost at least (USD).")
]
MaxCostOption = Annotated[
    float | None, typer.Option(metavar="USD", help="Total cost at most (USD).")
]
ScoreOption = Annotated[
    str | None,
    typer.Option(metavar="NAME", help="Only sessions scored NAME (--sort score sorts by it)."),
]
MinScoreOption = Annotated[
    float | None, typer.Option(metavar="N", help="The score's average at least.")
]
MaxScoreOption = Annotated[
    float | None, typer.Option(metavar="N", help="The score's average at most.")
]
ScoreValueOption = Annotated[
    str | None, typer.Option(metavar="LABEL", help="A categorical score holding LABEL.")
]
RequestMinCostOption = Annotated[
    float | None, typer.Option(metavar="USD", help="Request cost at least (USD).")
]
RequestMaxCostOption = Annotated[
    float | None, typer.Option(metavar="USD", help="Request cost at most (USD).")
]


FILTER_NAMES = frozenset(
    {
        "name", "search", "session_id", "session_name", "user_id", "status", "model",
        "provider", "kind", "path", "properties", "since", "until", "min_cost", "max_cost",
        "score", "min_score", "max_score", "score_value",
    }
)  # fmt: skip
"""The filters of `agenttrace.query_filters`' models, as the commands' parameters."""


def filter_arguments(params: Mapping[str, Any]) -> dict[str, Any]:
    """The query client's keyword arguments from a command's parameters (``ctx.params``):
    the filters that are set, ``properties`` (``--property`` texts) as a dict, choices as
    their values."""
    arguments: dict[str, Any] = {}
    for name, given in params.items():
        if name not in FILTER_NAMES:
            continue
        value = parse_properties(list(given or ())) if name == "properties" else given
        if value is not None:
            arguments[name] = value.value if isinstance(value, Enum) else value
    return arguments
