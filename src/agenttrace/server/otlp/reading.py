"""`SpanReading`: what a span says, in agenttrace's words, whichever convention said it.

Each convention module (`genai`, `openinference`, `traceloop`) fills in what its own
attributes say; `agenttrace.server.otlp.mapping` then applies the core rules (outcome,
usage, pricing, the LangGraph node rule) to the reading.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import from_json

from agenttrace.core.langgraph_paths import NAMESPACE_KEY, NODE_KEY
from agenttrace.records import RecordKind, Status

__all__ = [
    "FRAMEWORK_PROVIDERS",
    "OwnFields",
    "SpanReading",
    "first_text",
    "graph_metadata",
    "parse_json",
    "usage_shape",
]

FRAMEWORK_PROVIDERS = frozenset({"langchain", "langgraph"})
"""``gen_ai.provider.name`` values that name a framework, not the model's provider."""

_GRAPH_KEYS = (NAMESPACE_KEY, NODE_KEY)
_MAX_JSON = 8_000_000
_DECODER = json.JSONDecoder()
_JSON_SPACE = " \t\n\r"


@dataclass(slots=True)
class SpanReading:
    """What one span says. ``kind`` None: the span is structure, not a record."""

    kind: RecordKind | None = None
    name: str | None = None
    segment: str | None = None
    """The segment the span adds of itself (tool, agent or workflow-step name)."""
    framework: bool = False
    """A LangGraph span: as structure it adds only what the LangGraph node rule says."""
    graph: Mapping[str, Any] | None = None
    """LangGraph run metadata (``langgraph_node``, ``langgraph_checkpoint_ns``, ...)."""
    tags: list[str] = field(default_factory=list)
    session_id: str | None = None
    thread_id: str | None = None
    user_id: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    model: str | None = None
    provider: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    """Counts in LangChain's ``usage_metadata`` shape (input includes the cache). Read,
    never changed: readings of calls with the same counts share one (replace it)."""
    request: Any = None
    response: Any = None
    own: OwnFields | None = None
    """What only agenttrace's own exporter writes (its record, exactly), else None."""


@dataclass(slots=True)
class OwnFields:
    """The record fields agenttrace's exporter sends besides the conventions' names."""

    record_id: str | None = None
    status: Status | None = None
    cost: float | None = None
    session_name: str | None = None
    attempt: int = 1
    branch_id: str | None = None
    time_to_first_token_ms: float | None = None


def first_text(attributes: Mapping[str, Any], *keys: str) -> str | None:
    """The first of ``keys`` holding a non-empty string (``"unknown"`` counts as none)."""
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str) and value and value != "unknown":
            return value
    return None


def parse_json(value: Any) -> Any:
    """A JSON string as its value, anything else (or bad JSON) as it is."""
    if isinstance(value, str) and value[:1] in {"{", "["} and len(value) <= _MAX_JSON:
        try:  # in Rust, about twice as fast: the value `json` gives, where it succeeds
            return from_json(value)
        except (ValueError, TypeError):  # TypeError: a lone surrogate in the text
            pass  # not JSON, or what `json` reads and it does not (lone surrogates, deep
            # nesting, characters after the value): `json` decides, as it always did
        # json.loads without its two whitespace scans (the text starts with a bracket)
        try:
            parsed, end = _DECODER.raw_decode(value)
        except (ValueError, RecursionError):
            return value
        if end == len(value) or not value[end:].strip(_JSON_SPACE):
            return parsed
    return value


def graph_metadata(metadata: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``metadata`` when it carries LangGraph's node keys, else None."""
    return metadata if any(key in metadata for key in _GRAPH_KEYS) else None


def usage_shape(
    *,
    input_tokens: Any = None,
    output_tokens: Any = None,
    total_tokens: Any = None,
    cache_read: Any = None,
    cache_write: Any = None,
    reasoning: Any = None,
) -> dict[str, Any]:
    """The counts as LangChain's ``usage_metadata`` (read by `agenttrace.core.usage`)."""
    shape: dict[str, Any] = {}
    if input_tokens is not None:
        shape["input_tokens"] = input_tokens
    if output_tokens is not None:
        shape["output_tokens"] = output_tokens
    if total_tokens is not None:
        shape["total_tokens"] = total_tokens
    details = {"cache_read": cache_read, "cache_creation": cache_write}
    details = {key: value for key, value in details.items() if value is not None}
    if details:
        shape["input_token_details"] = details
    if reasoning is not None:
        shape["output_token_details"] = {"reasoning": reasoning}
    return shape
