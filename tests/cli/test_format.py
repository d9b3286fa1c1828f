"""The CLI's figures for humans: durations, costs, token counts, times, statuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agenttrace.cli import _format as fmt


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, "-"),
        (0, "0 ms"),
        (0.44, "0.4 ms"),
        (9.96, "10 ms"),
        (850, "850 ms"),
        (999.4, "999 ms"),
        (999.6, "1.0 s"),
        (1234, "1.2 s"),
        (59_940, "59.9 s"),
        (59_960, "1m 00s"),
        (125_000, "2m 05s"),
        (3_720_000, "1h 02m"),
        (float("nan"), "-"),
    ],
)
def test_duration(ms: float | None, text: str) -> None:
    """Milliseconds read as ms below a second, then seconds, minutes, hours."""
    assert fmt.duration(ms) == text


@pytest.mark.parametrize(
    ("usd", "text"),
    [
        (None, "-"),
        (0, "$0"),
        (0.0012, "$0.0012"),
        (0.00123, "$0.0012"),
        (0.0005, "$0.0005"),
        (0.05, "$0.05"),
        (0.5, "$0.50"),
        (0.1234, "$0.12"),
        (0.0000123, "$0.000012"),
        (0.00000001, "<$0.000001"),
        (1, "$1.00"),
        (1234.5, "$1,234.50"),
    ],
)
def test_cost(usd: float | None, text: str) -> None:
    """Costs keep two significant digits below a dollar; unknown cost is a dash, not $0."""
    assert fmt.cost(usd) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (None, "-"),
        (0, "0"),
        (950, "950"),
        (1000, "1k"),
        (1234, "1.2k"),
        (12_345, "12.3k"),
        (999_400, "999.4k"),
        (999_600, "1M"),
        (3_400_000, "3.4M"),
        (2_000_000_000, "2B"),
    ],
)
def test_tokens(n: int | None, text: str) -> None:
    """Token counts shorten to k, M and B with one decimal."""
    assert fmt.tokens(n) == text


def test_when_is_local_time_to_the_second() -> None:
    """Times show in the local time zone, to the second."""
    moment = datetime(2025, 3, 1, 12, 0, 5, 600_000, tzinfo=UTC)
    assert fmt.when(moment) == moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert fmt.when(None) == "-"


@pytest.mark.parametrize(
    ("status", "text", "style"),
    [
        ("ok", "ok", "green"),
        ("error", "✗ error", "bold red"),
        ("interrupted", "⏸ interrupted", "yellow"),
        ("handoff", "↪ handoff", "cyan"),
        ("someday", "someday", ""),
    ],
)
def test_status_marks(status: str, text: str, style: str) -> None:
    """Failed and interrupted statuses are marked and coloured; unknown ones pass through."""
    label = fmt.status(status)
    assert (label.plain, str(label.style)) == (text, style)
