"""Token usage and model names from what chat models hand to the callbacks.

Usage is read once, at ``on_llm_end``: ``generations[0][0].message.usage_metadata`` first
(LangChain's normalised shape, where ``input_tokens`` already includes cached tokens and
``output_tokens`` includes reasoning tokens), then ``llm_output["token_usage"]`` /
``llm_output["usage"]`` (OpenAI's ``prompt_tokens`` shape or Anthropic's raw shape, whose
``input_tokens`` excludes cache reads and writes and is summed here). Stream chunks are
never read for usage, so streamed calls are not counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agenttrace.records import Usage

__all__ = ["asked_model", "served_model", "usage_from_llm_end"]


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value >= 0 else None


def _details(mapping: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = mapping.get(key)
    return value if isinstance(value, Mapping) else {}


def _from_usage_metadata(usage: Mapping[str, Any]) -> Usage | None:
    input_details = _details(usage, "input_token_details")
    output_details = _details(usage, "output_token_details")
    result = Usage(
        input_tokens=_count(usage.get("input_tokens")),
        output_tokens=_count(usage.get("output_tokens")),
        total_tokens=_count(usage.get("total_tokens")),
        cache_read_tokens=_count(input_details.get("cache_read")),
        cache_write_tokens=_count(input_details.get("cache_creation")),
        reasoning_tokens=_count(output_details.get("reasoning")),
    )
    return result if _has_counts(result) else None


def _from_openai(usage: Mapping[str, Any]) -> Usage:
    prompt_details = _details(usage, "prompt_tokens_details")
    completion_details = _details(usage, "completion_tokens_details")
    return Usage(
        input_tokens=_count(usage.get("prompt_tokens")),
        output_tokens=_count(usage.get("completion_tokens")),
        total_tokens=_count(usage.get("total_tokens")),
        cache_read_tokens=_count(prompt_details.get("cached_tokens")),
        reasoning_tokens=_count(completion_details.get("reasoning_tokens")),
    )


def _from_anthropic(usage: Mapping[str, Any]) -> Usage:
    uncached = _count(usage.get("input_tokens"))
    cache_read = _count(usage.get("cache_read_input_tokens"))
    cache_write = _count(usage.get("cache_creation_input_tokens"))
    input_tokens = None
    if uncached is not None or cache_read is not None or cache_write is not None:
        input_tokens = (uncached or 0) + (cache_read or 0) + (cache_write or 0)
    return Usage(
        input_tokens=input_tokens,
        output_tokens=_count(usage.get("output_tokens")),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
    )


def _has_counts(usage: Usage) -> bool:
    return usage.input_tokens is not None or usage.output_tokens is not None


def _from_llm_output(llm_output: Mapping[str, Any]) -> Usage | None:
    raw = llm_output.get("token_usage") or llm_output.get("usage")
    if not isinstance(raw, Mapping) or not raw:
        return None
    if "prompt_tokens" in raw or "completion_tokens" in raw:
        usage = _from_openai(raw)
    elif "cache_read_input_tokens" in raw or "cache_creation_input_tokens" in raw:
        usage = _from_anthropic(raw)
    else:
        usage = _from_usage_metadata(raw) or Usage()
    return usage if _has_counts(usage) else None


def usage_from_llm_end(message: Any, llm_output: Mapping[str, Any] | None) -> Usage | None:
    """Usage of one LLM call, or None when the provider reported none."""
    usage_metadata = getattr(message, "usage_metadata", None)
    if isinstance(usage_metadata, Mapping) and usage_metadata:
        usage = _from_usage_metadata(usage_metadata)
        if usage is not None:
            return usage
    if isinstance(llm_output, Mapping):
        return _from_llm_output(llm_output)
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
