"""A record as OpenTelemetry span attributes: the GenAI conventions first, then agenttrace's.

What other backends read (Jaeger, Tempo, Phoenix, Langfuse):

* ``gen_ai.operation.name``: ``chat`` for an LLM call, ``execute_tool`` for a tool call
  (with ``gen_ai.tool.name``), ``retrieval`` for a vector-store call; custom, chain and
  data records have none;
* ``gen_ai.provider.name`` and the older ``gen_ai.system``; ``gen_ai.request.model`` and
  ``gen_ai.response.model`` (the model the record names);
* ``gen_ai.usage.input_tokens`` / ``output_tokens`` (input includes the cache, as in the
  record), ``gen_ai.usage.cache_read.input_tokens``, ``cache_creation.input_tokens`` and
  ``reasoning.output_tokens``;
* ``gen_ai.conversation.id`` and ``session.id`` (the session), ``user.id``;
* ``input.value`` / ``output.value``: the request and response bodies as JSON (what
  Phoenix shows), only when the record has them (``send_bodies`` and the redaction hook
  applied before);
* ``error.type`` when the call failed (the span's status and ``exception`` event say the
  rest; see `agenttrace._internal.otel_export._spans`).

agenttrace's own names, which its collector reads back (``/v1/traces``) so that a round
trip gives the same record: ``agenttrace.path`` (the session path), ``agenttrace.segment``
(the path segment the span adds: a graph node's name, or a tool's when the tool span hangs
under its parent's node), ``agenttrace.kind``, ``agenttrace.status`` (when not ``ok``),
``agenttrace.record.id``, ``agenttrace.name``, ``agenttrace.session.name``, ``agenttrace.cost_usd``,
``agenttrace.attempt``, ``agenttrace.branch_id`` (also on the node span of a ``Send``
branch), ``agenttrace.time_to_first_token_ms`` and ``agenttrace.properties`` (JSON).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic_core import to_json

from agenttrace.core.record_rules import RecordKind, Status

if TYPE_CHECKING:
    from agenttrace.records import Record, Usage

__all__ = [
    "BRANCH",
    "PATH",
    "SEGMENT",
    "operation_name",
    "record_attributes",
    "session_attributes",
    "span_name",
]

PATH = "agenttrace.path"
SEGMENT = "agenttrace.segment"
BRANCH = "agenttrace.branch_id"
"""On a record's span, and on its ``Send`` branch's node span: the branch."""

_OPERATIONS = {
    RecordKind.LLM: "chat",
    RecordKind.TOOL: "execute_tool",
    RecordKind.VECTOR_DB: "retrieval",
}

Attributes = dict[str, Any]


def operation_name(kind: RecordKind) -> str | None:
    """The GenAI operation of a record kind (None: not a GenAI operation)."""
    return _OPERATIONS.get(kind)


def span_name(record: Record) -> str:
    """``chat gpt-4o``, ``execute_tool search``, or the record's name (the GenAI rule)."""
    operation = _OPERATIONS.get(record.kind)
    if operation == "chat":
        return f"chat {record.model}" if record.model else (record.name or "chat")
    if operation == "execute_tool":
        return f"execute_tool {record.name}" if record.name else "execute_tool"
    return record.name or record.kind.value


def session_attributes(session_id: str, session_name: str | None) -> Attributes:
    """What every span of a session carries: its id (twice: GenAI and OpenInference names)."""
    attributes: Attributes = {"gen_ai.conversation.id": session_id, "session.id": session_id}
    if session_name:
        attributes["agenttrace.session.name"] = session_name
    return attributes


def _json(value: Any) -> str:
    """``value`` as compact JSON (in Rust: four times ``json.dumps``); what it cannot write
    as ``str(...)``; a value with text UTF-8 cannot encode through ``json.dumps``."""
    try:
        return to_json(value, fallback=str).decode()
    except Exception:  # noqa: BLE001 - a lone surrogate, a cycle: the slow way
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            return json.dumps(repr(value))


def record_attributes(record: Record, *, segment: str | None) -> Attributes:
    """The attributes of ``record``'s span; ``segment`` is the path segment the span adds
    (a tool hung under its parent's node adds its name), None when it adds none."""
    # written out, not looped over tables: this runs for every record exported
    session_id = record.session_id
    attributes: Attributes = {"gen_ai.conversation.id": session_id, "session.id": session_id}
    if record.session_name:
        attributes["agenttrace.session.name"] = record.session_name
    attributes[PATH] = record.session_path
    kind = record.kind
    attributes["agenttrace.kind"] = kind.value
    status = record.status
    if status is not Status.OK:
        attributes["agenttrace.status"] = status.value
    attributes["agenttrace.record.id"] = record.id
    attributes["agenttrace.name"] = name = record.name
    if segment is not None:
        attributes[SEGMENT] = segment
    operation = _OPERATIONS.get(kind)
    if operation is not None:
        attributes["gen_ai.operation.name"] = operation
        if kind is RecordKind.TOOL and name:
            attributes["gen_ai.tool.name"] = name
    if record.provider:
        attributes["gen_ai.provider.name"] = attributes["gen_ai.system"] = record.provider
    if record.model:
        attributes["gen_ai.request.model"] = attributes["gen_ai.response.model"] = record.model
    if record.usage is not None:
        _usage(record.usage, attributes)
    _optional(record, attributes)
    return attributes


def _optional(record: Record, attributes: Attributes) -> None:
    """Cost, user, properties, attempt, branch, time to first token, bodies, error type."""
    if record.cost_usd is not None:
        attributes["agenttrace.cost_usd"] = record.cost_usd
    if record.user_id:
        attributes["user.id"] = record.user_id
    if record.properties:
        attributes["agenttrace.properties"] = _json(record.properties)
    if record.attempt != 1:
        attributes["agenttrace.attempt"] = record.attempt
    if record.branch_id:
        attributes[BRANCH] = record.branch_id
    if record.time_to_first_token_ms is not None:
        attributes["agenttrace.time_to_first_token_ms"] = record.time_to_first_token_ms
    if record.request is not None:
        attributes["input.value"] = _json(record.request)
    if record.response is not None:
        attributes["output.value"] = _json(record.response)
    if record.status is Status.ERROR and record.error is not None:
        attributes["error.type"] = record.error.type


def _usage(usage: Usage, attributes: Attributes) -> None:
    """The GenAI convention's token counts."""
    if usage.input_tokens is not None:
        attributes["gen_ai.usage.input_tokens"] = usage.input_tokens
    if usage.output_tokens is not None:
        attributes["gen_ai.usage.output_tokens"] = usage.output_tokens
    if usage.cache_read_tokens is not None:
        attributes["gen_ai.usage.cache_read.input_tokens"] = usage.cache_read_tokens
    if usage.cache_write_tokens is not None:
        attributes["gen_ai.usage.cache_creation.input_tokens"] = usage.cache_write_tokens
    if usage.reasoning_tokens is not None:
        attributes["gen_ai.usage.reasoning.output_tokens"] = usage.reasoning_tokens
