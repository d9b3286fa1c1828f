"""The door for integrations: everything a producer of records needs, and nothing private.

An integration (the LangChain handler, an OpenTelemetry bridge, your own) imports this
module and ``agenttrace`` itself, never ``agenttrace._internal`` or ``agenttrace.core``;
it declares ``agenttrace>=`` the version whose door it uses and may check `VERSION_INFO`.
Names are only added in a minor version; one removed or changing meaning means a new
major version.

**Open a session** (the rule: `derive_session`)::

    ctx = derive_session(current_session(), id=thread_id, properties={"tier": "gold"})
    with use_session(ctx):          # code inside sees it as agenttrace.current_session()
        ...

`register_context_provider` lets an integration answer `current_session` from its own
state (the LangChain handler answers with the run whose code is executing).

**Derive a child path**: `child_path` appends one derived segment (a node, a tool),
`join_path` a user's path; LangGraph's node rule is `node_segment` (with
`checkpoint_namespace`, `namespace_segments`, `is_push_task` and `task_id`).

**Build and emit a record**: build a `Record` (`new_id` for ids; on a hot path
`new_record`, which takes every field as a `RecordFields` dict and checks only what types
cannot say, about a third of the cost of ``Record(...)``) and `emit` it to the
process-wide tracer, which never blocks and never raises; or, cheaper for the caller, hand
`emit_later` a function that builds it (and does the pricing and body serialising), run on
the shipper's worker thread; `sends_bodies` says whether bodies are wanted at all. An
`Exporter` receives records instead of the shipper through
``agenttrace.configure(exporter=...)``.

**Questions to a human** (kind ``human``): `human_record_id` gives the record of an
interrupt the same id in every process; the question (status interrupted, no end time,
`INTERRUPT_ID_PROPERTY`, what was asked under `QUESTION_KEY` of the request) and the
answer (status ok, end time, `ANSWER_KEY` of the response) are sent as that one record
and the collector merges them; an answer that cannot name its interrupt carries
`OPEN_QUESTION` as its interrupt id and completes the session's open questions.

**Classify an exception**: `exception_status` (cancelled, interrupted, handoff or error)
and `error_info`.

**Count and price usage**: `usage_from_response` / `usage_from_mapping` read any provider's
usage shape (`StreamUsage` for streams), `model_name` the served model, `provider_id` a
provider's name as genai-prices knows it (LangChain's ``ls_provider``), `compute_cost` the
price.

**Fail safely**: call `report_internal_error` in an ``except`` block around your callback
code: it logs, or re-raises under tests (`raise_internal_errors`).
"""

from __future__ import annotations

import typing as _typing

from agenttrace._internal.context import (
    ContextProvider,
    current_session,
    register_context_provider,
    unregister_context_provider,
)
from agenttrace._internal.context import use_context as use_session
from agenttrace._internal.record_factory import RecordFields, new_record
from agenttrace._internal.tracer import Exporter
from agenttrace._internal.tracer import get_tracer as _get_tracer
from agenttrace.core.cost import compute_cost as _cost
from agenttrace.core.human import (
    ANSWER_KEY,
    INTERRUPT_ID_PROPERTY,
    OPEN_QUESTION,
    QUESTION_KEY,
    human_record_id,
)
from agenttrace.core.ids import new_id
from agenttrace.core.internal_errors import raise_internal_errors, report_internal_error
from agenttrace.core.langgraph_paths import (
    checkpoint_namespace,
    is_push_task,
    namespace_segments,
    node_segment,
    task_id,
)
from agenttrace.core.outcome import error_info, exception_status, type_name
from agenttrace.core.provider_names import provider_id
from agenttrace.core.sessions import (
    MAX_DERIVED_DEPTH,
    SessionContext,
    child_path,
    derive_session,
    join_path,
)
from agenttrace.core.usage import (
    StreamUsage,
    as_mapping,
    model_name,
    usage_from_mapping,
    usage_from_response,
)
from agenttrace.core.version import VERSION, VERSION_INFO
from agenttrace.exceptions import UserError
from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage, normalize_path

if _typing.TYPE_CHECKING:  # no public name for it in the door
    from collections.abc import Callable
    from datetime import datetime

__all__ = [
    "ANSWER_KEY",
    "INTERRUPT_ID_PROPERTY",
    "MAX_DERIVED_DEPTH",
    "OPEN_QUESTION",
    "QUESTION_KEY",
    "VERSION",
    "VERSION_INFO",
    "ContextProvider",
    "ErrorInfo",
    "Exporter",
    "Record",
    "RecordFields",
    "RecordKind",
    "SessionContext",
    "Status",
    "StreamUsage",
    "Usage",
    "UserError",
    "as_mapping",
    "checkpoint_namespace",
    "child_path",
    "compute_cost",
    "current_session",
    "derive_session",
    "emit",
    "emit_later",
    "error_info",
    "exception_status",
    "human_record_id",
    "is_push_task",
    "join_path",
    "model_name",
    "namespace_segments",
    "new_id",
    "new_record",
    "node_segment",
    "normalize_path",
    "provider_id",
    "raise_internal_errors",
    "register_context_provider",
    "report_internal_error",
    "sends_bodies",
    "task_id",
    "type_name",
    "unregister_context_provider",
    "usage_from_mapping",
    "usage_from_response",
    "use_session",
]


def emit(record: Record) -> None:
    """Hand ``record`` to the process-wide tracer: privacy rules, then the exporter.

    Never blocks on the network; never raises (except under tests).
    """
    _get_tracer().emit(record)


def emit_later(build: Callable[[], Record], where: str = "emit") -> None:
    """Hand the process-wide tracer a function that builds a record (added in 0.4).

    The background shipper runs it, and the privacy rules, on its worker thread, so the
    caller pays only for queueing; any other exporter gets the record at once. ``build``
    must only read values that stay as they are (take what may change into its own
    objects first). Should it raise, the record is dropped and logged under ``where``
    (under tests the next `agenttrace.flush` raises it). Never blocks on the network;
    never raises (except under tests).
    """
    _get_tracer().emit_later(build, where)


def sends_bodies() -> bool:
    """Whether records should carry request and response bodies at all
    (``agenttrace.configure(send_bodies=False)`` or ``AGENTTRACE_SEND_BODIES=0`` say no),
    so that an integration can skip building them."""
    return _get_tracer().settings.send_bodies


def compute_cost(
    model: str | None,
    provider: str | None,
    usage: Usage | None,
    *,
    at: datetime | None = None,
) -> float | None:
    """The cost in USD of a call to ``model`` at ``provider`` that used ``usage`` (made
    ``at``, now by default); None when unknown, never 0 for unknown. Never raises.

    The prices (genai-prices) are loaded on the first call, not when the door is imported.
    """
    return _cost(model, provider, usage, at=at)
