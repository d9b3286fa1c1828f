"""What tracing does with its own failures: log them, never break the user's program.

Under tests (``PYTEST_CURRENT_TEST`` set, or ``AGENTTRACE_RAISE_INTERNAL_ERRORS=1``) they
re-raise so that bugs surface. ``AGENTTRACE_RAISE_INTERNAL_ERRORS=0`` forces logging.
"""

from __future__ import annotations

import logging
import os

__all__ = ["logger", "raise_internal_errors", "report_internal_error"]

logger = logging.getLogger("agenttrace")


def raise_internal_errors() -> bool:
    """Whether internal failures should surface (tests) rather than be logged."""
    forced = os.environ.get("AGENTTRACE_RAISE_INTERNAL_ERRORS")
    if forced is not None:
        return forced.strip().lower() in {"1", "true", "yes"}
    return "PYTEST_CURRENT_TEST" in os.environ


def report_internal_error(where: str, exc: BaseException) -> None:
    """Log ``exc`` raised inside agenttrace at ``where``; re-raise it under tests.

    Call from an ``except`` block only.
    """
    if raise_internal_errors():
        raise exc
    logger.warning("agenttrace: internal error in %s (tracing continues)", where, exc_info=exc)
