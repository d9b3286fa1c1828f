"""agenttrace: self-hosted session tracing for LLM agents.

Everything a user needs is importable from here. Names are loaded on first use (PEP 562),
so that ``import agenttrace`` costs a process almost nothing: pydantic and the record
models load with the first record, httpx when the shipper first posts, genai-prices with
the first price, the query client when it is first named (``benchmarks/import_time.py``).
"""

from __future__ import annotations

import typing as _typing
from importlib import import_module as _import_module

from agenttrace.exceptions import (
    AgentTraceError,
    ConfigurationError,
    NotFoundError,
    QueryError,
    UserError,
)

if _typing.TYPE_CHECKING:
    from agenttrace._internal.context import SessionContext, current_session, session
    from agenttrace._internal.headers import context_from_headers, session_headers
    from agenttrace._internal.log_builder import LogBuilder
    from agenttrace._internal.manual_logger import ManualLogger
    from agenttrace._internal.recorder import ResultRecorder
    from agenttrace._internal.tracer import configure, emit, flush, get_tracer, shutdown
    from agenttrace.core.headers import parse_headers
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

from agenttrace.core.version import __version__

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

_MODULE_OF: dict[str, str] = {
    **dict.fromkeys(
        ("configure", "emit", "flush", "get_tracer", "shutdown"), "agenttrace._internal.tracer"
    ),
    **dict.fromkeys(
        ("SessionContext", "current_session", "session"), "agenttrace._internal.context"
    ),
    **dict.fromkeys(("context_from_headers", "session_headers"), "agenttrace._internal.headers"),
    "parse_headers": "agenttrace.core.headers",
    "LogBuilder": "agenttrace._internal.log_builder",
    "ManualLogger": "agenttrace._internal.manual_logger",
    "ResultRecorder": "agenttrace._internal.recorder",
    **dict.fromkeys(
        (
            "AsyncQueryClient",
            "CollectorUnavailableError",
            "PathList",
            "PathRow",
            "QueryClient",
            "RequestPage",
            "RequestRow",
            "SessionDetail",
            "SessionPage",
            "SessionRow",
            "TreeNode",
        ),
        "agenttrace.query",
    ),
    **dict.fromkeys(("ErrorInfo", "Record", "RecordKind", "Status", "Usage"), "agenttrace.records"),
    **dict.fromkeys(("SecretRedactor", "redact_secrets"), "agenttrace.redaction"),
}
"""Where each public name loaded on first use lives."""


if not _typing.TYPE_CHECKING:  # type checkers see the imports above, and flag unknown names

    def __getattr__(name: str) -> _typing.Any:
        """Load a public name from its module on first use, then keep it here."""
        module = _MODULE_OF.get(name)
        if module is None:
            msg = f"module 'agenttrace' has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(_import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """The public names, loaded or not, and the module's own attributes."""
    return sorted({*globals(), *__all__})
