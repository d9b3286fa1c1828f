"""Exceptions raised by agenttrace.

::

    AgentTraceError
     +-- UserError            a mistake of the calling developer (bad argument, bad state)
     |    +-- ConfigurationError   a setting is missing or invalid
     +-- QueryError           the collector answered a query with an error (status, message)
     +-- NotFoundError        (QueryError) the session or request does not exist

Tracing itself never raises into user code: failures inside the handler, the logger or
the shipper are logged (and re-raised only under tests; see ``agenttrace.testing``).
"""

from __future__ import annotations

__all__ = [
    "AgentTraceError",
    "ConfigurationError",
    "NotFoundError",
    "QueryError",
    "UserError",
]


class AgentTraceError(Exception):
    """Base of every agenttrace exception."""


class UserError(AgentTraceError):
    """The calling code used agenttrace wrongly; the message says how to fix it."""


class ConfigurationError(UserError):
    """A setting is missing or invalid; the message names it and where to set it."""


class QueryError(AgentTraceError):
    """The collector answered with an error."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"collector answered {status_code}: {message}")
        self.status_code = status_code
        self.message = message


class NotFoundError(QueryError):
    """The session or request asked for does not exist (in this project)."""
