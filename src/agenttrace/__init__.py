"""agenttrace: self-hosted session tracing for LLM agents.

Everything a user needs is importable from here.
"""

from __future__ import annotations

from agenttrace._internal.client import configure, emit, flush, get_tracer, shutdown
from agenttrace._internal.context import SessionContext, current_session, session
from agenttrace._internal.headers import context_from_headers, session_headers
from agenttrace._internal.log_builder import LogBuilder
from agenttrace._internal.manual_logger import ManualLogger
from agenttrace._internal.recorder import ResultRecorder
from agenttrace.core.headers import parse_headers
from agenttrace.core.version import __version__
from agenttrace.exceptions import (
    AgentTraceError,
    ConfigurationError,
    NotFoundError,
    QueryError,
    UserError,
)
from agenttrace.query import (
    AsyncQueryClient,
    CollectorUnavailableError,
    PathList,
    PathRow,
    QueryClient,
    RequestPage,
    RequestRow,
    SessionDetail,
    SessionPage,
    SessionRow,
    TreeNode,
)
from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage
from agenttrace.redaction import SecretRedactor, redact_secrets

__all__ = [
    "AgentTraceError",
    "AsyncQueryClient",
    "CollectorUnavailableError",
    "ConfigurationError",
    "ErrorInfo",
    "LogBuilder",
    "ManualLogger",
    "NotFoundError",
    "PathList",
    "PathRow",
    "QueryClient",
    "QueryError",
    "Record",
    "RecordKind",
    "RequestPage",
    "RequestRow",
    "ResultRecorder",
    "SecretRedactor",
    "SessionContext",
    "SessionDetail",
    "SessionPage",
    "SessionRow",
    "Status",
    "TreeNode",
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
    "redact_secrets",
    "session",
    "session_headers",
    "shutdown",
]
