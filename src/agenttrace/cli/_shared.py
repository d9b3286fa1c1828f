"""What the CLI's commands share: global options, the query client, consoles, parsing."""

from __future__ import annotations

import csv
import json
import os
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from agenttrace.exceptions import UserError

if TYPE_CHECKING:
    from rich.console import Console

    from agenttrace.query import QueryClient

__all__ = [
    "PLAIN_HELP",
    "GlobalOptions",
    "Order",
    "Output",
    "SessionStatus",
    "client",
    "echo_csv",
    "echo_json",
    "parse_properties",
    "stdout",
]

_PIPE_WIDTH = 200
"""Columns used when output goes to a pipe or file (no terminal to measure)."""

PLAIN_HELP: dict[str, Any] = {
    "rich_markup_mode": None,
    "context_settings": {"max_content_width": 120},
}
"""Settings of every command group: click's plain help text. Typer's rich help loads rich's
markdown, syntax and panel modules first, which made ``agenttrace --help`` take about three
times as long (``benchmarks/import_time.py``)."""


class SessionStatus(StrEnum):
    """``--status`` of ``sessions``."""

    OK = "ok"
    ERROR = "error"
    WAITING = "waiting"
    """A question to a human is unanswered."""


class Output(StrEnum):
    """``--output``: a table for people, JSON or CSV for scripts."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class Order(StrEnum):
    """``--order``."""

    ASC = "asc"
    DESC = "desc"


@dataclass(frozen=True, slots=True)
class GlobalOptions:
    """``agenttrace --endpoint URL --api-key KEY --timeout S <command>``."""

    endpoint: str | None = None
    api_key: str | None = None
    timeout: float = 10.0


def client(ctx: typer.Context) -> QueryClient:
    """A query client for the global options (environment variables fill the gaps)."""
    from agenttrace.query import QueryClient  # on use: --help needs neither it nor httpx

    options = ctx.find_object(GlobalOptions) or GlobalOptions()
    return QueryClient(options.endpoint, options.api_key, options.timeout)


def stdout() -> Console:
    """A console on standard output; wide when it is not a terminal, so ids stay whole."""
    from rich.console import Console

    stream = sys.stdout
    width = None
    if not stream.isatty() and not os.environ.get("COLUMNS"):
        width = _PIPE_WIDTH
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def echo_json(value: Any) -> None:
    """Machine output: indented JSON on standard output."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _cell(value: Any) -> Any:
    """A CSV cell: nested values (properties, errors, bodies) as compact JSON."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def echo_csv(rows: list[dict[str, Any]]) -> None:
    """Machine output: CSV with a header row (the union of the rows' fields, in order)."""
    fields = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})


def parse_properties(pairs: list[str] | None) -> dict[str, str] | None:
    """``["env=prod", "team=a"]`` -> ``{"env": "prod", "team": "a"}``; bad pairs explained."""
    if not pairs:
        return None
    properties: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            msg = f"--property {pair!r} is not key=value; write it like --property env=prod"
            raise UserError(msg)
        key = key.strip()
        if key in properties and properties[key] != value:
            msg = (
                f"--property {key} is given twice ({properties[key]!r} and {value!r}); "
                "a property has one value, so give it once"
            )
            raise UserError(msg)
        properties[key] = value
    return properties
