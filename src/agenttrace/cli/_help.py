"""Help for commands with arguments, written as click writes it.

typer 0.29 writes a required argument as ``{SESSION_ID}`` in the usage line and adds its
type to its help (``SESSION_ID <str>``); `PlainHelpCommand` writes ``SESSION_ID`` for both.
The options' metavars are set where the options are declared (``--host HOST``); an option
declared without one reads as its name in capitals (``--page-size PAGE_SIZE``), or its
choices (``--kind [llm|tool]``), never as a type (``<int range>``).
"""

from __future__ import annotations

import re
from typing import Any

from typer.core import TyperCommand

__all__ = ["PlainHelpCommand"]

_TYPE = re.compile(r"<([^<>]*)>")
"""typer's way of writing an option's type in its help: ``<str>``, ``<a|b>``."""


def _without_types(names: str, param: Any) -> str:
    """``--page-size <int range>`` as ``--page-size PAGE_SIZE``, ``<a|b>`` as ``[a|b]``."""

    def plain(match: re.Match[str]) -> str:
        inner = match.group(1)
        return f"[{inner}]" if "|" in inner else str(param.name).upper()

    return _TYPE.sub(plain, names)


class PlainHelpCommand(TyperCommand):
    """A command whose arguments read ``SESSION_ID`` in its usage line and its help."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """The usage line's pieces, required arguments without typer's braces."""
        pieces: list[str] = super().collect_usage_pieces(ctx)
        return [
            piece[1:-1] if piece.startswith("{") and piece.endswith("}") else piece
            for piece in pieces
        ]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """The Arguments section (names without types), then the Options section."""
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((param.metavar or str(param.name).upper(), record[1]))
            elif param.param_type_name == "option":
                options.append((_without_types(record[0], param), record[1]))
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
