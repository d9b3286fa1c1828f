"""Figures for humans: ``850 ms``, ``1.2 s``, ``$0.0012``, ``1.2k``, local times, statuses."""

from __future__ import annotations

import math
from datetime import datetime

from rich.text import Text

__all__ = ["NONE", "cost", "count", "duration", "short_id", "status", "tokens", "when"]

NONE = "-"
"""What an unknown figure (no cost, no end yet) shows as."""

_STATUS_STYLES = {
    "ok": ("ok", "green"),
    "error": ("✗ error", "bold red"),
    "interrupted": ("⏸ interrupted", "yellow"),
    "cancelled": ("⊘ cancelled", "yellow"),
    "handoff": ("↪ handoff", "cyan"),
    "waiting": ("⏳ waiting", "bold yellow"),
}


def duration(ms: float | None) -> str:
    """``0.4 ms``, ``850 ms``, ``1.2 s``, ``2m 05s``, ``1h 02m``."""
    if ms is None or not math.isfinite(ms):
        return NONE
    if ms < 10:
        text = f"{ms:.1f}".removesuffix(".0")
        return f"{text} ms"
    if ms < 999.5:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes}m {rest:02d}s"
    hours, rest = divmod(whole, 3600)
    return f"{hours}h {rest // 60:02d}m"


def cost(usd: float | None) -> str:
    """``$0``, ``$0.0012``, ``$0.0005``, ``$0.12``, ``$0.50``, ``$1,234.50``.

    Below $1: two significant digits, trailing zeros dropped past the cents.
    """
    if usd is None or not math.isfinite(usd):
        return NONE
    if usd == 0:
        return "$0"
    if usd < 0.000001:
        return "<$0.000001"
    if usd < 1:
        decimals = max(2, 1 - math.floor(math.log10(usd)))
        text = f"{usd:.{decimals}f}"
        while text.endswith("0") and len(text.partition(".")[2]) > 2:
            text = text[:-1]
        return f"${text}"
    return f"${usd:,.2f}"


def tokens(n: int | None) -> str:
    """``950``, ``1.2k``, ``12k``, ``3.4M``."""
    if n is None:
        return NONE
    if n < 1000:
        return str(n)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if n >= size * 0.9995:
            return f"{n / size:.1f}".removesuffix(".0") + suffix
    return str(n)  # pragma: no cover - every n >= 1000 matched above


def count(n: int) -> str:
    """A whole number with thousands separators."""
    return f"{n:,}"


SHORT_ID = 12
"""Characters of an id a narrow table shows, as the dashboard does (any unique prefix works)."""


def short_id(value: str, keep: int = SHORT_ID) -> str:
    """``value`` cut to ``keep`` characters and marked ``…`` when longer."""
    return value if len(value) <= keep + 1 else f"{value[:keep]}…"


def when(moment: datetime | None) -> str:
    """A time in the local time zone, to the second."""
    if moment is None:
        return NONE
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def status(value: str, since: datetime | None = None) -> Text:
    """A status word, marked and coloured (failed and interrupted stand out); a session
    waiting for a human says since when."""
    label, style = _STATUS_STYLES.get(value, (value, ""))
    if since is not None:
        label = f"{label} since {when(since)}"
    return Text(label, style=style)
