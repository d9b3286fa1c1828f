"""The OpenLLMetry / Traceloop conventions (on top of GenAI, read first).

* ``traceloop.span.kind``: ``workflow``, ``agent``, ``task`` are structure adding
  ``traceloop.entity.name``; ``tool`` is a tool call named by it. LangGraph's own spans
  (``gen_ai.provider.name`` ``langgraph``, or LangGraph metadata in the association
  properties) add only what the LangGraph node rule says.
* ``traceloop.association.properties.*``: the session (``session_id``, ``session.id``,
  ``conversation_id``), the user (``user_id``, ``user.id``), LangChain's run metadata
  (``langgraph_node``, ``langgraph_checkpoint_ns``, ``thread_id``, ``ls_model_name``,
  ``ls_provider``) and any other property, kept as the record's properties.
* ``llm.usage.total_tokens``; ``traceloop.entity.input`` / ``output`` as the bodies of
  tools and tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agenttrace.records import RecordKind
from agenttrace.server.otlp.reading import SpanReading, graph_metadata, parse_json

__all__ = ["ASSOCIATION", "PREFIX", "SPAN_KIND", "read_traceloop"]

PREFIX = "traceloop."
"""Of every attribute name read here: a span without one has nothing to read."""
SPAN_KIND = PREFIX + "span.kind"
ASSOCIATION = PREFIX + "association.properties."
_STRUCTURE = frozenset({"workflow", "agent", "task"})
_SESSION_KEYS = ("session_id", "session.id", "sessionId", "conversation_id")
_USER_KEYS = ("user_id", "user.id", "userId")
_RUN_PREFIXES = ("langgraph_", "ls_", "checkpoint_ns", "thread_id")
"""LangChain's own run metadata, not user properties."""
_MAX_PROPERTIES = 64
_MAX_VALUE = 1000
_MAX_KEY = 200


def _associations(attributes: Mapping[str, Any]) -> dict[str, Any]:
    offset = len(ASSOCIATION)
    return {key[offset:]: value for key, value in attributes.items() if key.startswith(ASSOCIATION)}


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def read_traceloop(attributes: Mapping[str, Any], span_name: str, reading: SpanReading) -> None:
    """Fill ``reading`` from Traceloop's attributes."""
    span_kind = attributes.get(SPAN_KIND)
    entity = _text(attributes.get("traceloop.entity.name"))
    associations = _associations(attributes)
    if associations:
        graph = graph_metadata(associations)
        if graph is not None:
            reading.graph = graph
            reading.framework = True
        reading.thread_id = _text(associations.get("thread_id")) or reading.thread_id
        session = next((_text(associations.get(key)) for key in _SESSION_KEYS), None)
        reading.session_id = session or reading.session_id
        user = next((_text(associations.get(key)) for key in _USER_KEYS), None)
        reading.user_id = user or reading.user_id
        reading.model = reading.model or _text(associations.get("ls_model_name"))
        reading.provider = reading.provider or _text(associations.get("ls_provider"))
        reading.properties.update(_properties(associations))
    if span_kind == "tool":
        reading.kind = RecordKind.TOOL
        reading.segment = entity or reading.segment or span_name
        reading.name = reading.segment
    elif span_kind in _STRUCTURE and reading.kind is None:
        reading.segment = entity
    if span_kind is not None and reading.kind is not None:
        if "traceloop.entity.input" in attributes and reading.request is None:
            reading.request = {"input": parse_json(attributes["traceloop.entity.input"])}
        if "traceloop.entity.output" in attributes and reading.response is None:
            reading.response = {"output": parse_json(attributes["traceloop.entity.output"])}


def _properties(associations: Mapping[str, Any]) -> dict[str, str]:
    properties: dict[str, str] = {}
    for key, value in associations.items():
        if key.startswith(_RUN_PREFIXES) or key in _SESSION_KEYS or key in _USER_KEYS:
            continue
        text = _text(value)
        if text is None or not key or len(key) > _MAX_KEY:
            continue
        properties[key] = text[:_MAX_VALUE]
        if len(properties) == _MAX_PROPERTIES:
            break
    return properties
