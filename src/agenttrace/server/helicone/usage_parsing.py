"""Token usage and the served model, read from the response body a Helicone log carries.

What is Helicone's here is where the response sits: ``providerResponse.json``, or its
``streamed_data`` (a list of chunks), or a text body holding one JSON document, or one
JSON chunk per line, optionally as server-sent events (``data: {...}``). The chunks are
then read as every producer reads a provider's payload, by `agenttrace.core.usage`
(`StreamUsage`: usage objects merged in order, later counts replacing earlier ones, which is
how OpenAI (usage on the last chunk) and Anthropic (``message_start`` then
``message_delta``) report a stream; the model of the first chunk that names one).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from agenttrace.core.usage import StreamUsage
from agenttrace.records import Usage

__all__ = ["ResponseFacts", "read_response"]

_MAX_TEXT_CHUNKS = 100_000


@dataclass(frozen=True, slots=True)
class ResponseFacts:
    """What a provider response says about the call: the model that served it and usage."""

    model: str | None = None
    usage: Usage | None = None


def read_response(json_body: object, text_body: str | None) -> ResponseFacts:
    """The model and token usage found in a log's ``providerResponse``; empty when none."""
    stream = StreamUsage()
    for chunk in _chunks(json_body, text_body):
        stream.add(chunk)
    return ResponseFacts(model=stream.model, usage=stream.usage())


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
