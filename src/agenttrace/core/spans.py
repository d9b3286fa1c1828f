"""Spans of time written as people write them: ``90s``, ``15m``, ``2h``, ``7d``, ``1w``."""

from __future__ import annotations

import re
from datetime import timedelta

from agenttrace.exceptions import UserError

__all__ = ["SPAN_HELP", "parse_span", "require_span"]

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
SPAN_HELP = "a number and a unit: 90s, 15m, 2h, 30d or 1w"


def parse_span(value: str) -> timedelta | None:
    """``value`` as a timedelta, or None when it is not a span."""
    match = _SPAN.match(value)
    if match is None:
        return None
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def require_span(value: str, what: str, *, positive: bool = False) -> timedelta:
    """``value`` as a timedelta; `UserError` naming ``what`` (an option) when it is not a
    span, or is zero and ``positive`` asks for more."""
    span = parse_span(value)
    if span is None or (positive and span <= timedelta(0)):
        msg = f"{what} {value!r} is not a span of time; write {SPAN_HELP}"
        raise UserError(msg)
    return span
