"""Query a collector from Python: `QueryClient`, `AsyncQueryClient` and their typed results.

>>> from agenttrace.query import QueryClient
>>> with QueryClient() as client:                                    # doctest: +SKIP
...     page = client.sessions(status="error", since="24h")
...     detail = client.session(page[0].session_id)
...     frame = client.requests(session_id=detail.session.session_id).to_pandas()
"""

from __future__ import annotations

from agenttrace.query._alert_calls import AlertDelivery, AlertEvent, AlertRule
from agenttrace.query._async_client import AsyncQueryClient
from agenttrace.query._client import QueryClient
from agenttrace.query._errors import CollectorUnavailableError
from agenttrace.query._export import ExportSummary
from agenttrace.query._export_files import ExportFormat
from agenttrace.query._feed import FeedPage
from agenttrace.query._metrics_models import MetricsResult, MetricsRow
from agenttrace.query._models import (
    PathList,
    PathRow,
    PropertyKey,
    PropertyList,
    PropertyValue,
    RequestPage,
    RequestRow,
    SessionDetail,
    SessionPage,
    SessionRow,
    TreeNode,
)
from agenttrace.query._score_calls import Score

__all__ = [
    "AlertDelivery",
    "AlertEvent",
    "AlertRule",
    "AsyncQueryClient",
    "CollectorUnavailableError",
    "ExportFormat",
    "ExportSummary",
    "FeedPage",
    "MetricsResult",
    "MetricsRow",
    "PathList",
    "PathRow",
    "PropertyKey",
    "PropertyList",
    "PropertyValue",
    "QueryClient",
    "RequestPage",
    "RequestRow",
    "Score",
    "SessionDetail",
    "SessionPage",
    "SessionRow",
    "TreeNode",
]
