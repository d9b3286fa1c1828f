"""The Helicone-compatible surface of the collector, so that code and tools written for
Helicone run unchanged against agenttrace.

Ingest (Helicone's manual loggers): ``POST /custom/v1/log``, ``/oai/v1/log``,
``/anthropic/v1/log``, ``/googleapis/v1/log`` and Jawn's ``/v1/trace/custom/log`` and
``/v1/trace/custom/v1/log``.

Queries (Helicone's REST API, ``{"data": ..., "error": ...}`` envelope):
``POST /v1/session/query``, ``/v1/session/name/query``, ``/v1/request/query``,
``/v1/request/query-clickhouse``, ``/v1/request/count/query``, ``/v1/request/query-ids``
and ``GET /v1/request/{requestId}``.

The mapping modules are pure and tested on their own: `ingest_mapping` (log body and
headers to a `Record`), `usage_parsing`, `filter_mapping` (FilterNode trees to the store's
filter AST), `query_mapping` (query bodies to store queries) and `row_mapping` (store rows
to Helicone's row shapes); `routes` is the ``APIRouter`` and `mount` adds it to an app
with Helicone's error envelope (`create_app` calls `mount_helicone`).
"""

from agenttrace.server.helicone.filter_mapping import (
    HeliconeFilterError,
    filter_from_helicone,
    response_status_code,
)
from agenttrace.server.helicone.ingest_mapping import HeliconeLogError, LogEndpoint, record_from_log
from agenttrace.server.helicone.mount import HELICONE_PATH_PREFIXES, mount_helicone
from agenttrace.server.helicone.query_mapping import (
    HeliconeQueryError,
    name_query_from_body,
    request_query_from_body,
    session_query_from_body,
)
from agenttrace.server.helicone.routes import router
from agenttrace.server.helicone.row_mapping import (
    helicone_properties,
    helicone_request,
    helicone_session,
    helicone_session_names,
)
from agenttrace.server.helicone.usage_parsing import ResponseFacts, read_response

__all__ = [
    "HELICONE_PATH_PREFIXES",
    "HeliconeFilterError",
    "HeliconeLogError",
    "HeliconeQueryError",
    "LogEndpoint",
    "ResponseFacts",
    "filter_from_helicone",
    "helicone_properties",
    "helicone_request",
    "helicone_session",
    "helicone_session_names",
    "mount_helicone",
    "name_query_from_body",
    "read_response",
    "record_from_log",
    "request_query_from_body",
    "response_status_code",
    "router",
    "session_query_from_body",
]
