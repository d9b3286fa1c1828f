"""Token usage and the served model, read from the response body a Helicone log carries.

The shapes understood are those Helicone's own logger reads (``usage`` in OpenAI or
Anthropic style, Google's ``usageMetadata``, Bedrock's ``prompt_token_count`` /
``generation_token_count``) plus the cache and reasoning details they carry, and streamed
responses: ``json.streamed_data`` (a list of chunks) or a text body holding one JSON chunk
per line, optionally as server-sent events (``data: {...}``). Chunks are read in order and
later counts replace earlier ones, which is how OpenAI (usage on the last chunk) and
Anthropic (``message_start`` then ``message_delta``) report a stream.

Everything is normalised to agenttrace's convention: ``input_tokens`` includes cache read
and cache write tokens, ``output_tokens`` includes reasoning tokens.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from agenttrace.records import Usage

__all__ = ["ResponseFacts", "read_response"]

_MAX_TEXT_CHUNKS = 100_000
_MAX_TOKENS = 2**40  # a larger "count" is garbage, not a count


@dataclass(frozen=True, slots=True)
class ResponseFacts:
    """What a provider response says about the call: the model that served it and usage."""

    model: str | None = None
    usage: Usage | None = None


def read_response(json_body: object, text_body: str | None) -> ResponseFacts:
    """The model and token usage found in a log's ``providerResponse``; empty when none."""
    model: str | None = None
    counts: dict[str, int] = {}
    for chunk in _chunks(json_body, text_body):
        if model is None:
            model = _model_of(chunk)
        counts.update(_counts_of(chunk))
    return ResponseFacts(model=model, usage=_usage(counts))


def _chunks(json_body: object, text_body: str | None) -> Iterator[Mapping[str, Any]]:
    if isinstance(json_body, Mapping):
        streamed = json_body.get("streamed_data")
        if isinstance(streamed, list):
            yield from (chunk for chunk in streamed if isinstance(chunk, Mapping))
        else:
            yield json_body
    if isinstance(text_body, str) and text_body.strip():
        yield from _text_chunks(text_body)


def _text_chunks(text: str) -> Iterator[Mapping[str, Any]]:
    whole = _loads(text)
    if isinstance(whole, Mapping):
        yield whole
        return
    if isinstance(whole, list):
        yield from (chunk for chunk in whole if isinstance(chunk, Mapping))
        return
    for count, raw_line in enumerate(text.splitlines()):
        if count >= _MAX_TEXT_CHUNKS:
            return
        line = raw_line.strip()
        if line.startswith("data:"):
            line = line[len("data:") :].strip()
        if not line.startswith("{"):
            continue
        chunk = _loads(line)
        if isinstance(chunk, Mapping):
            yield chunk


def _loads(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _nested(chunk: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The chunk itself, then the objects streaming APIs wrap a response in."""
    yield chunk
    for key in ("message", "response"):  # Anthropic message_start, OpenAI response.completed
        inner = chunk.get(key)
        if isinstance(inner, Mapping):
            yield inner


def _model_of(chunk: Mapping[str, Any]) -> str | None:
    for candidate in _nested(chunk):
        for key in ("model", "modelVersion"):
            value = candidate.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _count(value: object) -> int | None:
    """A token count, or None for anything that is not one (Helicone writes -1 for unknown)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= _MAX_TOKENS else None
    if isinstance(value, float) and value.is_integer() and 0 <= value <= _MAX_TOKENS:
        return int(value)
    return None


def _detail(block: Mapping[str, Any], details_key: str, key: str) -> int | None:
    details = block.get(details_key)
    if isinstance(details, Mapping):
        return _count(details.get(key))
    return None


def _sum(*values: int | None) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def _counts_of(chunk: Mapping[str, Any]) -> dict[str, int]:
    for candidate in _nested(chunk):
        usage = candidate.get("usage")
        if isinstance(usage, Mapping):
            found = _from_usage_block(usage)
        elif isinstance(candidate.get("usageMetadata"), Mapping):
            found = _from_google(candidate["usageMetadata"])
        else:
            found = _from_bedrock_invoke(candidate)
        if found:
            return found
    return {}


def _compact(**values: int | None) -> dict[str, int]:
    return {key: value for key, value in values.items() if value is not None}


def _from_usage_block(usage: Mapping[str, Any]) -> dict[str, int]:
    if "prompt_tokens" in usage or "completion_tokens" in usage:
        # OpenAI Chat Completions: prompt_tokens already includes the cached tokens.
        return _compact(
            input_tokens=_count(usage.get("prompt_tokens")),
            output_tokens=_count(usage.get("completion_tokens")),
            total_tokens=_count(usage.get("total_tokens")),
            cache_read_tokens=_detail(usage, "prompt_tokens_details", "cached_tokens"),
            reasoning_tokens=_detail(usage, "completion_tokens_details", "reasoning_tokens"),
        )
    if "input_tokens_details" in usage or "output_tokens_details" in usage:
        # OpenAI Responses: input_tokens already includes the cached tokens.
        return _compact(
            input_tokens=_count(usage.get("input_tokens")),
            output_tokens=_count(usage.get("output_tokens")),
            total_tokens=_count(usage.get("total_tokens")),
            cache_read_tokens=_detail(usage, "input_tokens_details", "cached_tokens"),
            reasoning_tokens=_detail(usage, "output_tokens_details", "reasoning_tokens"),
        )
    if "input_tokens" in usage or "output_tokens" in usage:
        # Anthropic Messages: input_tokens excludes the cache, which is added back here.
        cache_write = _count(usage.get("cache_creation_input_tokens"))
        cache_read = _count(usage.get("cache_read_input_tokens"))
        base = _count(usage.get("input_tokens"))
        return _compact(
            input_tokens=_sum(base, cache_write, cache_read) if base is not None else None,
            output_tokens=_count(usage.get("output_tokens")),
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
        )
    if "inputTokens" in usage or "outputTokens" in usage:
        # Bedrock Converse: inputTokens excludes the cache, as Anthropic's does.
        cache_write = _count(usage.get("cacheWriteInputTokens"))
        cache_read = _count(usage.get("cacheReadInputTokens"))
        base = _count(usage.get("inputTokens"))
        return _compact(
            input_tokens=_sum(base, cache_write, cache_read) if base is not None else None,
            output_tokens=_count(usage.get("outputTokens")),
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
        )
    return {}


def _from_google(meta: Mapping[str, Any]) -> dict[str, int]:
    # promptTokenCount includes cachedContentTokenCount; thoughts are billed as output.
    candidates = _count(meta.get("candidatesTokenCount"))
    thoughts = _count(meta.get("thoughtsTokenCount"))
    return _compact(
        input_tokens=_count(meta.get("promptTokenCount")),
        output_tokens=_sum(candidates, thoughts),
        total_tokens=_count(meta.get("totalTokenCount")),
        cache_read_tokens=_count(meta.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )


def _from_bedrock_invoke(body: Mapping[str, Any]) -> dict[str, int]:
    return _compact(
        input_tokens=_count(body.get("prompt_token_count")),
        output_tokens=_count(body.get("generation_token_count")),
    )


def _usage(counts: Mapping[str, int]) -> Usage | None:
    if not counts:
        return None
    values = dict(counts)
    if "input_tokens" in values and "output_tokens" in values:
        # Recomputed from the parts: a stream's early total is stale by its last chunk.
        values.pop("total_tokens", None)
    return Usage(**values)
