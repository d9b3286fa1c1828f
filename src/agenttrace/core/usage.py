"""Token usage, model and explicit cost read from a provider's payload: one table of shapes.

Every producer reads usage here: the ManualLogger (the results an operation appends, stream
chunks), the collector's Helicone ingest (a logged response body) and the LangChain handler
(a message's ``usage_metadata`` or ``llm_output["token_usage"]``). Shapes understood, all
converted to agenttrace's convention (``input_tokens`` includes cached tokens,
``output_tokens`` includes reasoning tokens, ``total_tokens`` is their sum):

* OpenAI Chat Completions ``usage``: ``prompt_tokens``, ``completion_tokens``,
  ``prompt_tokens_details.cached_tokens``, ``completion_tokens_details.reasoning_tokens``;
* OpenAI Responses ``usage``: ``input_tokens``, ``output_tokens``,
  ``input_tokens_details.cached_tokens``, ``output_tokens_details.reasoning_tokens``;
* Anthropic ``usage``: ``input_tokens`` (which excludes the cache), ``output_tokens``
  (which includes thinking, broken down in ``output_tokens_details.thinking_tokens``),
  ``cache_read_input_tokens``, ``cache_creation_input_tokens`` and its breakdown by cache
  lifetime ``cache_creation.ephemeral_5m_input_tokens`` / ``ephemeral_1h_input_tokens``
  (one-hour writes cost more, so they are kept as ``cache_write_1h_tokens``);
* LangChain ``usage_metadata``: ``input_tokens``, ``output_tokens``,
  ``input_token_details.cache_read`` / ``cache_creation``, ``output_token_details.reasoning``;
  langchain-anthropic moves the writes to ``input_token_details.ephemeral_5m_input_tokens``
  / ``ephemeral_1h_input_tokens`` when Anthropic breaks them down, and then reports
  ``cache_creation`` as 0;
* Gemini ``usageMetadata`` / ``usage_metadata``: ``promptTokenCount`` (which includes
  ``cachedContentTokenCount``), ``toolUsePromptTokenCount`` (which it does not),
  ``candidatesTokenCount`` (which excludes thoughts), ``thoughtsTokenCount`` (camelCase or
  snake_case);
* Bedrock Converse ``usage``: ``inputTokens`` (which excludes the cache), ``outputTokens``,
  ``cacheReadInputTokens``, ``cacheWriteInputTokens`` and its breakdown by lifetime
  ``cacheDetails: [{"ttl": "5m" | "1h", "inputTokens": n}]``;
  Bedrock InvokeModel (Llama and kin): ``prompt_token_count`` and
  ``generation_token_count`` beside the response's text;
* Ollama: ``prompt_eval_count`` and ``eval_count`` beside the response's message (read as
  Bedrock InvokeModel's two counts);
* Groq: OpenAI's shape, in a stream's last chunk under ``x_groq.usage``.

A count is a whole number from 0 to `MAX_TOKENS` (what `Usage` accepts); anything else
(Helicone's -1 for unknown, booleans, strings, absurd values) is left out rather than
failing the record, and a usage whose summed input or output passes the bound is dropped.
Pydantic objects (SDK responses) are read through ``model_dump()``. A ``usage`` key of
another meaning (a tool's ``{"usage": {"cpu_seconds": 3}}``) gives None.
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
    "usage_from_response",
]

USAGE_KEYS = ("usage", "usage_metadata", "usageMetadata")
"""Where a response keeps its token usage."""
_WRAPPERS = ("message", "response", "metadata", "x_groq")
"""Objects a streamed event wraps a response in (Anthropic's ``message_start``, OpenAI's
``response.completed``, Bedrock ConverseStream's ``metadata`` event, the ``x_groq`` object
of Groq's last chunk)."""
_MODEL_KEYS = ("model", "modelVersion", "model_version", "modelId")
_BEDROCK_INVOKE = ("prompt_token_count", "generation_token_count")
_OLLAMA = ("prompt_eval_count", "eval_count")
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


def _sum(*parts: int | None) -> int | None:
    """The sum of the known parts; None when none is known."""
    known = [part for part in parts if part is not None]
    return sum(known) if known else None


def _usage(
    input_tokens: int | None,
    output_tokens: int | None,
    total_tokens: int | None = None,
    *,
    cache_read_tokens: int | None = None,
    cache_write_tokens: int | None = None,
    cache_write_1h_tokens: int | None = None,
    reasoning_tokens: int | None = None,
) -> Usage | None:
    if input_tokens is None and output_tokens is None:
        return None
    if (input_tokens or 0) > MAX_TOKENS or (output_tokens or 0) > MAX_TOKENS:
        return None  # sums of parts may pass the bound: garbage, not a count
    if input_tokens is not None and output_tokens is not None:
        total_tokens = input_tokens + output_tokens  # a stream's early total may be stale
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total_tokens,
        cache_read_tokens=cache_read_tokens,
        cache_write_tokens=cache_write_tokens,
        cache_write_1h_tokens=cache_write_1h_tokens or None,
        reasoning_tokens=reasoning_tokens,
    )


_Keys = tuple[str, str, str, str]
_ANTHROPIC: _Keys = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)
_BEDROCK_CONVERSE: _Keys = (
    "inputTokens",
    "outputTokens",
    "cacheReadInputTokens",
    "cacheWriteInputTokens",
)
"""(input, output, cache read, cache write) keys of the shapes whose input count excludes
the cache."""
_ANTHROPIC_ONLY = (
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation",
    "service_tier",
)
"""Keys only Anthropic's ``usage`` has beside ``input_tokens`` (its input then excludes the
cache), where OpenAI Responses' and LangChain's include it."""


_EPHEMERAL_5M = "ephemeral_5m_input_tokens"
_EPHEMERAL_1H = "ephemeral_1h_input_tokens"


def _cache_writes(
    total: int | None, by_lifetime: Mapping[str, Any] | None
) -> tuple[int | None, int | None]:
    """(all cache writes, the one-hour ones) from a total and Anthropic's breakdown by cache
    lifetime; the breakdown wins when it holds more (langchain-anthropic zeroes the total
    when it copies the breakdown)."""
    five_minutes = _count(by_lifetime, _EPHEMERAL_5M)
    one_hour = _count(by_lifetime, _EPHEMERAL_1H)
    broken_down = _sum(five_minutes, one_hour)
    if broken_down is not None and (total is None or broken_down > total):
        total = broken_down
    return total, one_hour


def _bedrock_lifetimes(details: object) -> Mapping[str, Any] | None:
    """Bedrock's ``cacheDetails`` list (``[{"ttl": "1h", "inputTokens": n}]``) in Anthropic's
    breakdown keys."""
    if not isinstance(details, list):
        return None
    keys = {"5m": _EPHEMERAL_5M, "1h": _EPHEMERAL_1H}
    sums: dict[str, int] = {}
    for detail in details:
        entry = as_mapping(detail)
        key = keys.get(str(entry.get("ttl"))) if entry is not None else None
        tokens = _count(entry, "inputTokens")
        if key is not None and tokens is not None:
            sums[key] = sums.get(key, 0) + tokens
    return sums or None


def _cache_excluded(raw: Mapping[str, Any], keys: _Keys) -> Usage | None:
    """Usage of a shape whose input count excludes the cache, which is added back."""
    input_key, output_key, read_key, write_key = keys
    cache_read = _count(raw, read_key)
    by_lifetime = _details(raw, "cache_creation") or _bedrock_lifetimes(raw.get("cacheDetails"))
    cache_write, cache_write_1h = _cache_writes(_count(raw, write_key), by_lifetime)
    return _usage(
        _sum(_count(raw, input_key), cache_read, cache_write),
        _count(raw, output_key),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=cache_write_1h,
        reasoning_tokens=_count(_details(raw, "output_tokens_details"), "thinking_tokens"),
    )


def usage_from_mapping(raw: Mapping[str, Any]) -> Usage | None:
    """Usage from one usage object of any of the shapes in the module docstring."""
    if "prompt_tokens" in raw or "completion_tokens" in raw:  # OpenAI Chat Completions
        return _usage(
            _count(raw, "prompt_tokens"),
            _count(raw, "completion_tokens"),
            _count(raw, "total_tokens"),
            cache_read_tokens=_count(_details(raw, "prompt_tokens_details"), "cached_tokens"),
            reasoning_tokens=_count(_details(raw, "completion_tokens_details"), "reasoning_tokens"),
        )
    if "promptTokenCount" in raw or "prompt_token_count" in raw or "generation_token_count" in raw:
        # Gemini (thoughts are billed as output), or Bedrock InvokeModel (no thoughts)
        candidates = _count(
            raw, "candidatesTokenCount", "candidates_token_count", "generation_token_count"
        )
        thoughts = _count(raw, "thoughtsTokenCount", "thoughts_token_count")
        tool_prompt = _count(raw, "toolUsePromptTokenCount", "tool_use_prompt_token_count")
        return _usage(
            _sum(_count(raw, "promptTokenCount", "prompt_token_count"), tool_prompt),
            _sum(candidates, thoughts),
            _count(raw, "totalTokenCount", "total_token_count"),
            cache_read_tokens=_count(raw, "cachedContentTokenCount", "cached_content_token_count"),
            reasoning_tokens=thoughts,
        )
    if "inputTokens" in raw or "outputTokens" in raw:
        return _cache_excluded(raw, _BEDROCK_CONVERSE)
    if "input_tokens" not in raw and "output_tokens" not in raw:
        return None
    if any(key in raw for key in _ANTHROPIC_ONLY):
        return _cache_excluded(raw, _ANTHROPIC)
    input_details = _details(raw, "input_tokens_details", "input_token_details")
    output_details = _details(raw, "output_tokens_details", "output_token_details")
    cache_write, cache_write_1h = _cache_writes(
        _count(input_details, "cache_creation"), input_details
    )
    return _usage(  # OpenAI Responses, LangChain usage_metadata
        _count(raw, "input_tokens"),
        _count(raw, "output_tokens"),
        _count(raw, "total_tokens"),
        cache_read_tokens=_count(input_details, "cached_tokens", "cache_read"),
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=cache_write_1h,
        reasoning_tokens=_count(output_details, "reasoning_tokens", "reasoning", "thinking_tokens"),
    )


def _usage_in(layer: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for key in USAGE_KEYS:
        value = layer.get(key)
        if value is not None:
            found = as_mapping(value)
            if found is not None:
                return found
    for keys in (_BEDROCK_INVOKE, _OLLAMA):  # counts beside the text, as Bedrock's
        if keys[0] in layer or keys[1] in layer:
            return {
                ours: layer[key]
                for ours, key in zip(_BEDROCK_INVOKE, keys, strict=True)
                if key in layer
            }
    return None


def _raw_usage(container: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first usage object a response carries, itself or in the object a streamed
    event wraps it in."""
    found = _usage_in(container)
    if found is None:
        for key in _WRAPPERS:
            inner = container.get(key)
            if isinstance(inner, Mapping):
                found = _usage_in(inner)
                if found is not None:
                    break
    return found


def usage_from_response(response: Mapping[str, Any]) -> Usage | None:
    """Usage from a provider response (or an operation's results), or None."""
    raw = _raw_usage(response)
    return usage_from_mapping(raw) if raw is not None else None


def model_name(container: Mapping[str, Any] | None) -> str | None:
    """The ``model`` (Gemini: ``modelVersion``; a Bedrock request: ``modelId``) a response
    or request names, stripped, if it is text."""
    if container is None:
        return None
    for key in _MODEL_KEYS:
        value = container.get(key)
        if isinstance(value, str) and value and not value.isspace():
            return value.strip()[:_MAX_MODEL]
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
    """Usage and model gathered from a stream's chunks, in order.

    Raw usage objects are merged key by key, later chunks winning: OpenAI sends one full
    usage in the last chunk, Anthropic sends input counts in ``message_start`` and the final
    output count in ``message_delta``, Gemini repeats a running total in every chunk. The
    model is the first one a chunk names.
    """

    __slots__ = ("_raw", "model")

    def __init__(self) -> None:
        self._raw: dict[str, Any] | None = None
        self.model: str | None = None

    def add(self, chunk: Mapping[str, Any]) -> None:
        """Take what ``chunk`` says about usage and model."""
        raw = _raw_usage(chunk)
        if raw is not None:
            if self._raw is None:
                self._raw = dict(raw)
            else:
                self._raw.update(raw)
        if self.model is None:
            self.model = model_name(chunk)
            if self.model is None:  # in the object an event wraps a response in
                for key in _WRAPPERS:
                    inner = chunk.get(key)
                    if isinstance(inner, Mapping):
                        self.model = model_name(inner)
                        if self.model is not None:
                            break

    def usage(self) -> Usage | None:
        """The merged usage, or None when no chunk carried one."""
        return usage_from_mapping(self._raw) if self._raw is not None else None
