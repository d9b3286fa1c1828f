"""Usage, model and cost read from provider-shaped results, in agenttrace's convention."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from agenttrace.core.usage import (
    StreamUsage,
    explicit_cost,
    model_name,
    usage_from_response,
)
from agenttrace.records import Usage


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        pytest.param(
            {
                "usage": {
                    "prompt_tokens": 1200,
                    "completion_tokens": 80,
                    "total_tokens": 1280,
                    "prompt_tokens_details": {"cached_tokens": 1024},
                    "completion_tokens_details": {"reasoning_tokens": 30},
                }
            },
            Usage(
                input_tokens=1200,
                output_tokens=80,
                total_tokens=1280,
                cache_read_tokens=1024,
                reasoning_tokens=30,
            ),
            id="openai-chat",
        ),
        pytest.param(
            {
                "usage": {
                    "input_tokens": 500,
                    "output_tokens": 90,
                    "total_tokens": 590,
                    "input_tokens_details": {"cached_tokens": 128},
                    "output_tokens_details": {"reasoning_tokens": 64},
                }
            },
            Usage(
                input_tokens=500,
                output_tokens=90,
                total_tokens=590,
                cache_read_tokens=128,
                reasoning_tokens=64,
            ),
            id="openai-responses",
        ),
        pytest.param(
            {
                "usage": {
                    "input_tokens": 50,
                    "cache_creation_input_tokens": 20,
                    "cache_read_input_tokens": 400,
                    "output_tokens": 30,
                }
            },
            Usage(input_tokens=470, output_tokens=30, cache_read_tokens=400, cache_write_tokens=20),
            id="anthropic-input-excludes-cache",
        ),
        pytest.param(
            {"usage": {"input_tokens": 50, "output_tokens": 30}},
            Usage(input_tokens=50, output_tokens=30),
            id="anthropic-no-cache",
        ),
        pytest.param(
            {
                "usage_metadata": {
                    "input_tokens": 300,
                    "output_tokens": 40,
                    "total_tokens": 340,
                    "input_token_details": {"cache_read": 100, "cache_creation": 50},
                    "output_token_details": {"reasoning": 10},
                }
            },
            Usage(
                input_tokens=300,
                output_tokens=40,
                total_tokens=340,
                cache_read_tokens=100,
                cache_write_tokens=50,
                reasoning_tokens=10,
            ),
            id="langchain-usage-metadata",
        ),
        pytest.param(
            {
                "usageMetadata": {
                    "promptTokenCount": 900,
                    "candidatesTokenCount": 60,
                    "thoughtsTokenCount": 40,
                    "totalTokenCount": 1000,
                    "cachedContentTokenCount": 512,
                }
            },
            Usage(
                input_tokens=900,
                output_tokens=100,
                total_tokens=1000,
                cache_read_tokens=512,
                reasoning_tokens=40,
            ),
            id="gemini-output-adds-thoughts",
        ),
    ],
)
def test_usage_shapes(results: dict[str, Any], expected: Usage) -> None:
    """Each provider's usage becomes one Usage where input includes cached tokens."""
    assert usage_from_response(results) == expected


def test_usage_of_an_sdk_object_is_read_through_model_dump() -> None:
    """A pydantic usage object (as SDK responses carry) is read like its dict."""

    class CompletionUsage(pydantic.BaseModel):
        prompt_tokens: int
        completion_tokens: int
        total_tokens: int

    usage = usage_from_response(
        {"usage": CompletionUsage(prompt_tokens=3, completion_tokens=4, total_tokens=7)}
    )
    assert usage == Usage(input_tokens=3, output_tokens=4, total_tokens=7)


@pytest.mark.parametrize(
    "results",
    [
        {},
        {"usage": "call search(query) with a query string"},
        {"usage": {"cpu_seconds": 3}},
        {"usage": {"prompt_tokens": -1, "completion_tokens": "many"}},
        {"usage": None},
    ],
)
def test_results_without_token_usage_give_none(results: dict[str, Any]) -> None:
    """A 'usage' key of another meaning, or nonsense counts, are not taken as tokens."""
    assert usage_from_response(results) is None


def test_model_name_prefers_model_then_gemini_version() -> None:
    """The served model is read from 'model', else Gemini's 'modelVersion'."""
    assert model_name({"model": "gpt-4o-2024-08-06"}) == "gpt-4o-2024-08-06"
    assert model_name({"modelVersion": "gemini-1.5-pro-002"}) == "gemini-1.5-pro-002"
    assert model_name({"model": 3}) is None
    assert model_name(None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.25, 0.25), (2, 2.0), (0, 0.0), (-1, None), (float("nan"), None), (True, None), ("1", None)],
)
def test_explicit_cost_is_a_non_negative_number(value: object, expected: float | None) -> None:
    """results['cost_usd'] counts only when it is a finite non-negative number."""
    assert explicit_cost({"cost_usd": value}) == expected


def test_openai_stream_takes_the_usage_of_the_last_chunk() -> None:
    """OpenAI streams (include_usage) carry usage in the final chunk only."""
    stream = StreamUsage()
    stream.add(
        {
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"delta": {"content": "Hi"}}],
            "usage": None,
        }
    )
    stream.add(
        {
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3},
        }
    )
    assert stream.usage() == Usage(input_tokens=12, output_tokens=3)
    assert stream.model == "gpt-4o-mini-2024-07-18"


def test_anthropic_stream_merges_start_and_delta_usage() -> None:
    """Anthropic sends input counts in message_start and the final output count in message_delta."""
    stream = StreamUsage()
    stream.add(
        {
            "type": "message_start",
            "message": {
                "model": "claude-3-5-haiku-20241022",
                "usage": {"input_tokens": 25, "cache_read_input_tokens": 100, "output_tokens": 1},
            },
        }
    )
    stream.add({"type": "content_block_delta", "delta": {"text": "Hi"}})
    stream.add({"type": "message_delta", "usage": {"output_tokens": 15}})
    assert stream.usage() == Usage(input_tokens=125, output_tokens=15, cache_read_tokens=100)
    assert stream.model == "claude-3-5-haiku-20241022"


def test_stream_without_usage_gives_none() -> None:
    """Chunks that never mention usage leave it unknown."""
    stream = StreamUsage()
    stream.add({"choices": [{"delta": {"content": "Hi"}}]})
    assert stream.usage() is None


def test_counts_beyond_the_contract_are_dropped() -> None:
    """A count Usage would refuse (over MAX_TOKENS) is left out rather than failing the log."""
    usage = usage_from_response({"usage": {"prompt_tokens": 10**12, "completion_tokens": 7}})
    assert usage == Usage(output_tokens=7)
