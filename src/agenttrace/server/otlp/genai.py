"""The OpenTelemetry GenAI semantic conventions (current and older names).

* ``gen_ai.operation.name``: ``chat``, ``text_completion``, ``generate_content``,
  ``embeddings`` are LLM calls; ``execute_tool`` a tool call (segment: ``gen_ai.tool.name``);
  ``invoke_agent`` / ``create_agent`` are structure adding ``gen_ai.agent.name``, except
  LangGraph's own (``gen_ai.provider.name`` ``langgraph``), placed by the node rule;
  ``retrieval`` a vector-store call. Older instrumentations without an operation name
  (``llm.request.type``) are read too.
* Model: ``gen_ai.response.model`` (what served the call), else ``gen_ai.request.model``.
  Provider: ``gen_ai.provider.name``, else the older ``gen_ai.system``.
* Usage: ``gen_ai.usage.input_tokens`` / ``output_tokens`` (older ``prompt_tokens`` /
  ``completion_tokens``), the input including cached tokens as the convention says;
  ``gen_ai.usage.cache_read.input_tokens`` / ``cache_creation.input_tokens`` (and their
  older ``cache_read_input_tokens`` / ``cache_creation_input_tokens``), reasoning tokens.
* Session: ``gen_ai.conversation.id``.
* Messages: ``gen_ai.input.messages`` / ``gen_ai.system_instructions`` /
  ``gen_ai.output.messages`` attributes, or the older ``gen_ai.*.message`` / ``gen_ai.choice``
  events (and the ``gen_ai.client.inference.operation.details`` event).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agenttrace.records import RecordKind
from agenttrace.server.otlp.reading import (
    FRAMEWORK_PROVIDERS,
    SpanReading,
    first_text,
    parse_json,
    usage_shape,
)

__all__ = ["read_genai"]

_LLM_OPERATIONS = frozenset(
    {"chat", "text_completion", "generate_content", "embeddings", "completion", "embedding"}
)
_AGENT_OPERATIONS = frozenset({"invoke_agent", "create_agent"})
_MESSAGE_EVENTS = frozenset(
    {
        "gen_ai.system.message",
        "gen_ai.user.message",
        "gen_ai.assistant.message",
        "gen_ai.tool.message",
    }
)
_DETAILS_EVENT = "gen_ai.client.inference.operation.details"


_USAGE_KEYS = (
    ("input_tokens", "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    ("output_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    ("total_tokens", "gen_ai.usage.total_tokens", "llm.usage.total_tokens"),
    (
        "cache_read",
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
    ),
    (
        "cache_write",
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
    ),
    ("reasoning", "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"),
)
"""Each count of `usage_shape`, by its current name and its older one."""


_SHAPE_CACHE_SIZE = 4096
_shapes: dict[tuple[Any, ...], dict[str, Any]] = {}
"""`usage_shape` of the whole counts seen lately, by their six values: an agent's calls
repeat a few, and a reading's usage is only read, never changed, so readings may share one."""


def _usage(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The ``gen_ai.usage.*`` counts (current names first) in `usage_shape`'s shape."""
    get = attributes.get
    values: list[Any] = []
    whole = True
    for _, current, older in _USAGE_KEYS:
        value = get(current)
        if value is None:
            value = get(older)
            if value is None:
                values.append(None)
                continue
        whole = whole and type(value) is int
        values.append(value)
    key = tuple(values)
    if whole:
        shape = _shapes.get(key)
        if shape is not None:
            return shape
    counts = {name: value for (name, _, _), value in zip(_USAGE_KEYS, key, strict=True)}
    shape = usage_shape(**counts) if any(value is not None for value in key) else {}
    if whole:
        if len(_shapes) >= _SHAPE_CACHE_SIZE:
            _shapes.clear()
        _shapes[key] = shape
    return shape


def _event_messages(events: Sequence[tuple[str, dict[str, Any]]]) -> tuple[Any, Any]:
    inputs: list[Any] = []
    outputs: list[Any] = []
    for name, attributes in events:
        if name in _MESSAGE_EVENTS:
            inputs.append({"role": name.split(".")[1], **attributes})
        elif name == "gen_ai.choice":
            outputs.append(attributes)
        elif name == _DETAILS_EVENT:
            found = parse_json(attributes.get("gen_ai.input.messages"))
            if found is not None:
                inputs.extend(found if isinstance(found, list) else [found])
            answer = parse_json(attributes.get("gen_ai.output.messages"))
            if answer is not None:
                outputs.extend(answer if isinstance(answer, list) else [answer])
    return inputs or None, outputs or None


def read_genai(
    attributes: Mapping[str, Any],
    events: Sequence[tuple[str, dict[str, Any]]],
    span_name: str,
    reading: SpanReading,
) -> None:
    """Fill ``reading`` from the ``gen_ai.*`` attributes and events."""
    operation = attributes.get("gen_ai.operation.name") or attributes.get("llm.request.type")
    provider = first_text(attributes, "gen_ai.provider.name", "gen_ai.system")
    if provider in FRAMEWORK_PROVIDERS:
        reading.framework = reading.framework or provider == "langgraph"
        provider = None
    if operation in _LLM_OPERATIONS:
        reading.kind = RecordKind.LLM
    elif operation == "execute_tool":
        reading.kind = RecordKind.TOOL
        reading.segment = first_text(attributes, "gen_ai.tool.name") or span_name
        reading.name = reading.segment
        reading.request = parse_json(attributes.get("gen_ai.tool.call.arguments"))
        reading.response = parse_json(attributes.get("gen_ai.tool.call.result"))
    elif operation == "retrieval":
        reading.kind = RecordKind.VECTOR_DB
    elif operation in _AGENT_OPERATIONS:
        reading.segment = first_text(attributes, "gen_ai.agent.name")
    conversation = first_text(attributes, "gen_ai.conversation.id")
    if conversation:
        reading.session_id = conversation
    reading.model = first_text(attributes, "gen_ai.response.model", "gen_ai.request.model")
    reading.provider = provider
    reading.usage = _usage(attributes)
    if reading.kind is RecordKind.LLM:
        inputs = parse_json(attributes.get("gen_ai.input.messages"))
        outputs = parse_json(attributes.get("gen_ai.output.messages"))
        if inputs is None and outputs is None and events:
            inputs, outputs = _event_messages(events)
        system = parse_json(attributes.get("gen_ai.system_instructions"))
        if system is not None:
            reading.request = {"system": system}
            if inputs is not None:
                reading.request["messages"] = inputs
        elif inputs is not None:
            reading.request = {"messages": inputs}
        if outputs is not None:
            reading.response = {"messages": outputs}
