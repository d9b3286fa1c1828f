"""`ResultRecorder`: what an operation passed to `ManualLogger.log_request` receives.

It has the shape of Helicone's ``HeliconeResultRecorder`` (``request``, ``results``,
``append_results(dict)``, ``get_results()``), so operations written for Helicone run
unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from agenttrace.exceptions import UserError

__all__ = ["ResultRecorder", "checked_cost"]


class ResultRecorder:
    """Collects what an operation wants logged as its response.

    ``append_results(response)`` merges a dict into ``results`` (later keys win). The
    logger reads token usage from ``results["usage"]`` (OpenAI, Anthropic, LangChain or
    Gemini shape), the served model from ``results["model"]`` and an explicit cost from
    ``results["cost_usd"]`` (or `set_cost`); an explicit cost wins over the computed one.
    """

    __slots__ = ("cost_usd", "request", "results")

    def __init__(self, request: Mapping[str, Any]) -> None:
        self.request = request
        self.results: dict[str, Any] = {}
        self.cost_usd: float | None = None

    def append_results(self, data: Mapping[str, Any]) -> None:
        """Merge ``data`` (a dict, e.g. a provider's JSON response) into the results."""
        self.results.update(data)

    def get_results(self) -> dict[str, Any]:
        """The results gathered so far."""
        return self.results

    def set_cost(self, usd: float) -> None:
        """Record the call's cost in USD, instead of the one computed from usage."""
        self.cost_usd = checked_cost(usd)

    def __repr__(self) -> str:
        return f"ResultRecorder(results={sorted(self.results)!r})"


def checked_cost(usd: object) -> float:
    """``usd`` as a float, or a `UserError` saying what a cost must be."""
    if isinstance(usd, bool) or not isinstance(usd, int | float) or not 0 <= usd < math.inf:
        msg = f"a cost must be a non-negative number of US dollars; got {usd!r}"
        raise UserError(msg)
    return float(usd)
