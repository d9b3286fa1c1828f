"""`compute_cost`, with genai-prices and its price data loaded on the first call that needs
a price rather than when agenttrace is imported (they take longer to import than the rest
of the client). See `agenttrace.core.pricing` for how a cost is computed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agenttrace.records import Usage

__all__ = ["compute_cost"]

_compute: Callable[..., float | None] | None = None


def compute_cost(
    model: str | None,
    provider: str | None,
    usage: Usage | None,
    *,
    at: datetime | None = None,
) -> float | None:
    """The cost in USD of a call to ``model`` at ``provider`` that used ``usage``; None
    when unknown (`agenttrace.core.pricing.compute_cost`)."""
    global _compute  # noqa: PLW0603 - one import per process, on first use
    if usage is None or not model:
        return None
    if _compute is None:
        from agenttrace.core.pricing import compute_cost as compute

        _compute = compute
    return _compute(model, provider, usage, at=at)
