"""Spans of time as people write them: 90s, 15m, 2h, 7d, 1w."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agenttrace.core.spans import parse_span, require_span
from agenttrace.exceptions import UserError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        (" 2h ", timedelta(hours=2)),
        ("1.5d", timedelta(hours=36)),
        ("1w", timedelta(weeks=1)),
        ("0s", timedelta(0)),
    ],
)
def test_spans_are_read(text: str, expected: timedelta) -> None:
    """A number and one unit letter is a span."""
    assert parse_span(text) == expected


@pytest.mark.parametrize("text", ["", "2", "h", "2 hours", "-1h", "2024-05-01"])
def test_other_text_is_no_span(text: str) -> None:
    """Anything else is not a span (None), so callers can try other readings."""
    assert parse_span(text) is None


def test_require_span_names_the_option_and_the_form() -> None:
    """A bad or (when asked) zero span is a UserError naming the option and the form."""
    assert require_span("7d", "--older-than") == timedelta(days=7)
    with pytest.raises(UserError, match=r"--older-than '7 days' is not a span of time; write"):
        require_span("7 days", "--older-than")
    with pytest.raises(UserError, match="--every '0s'"):
        require_span("0s", "--every", positive=True)
