"""The OpenInference conventions (Arize Phoenix's instrumentors).

* ``openinference.span.kind``: ``LLM`` and ``EMBEDDING`` are LLM calls, ``TOOL`` a tool
  call (segment: ``tool.name``), ``RETRIEVER`` / ``RERANKER`` vector-store calls; ``AGENT``
  is structure adding its name outside LangGraph (a span whose ``metadata`` says
  ``ls_integration: langgraph`` or carries LangGraph's node keys is LangGraph's own: a
  compiled graph named ``agent`` adds nothing); ``CHAIN`` and the rest add nothing unless
  the LangGraph node rule makes them a node.
* ``metadata`` (JSON): LangChain's run metadata, with LangGraph's ``langgraph_node`` /
  ``langgraph_checkpoint_ns`` and the run's ``thread_id``; ``tag.tags``.
* ``session.id``, ``user.id``; ``llm.model_name``, ``llm.provider`` (else ``llm.system``);
  ``llm.token_count.prompt`` / ``completion`` / ``total`` and their
  ``prompt_details.cache_read`` / ``cache_write`` and ``completion_details.reasoning``
  (the prompt count includes the cache); ``input.value`` / ``output.value``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agenttrace.records import RecordKind
from agenttrace.server.otlp.reading import (
    SpanReading,
    first_text,
    graph_metadata,
    parse_json,
    usage_shape,
)

__all__ = ["SPAN_KIND", "read_openinference"]

SPAN_KIND = "openinference.span.kind"
_KINDS = {
    "LLM": RecordKind.LLM,
    "EMBEDDING": RecordKind.LLM,
    "TOOL": RecordKind.TOOL,
    "RETRIEVER": RecordKind.VECTOR_DB,
    "RERANKER": RecordKind.VECTOR_DB,
}
_TOKENS = "llm.token_count."


def read_openinference(attributes: Mapping[str, Any], span_name: str, reading: SpanReading) -> None:
    """Fill ``reading`` from OpenInference's attributes (the span has ``SPAN_KIND``)."""
    span_kind = str(attributes.get(SPAN_KIND, "")).upper()
    reading.kind = _KINDS.get(span_kind)
    metadata = parse_json(attributes.get("metadata"))
    if isinstance(metadata, dict):
        reading.graph = graph_metadata(metadata)
        thread = metadata.get("thread_id")
        if isinstance(thread, str | int) and not isinstance(thread, bool):
            reading.thread_id = str(thread)
    tags = attributes.get("tag.tags")
    if isinstance(tags, list):
        reading.tags = [str(tag) for tag in tags]
    if reading.graph is not None or (
        isinstance(metadata, dict) and metadata.get("ls_integration") == "langgraph"
    ):
        reading.framework = True  # a LangGraph graph or node: the node rule places it
    if reading.kind is RecordKind.TOOL:
        reading.segment = first_text(attributes, "tool.name") or span_name
        reading.name = reading.segment
    elif span_kind == "AGENT" and not reading.framework:
        reading.segment = first_text(attributes, "agent.name") or span_name
    _read_call(attributes, reading)


def _read_call(attributes: Mapping[str, Any], reading: SpanReading) -> None:
    """Session, user, model, provider, usage and bodies."""
    reading.session_id = first_text(attributes, "session.id") or reading.session_id
    reading.user_id = first_text(attributes, "user.id") or reading.user_id
    reading.model = (
        first_text(attributes, "llm.model_name", "embedding.model_name") or reading.model
    )
    reading.provider = first_text(attributes, "llm.provider", "llm.system") or reading.provider
    if any(key.startswith(_TOKENS) for key in attributes):
        reading.usage = usage_shape(
            input_tokens=attributes.get(_TOKENS + "prompt"),
            output_tokens=attributes.get(_TOKENS + "completion"),
            total_tokens=attributes.get(_TOKENS + "total"),
            cache_read=attributes.get(_TOKENS + "prompt_details.cache_read"),
            cache_write=attributes.get(_TOKENS + "prompt_details.cache_write"),
            reasoning=attributes.get(_TOKENS + "completion_details.reasoning"),
        )
    if reading.kind is not None:
        if "input.value" in attributes:
            reading.request = {"input": parse_json(attributes["input.value"])}
        if "output.value" in attributes:
            reading.response = {"output": parse_json(attributes["output.value"])}
