"""Token usage, model and explicit cost read from what an operation recorded.

The ManualLogger takes them from the results an operation appends (``recorder.append_results
(response)``) or from a stream's chunks. Usage shapes understood, all converted to
agenttrace's convention (``input_tokens`` includes cached tokens, ``output_tokens``
includes reasoning tokens):

* OpenAI Chat Completions ``usage``: ``prompt_tokens``, ``completion_tokens``,
  ``prompt_tokens_details.cached_tokens``, ``completion_tokens_details.reasoning_tokens``;
* OpenAI Responses ``usage``: ``input_tokens``, ``output_tokens``,
  ``input_tokens_details.cached_tokens``, ``output_tokens_details.reasoning_tokens``;
* Anthropic ``usage``: ``input_tokens`` (which excludes the cache), ``output_tokens``,
  ``cache_read_input_tokens``, ``cache_creation_input_tokens``;
* LangChain ``usage_metadata``: ``input_tokens``, ``output_tokens``,
  ``input_token_details.cache_read`` / ``cache_creation``, ``output_token_details.reasoning``;
* Gemini ``usageMetadata`` / ``usage_metadata``: ``promptTokenCount``,
  ``candidatesTokenCount`` (which excludes thoughts), ``cachedContentTokenCount``,
  ``thoughtsTokenCount`` (camelCase or snake_case).

Pydantic objects (SDK responses) are read through ``model_dump()``. Anything else gives
None: a tool whose result happens to have a ``usage`` key of another meaning is ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from agenttrace.records import MAX_TOKENS, Usage

__all__ = [
    "USAGE_KEYS",
    "StreamUsage",
    "as_mapping",
    "explicit_cost",
    "model_name",
    "usage_from_mapping",
    "usage_from_results",
]

USAGE_KEYS = ("usage", "usage_metadata", "usageMetadata")
"""Where a response keeps its token usage."""
_MAX_MODEL = 500


def as_mapping(value: object) -> Mapping[str, Any] | None:
    """``value`` as a mapping: itself, its ``model_dump()``, or None."""
    if isinstance(value, Mapping):
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            dumped = dump()
        except Exception:  # noqa: BLE001 - an odd object is just not a usage
            return None
        if isinstance(dumped, Mapping):
            return dumped
    return None


def _count(mapping: Mapping[str, Any] | None, *keys: str) -> int | None:
    """The first of ``keys`` holding a token count `Usage` accepts (0 to MAX_TOKENS)."""
    if mapping is None:
        return None
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and 0 <= value <= MAX_TOKENS:
            return value
    return None


def _details(mapping: Mapping[str, Any], *keys: str) -> Mapping[str, Any] | None:
    for key in keys:
        found = as_mapping(mapping.get(key))
        if found is not None:
            return found
    return None


def usage_from_mapping(raw: Mapping[str, Any]) -> Usage | None:
    """Usage from one usage object of any of the shapes in the module docstring."""
    if "prompt_tokens" in raw or "completion_tokens" in raw:  # OpenAI Chat Completions
        return _usage(
            input_tokens=_count(raw, "prompt_tokens"),
            output_tokens=_count(raw, "completion_tokens"),
            total_tokens=_count(raw, "total_tokens"),
            cache_read_tokens=_count(_details(raw, "prompt_tokens_details"), "cached_tokens"),
            reasoning_tokens=_count(_details(raw, "completion_tokens_details"), "reasoning_tokens"),
        )
    if "promptTokenCount" in raw or "prompt_token_count" in raw:  # Gemini
        candidates = _count(raw, "candidatesTokenCount", "candidates_token_count")
        thoughts = _count(raw, "thoughtsTokenCount", "thoughts_token_count")
        output = None if candidates is None and thoughts is None else (candidates or 0)
        if output is not None and thoughts:
            output += thoughts
        return _usage(
            input_tokens=_count(raw, "promptTokenCount", "prompt_token_count"),
            output_tokens=output,
            total_tokens=_count(raw, "totalTokenCount", "total_token_count"),
            cache_read_tokens=_count(raw, "cachedContentTokenCount", "cached_content_token_count"),
            reasoning_tokens=thoughts,
        )
    if "input_tokens" not in raw and "output_tokens" not in raw:
        return None
    if "cache_read_input_tokens" in raw or "cache_creation_input_tokens" in raw:  # Anthropic
        cache_read = _count(raw, "cache_read_input_tokens")
        cache_write = _count(raw, "cache_creation_input_tokens")
        uncached = _count(raw, "input_tokens")
        return _usage(
            input_tokens=(uncached or 0) + (cache_read or 0) + (cache_write or 0),
            output_tokens=_count(raw, "output_tokens"),
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
        )
    input_details = _details(raw, "input_tokens_details", "input_token_details")
    output_details = _details(raw, "output_tokens_details", "output_token_details")
    return _usage(  # OpenAI Responses, LangChain usage_metadata, Anthropic without caching
        input_tokens=_count(raw, "input_tokens"),
        output_tokens=_count(raw, "output_tokens"),
        total_tokens=_count(raw, "total_tokens"),
        cache_read_tokens=_count(input_details, "cached_tokens", "cache_read"),
        cache_write_tokens=_count(input_details, "cache_creation"),
        reasoning_tokens=_count(output_details, "reasoning_tokens", "reasoning"),
    )


def _usage(**counts: int | None) -> Usage | None:
    if counts.get("input_tokens") is None and counts.get("output_tokens") is None:
        return None
    for key in ("input_tokens", "output_tokens"):  # sums of parts may pass the bound
        if (counts.get(key) or 0) > MAX_TOKENS:
            return None
    return Usage(**counts)


def _raw_usage(container: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for key in USAGE_KEYS:
        value = container.get(key)
        if value is not None:
            found = as_mapping(value)
            if found is not None:
                return found
    return None


def usage_from_results(results: Mapping[str, Any]) -> Usage | None:
    """Usage from an operation's results (a provider response), or None."""
    raw = _raw_usage(results)
    return usage_from_mapping(raw) if raw is not None else None


def model_name(container: Mapping[str, Any] | None) -> str | None:
    """The ``model`` (or Gemini's ``modelVersion``) a response names, if it is a string."""
    if container is None:
        return None
    for key in ("model", "modelVersion", "model_version"):
        value = container.get(key)
        if isinstance(value, str) and value:
            return value[:_MAX_MODEL]
    return None


def explicit_cost(results: Mapping[str, Any]) -> float | None:
    """``results["cost_usd"]`` when it is a non-negative number."""
    value = results.get("cost_usd")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return float(value)


class StreamUsage:
    """Usage and model gathered from stream chunks.

    Raw usage objects are merged key by key, later chunks winning: OpenAI sends one full
    usage in the last chunk, Anthropic sends input counts in ``message_start`` and the final
    output count in ``message_delta``, Gemini repeats a running total in every chunk.
    """

    __slots__ = ("_raw", "model")

    def __init__(self) -> None:
        self._raw: dict[str, Any] | None = None
        self.model: str | None = None

    def add(self, chunk: Mapping[str, Any]) -> None:
        """Take what ``chunk`` says about usage and model."""
        message = as_mapping(chunk.get("message"))
        raw = _raw_usage(chunk)
        if raw is None and message is not None:
            raw = _raw_usage(message)
        if raw is not None:
            if self._raw is None:
                self._raw = dict(raw)
            else:
                self._raw.update(raw)
        model = model_name(chunk) or model_name(message)
        if model is not None:
            self.model = model

    def usage(self) -> Usage | None:
        """The merged usage, or None when no chunk carried one."""
        return usage_from_mapping(self._raw) if self._raw is not None else None
