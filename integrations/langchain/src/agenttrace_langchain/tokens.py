"""Where LangChain keeps token usage and model names in what it hands to the callbacks.

Usage is read once, at ``on_llm_end``: ``generations[0][0].message.usage_metadata`` first
(LangChain's normalised shape), then ``llm_output["token_usage"]`` / ``llm_output["usage"]``
(a provider's own shape: OpenAI's ``prompt_tokens``, Anthropic's raw counts). Reading a
usage object is agenttrace's one rule for every producer
(`agenttrace.instrumentation.usage_from_mapping`). Stream chunks are never read for usage,
so streamed calls are not counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agenttrace.instrumentation import Usage, as_mapping, usage_from_mapping

__all__ = ["asked_model", "served_model", "usage_from_llm_end"]


def usage_from_llm_end(message: Any, llm_output: Mapping[str, Any] | None) -> Usage | None:
    """Usage of one LLM call, or None when the provider reported none."""
    usage_metadata = getattr(message, "usage_metadata", None)
    if isinstance(usage_metadata, Mapping) and usage_metadata:
        usage = usage_from_mapping(usage_metadata)
        if usage is not None:
            return usage
    if isinstance(llm_output, Mapping):
        raw = as_mapping(llm_output.get("token_usage") or llm_output.get("usage"))
        if raw:
            return usage_from_mapping(raw)
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def asked_model(
    metadata: Mapping[str, Any] | None, invocation_params: Mapping[str, Any] | None
) -> str | None:
    """The model the caller asked for (``ls_model_name``, else the invocation params)."""
    if metadata:
        found = _text(metadata.get("ls_model_name"))
        if found:
            return found
    if invocation_params:
        for key in ("model", "model_name", "model_id", "deployment_name"):
            found = _text(invocation_params.get(key))
            if found:
                return found
    return None


def served_model(
    message: Any, generation_info: Mapping[str, Any] | None, llm_output: Mapping[str, Any] | None
) -> str | None:
    """The model that actually answered (``response_metadata["model_name"]`` and kin)."""
    for source in (getattr(message, "response_metadata", None), generation_info, llm_output):
        if isinstance(source, Mapping):
            found = _text(source.get("model_name")) or _text(source.get("model"))
            if found:
                return found
    return None
