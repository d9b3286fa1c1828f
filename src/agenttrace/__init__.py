"""agenttrace: self-hosted session tracing for LLM agents.

Everything a user needs is importable from here.
"""

from __future__ import annotations

from agenttrace._internal.client import configure, emit, flush, get_tracer, shutdown
from agenttrace._internal.context import SessionContext, current_session, session
from agenttrace._internal.headers import context_from_headers, parse_headers, session_headers
from agenttrace.exceptions import (
    AgentTraceError,
    ConfigurationError,
    NotFoundError,
    QueryError,
    UserError,
)
from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage

__version__ = "0.1.0"

__all__ = [
    "AgentTraceError",
    "ConfigurationError",
    "ErrorInfo",
    "NotFoundError",
    "QueryError",
    "Record",
    "RecordKind",
    "SessionContext",
    "Status",
    "Usage",
    "UserError",
    "__version__",
    "configure",
    "context_from_headers",
    "current_session",
    "emit",
    "flush",
    "get_tracer",
    "parse_headers",
    "session",
    "session_headers",
    "shutdown",
]
