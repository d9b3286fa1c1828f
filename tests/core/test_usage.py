"""Usage, model and cost read from a provider's payload, in agenttrace's convention.

One table of shapes for every producer: the ManualLogger's results and stream chunks, the
Helicone ingest's logged responses and the LangChain handler's usage objects."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from agenttrace.core.usage import (
    StreamUsage,
    explicit_cost,
    model_name,
    usage_from_mapping,
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


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        pytest.param(
            {"usage": {"inputTokens": 7, "outputTokens": 3, "cacheReadInputTokens": 5}},
            Usage(input_tokens=12, output_tokens=3, cache_read_tokens=5),
            id="bedrock-converse-input-excludes-cache",
        ),
        pytest.param(
            {"generation": "hi", "prompt_token_count": 11, "generation_token_count": 4},
            Usage(input_tokens=11, output_tokens=4),
            id="bedrock-invoke-beside-the-text",
        ),
        pytest.param(
            {"usage_metadata": {"prompt_token_count": 9, "candidates_token_count": 2}},
            Usage(input_tokens=9, output_tokens=2),
            id="gemini-snake-case",
        ),
        pytest.param(
            {"type": "message_start",
             "message": {"usage": {"input_tokens": 4, "output_tokens": 1}}},
            Usage(input_tokens=4, output_tokens=1),
            id="anthropic-wrapped-in-message",
        ),
        pytest.param(
            {"type": "response.completed",
             "response": {"usage": {"input_tokens": 5, "output_tokens": 6}}},
            Usage(input_tokens=5, output_tokens=6),
            id="openai-responses-wrapped-in-response",
        ),
        pytest.param(
            {"usage": {"input_tokens": 10, "cache_creation_input_tokens": 300,
                       "cache_creation": {"ephemeral_5m_input_tokens": 200,
                                          "ephemeral_1h_input_tokens": 100},
                       "output_tokens": 50, "output_tokens_details": {"thinking_tokens": 20}}},
            Usage(input_tokens=310, output_tokens=50, cache_write_tokens=300,
                  cache_write_1h_tokens=100, reasoning_tokens=20),
            id="anthropic-writes-by-lifetime-and-thinking",
        ),
        pytest.param(
            {"usage_metadata": {"input_tokens": 330, "output_tokens": 5,
                                "input_token_details": {"cache_read": 0, "cache_creation": 0,
                                                        "ephemeral_5m_input_tokens": 200,
                                                        "ephemeral_1h_input_tokens": 100}}},
            Usage(input_tokens=330, output_tokens=5, cache_read_tokens=0,
                  cache_write_tokens=300, cache_write_1h_tokens=100),
            id="langchain-anthropic-writes-under-ephemeral-keys",
        ),
        pytest.param(
            {"usageMetadata": {"promptTokenCount": 100, "toolUsePromptTokenCount": 7,
                               "cachedContentTokenCount": 60, "candidatesTokenCount": 9,
                               "thoughtsTokenCount": 4}},
            Usage(input_tokens=107, output_tokens=13, cache_read_tokens=60,
                  reasoning_tokens=4),
            id="gemini-tool-use-prompt-is-input",
        ),
    ],
)  # fmt: skip
def test_more_shapes(response: dict[str, Any], expected: Usage) -> None:
    """Bedrock, snake-case Gemini and streamed events wrapping a response are read too."""
    assert usage_from_response(response) == expected


def test_a_bare_usage_object_is_read_by_its_shape() -> None:
    """usage_from_mapping takes one usage object (LangChain's usage_metadata, a provider's
    token_usage) and tells the shapes apart by their keys."""
    langchain = {
        "input_tokens": 120,
        "output_tokens": 40,
        "input_token_details": {"cache_read": 100, "cache_creation": 8},
        "output_token_details": {"reasoning": 30},
    }
    assert usage_from_mapping(langchain) == Usage(
        input_tokens=120,
        output_tokens=40,
        cache_read_tokens=100,
        cache_write_tokens=8,
        reasoning_tokens=30,
    )
    assert usage_from_mapping({"prompt_tokens": 3, "completion_tokens": 4}) == Usage(
        input_tokens=3, output_tokens=4
    )
    assert usage_from_mapping({"input_tokens": None, "output_tokens": None}) is None


def test_total_is_input_plus_output_when_both_are_known() -> None:
    """A stale or inconsistent total is replaced; alone, the provider's total is kept."""
    stale = {"usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 11}}
    assert usage_from_response(stale) == Usage(input_tokens=10, output_tokens=5, total_tokens=15)
    partial = {"usage": {"completion_tokens": 5, "total_tokens": 20}}
    assert usage_from_response(partial) == Usage(output_tokens=5, total_tokens=20)


def test_anthropic_input_is_the_sum_of_the_parts_it_reports() -> None:
    """Without input_tokens the input is the cached parts; with nothing known, unknown."""
    only_cache = {"usage": {"cache_read_input_tokens": 90, "output_tokens": 5}}
    assert usage_from_response(only_cache) == Usage(
        input_tokens=90, output_tokens=5, cache_read_tokens=90
    )
    nothing = {"usage": {"cache_read_input_tokens": None, "output_tokens": 5}}
    assert usage_from_response(nothing) == Usage(output_tokens=5)


def test_floats_that_are_whole_numbers_count_and_others_do_not() -> None:
    """12.0 is a count (JSON from some SDKs); 12.5 and Helicone's -1 are not."""
    usage = usage_from_response({"usage": {"prompt_tokens": 12.0, "completion_tokens": 12.5}})
    assert usage == Usage(input_tokens=12)
    assert usage_from_response({"usage": {"prompt_tokens": -1, "completion_tokens": 2}}) == Usage(
        output_tokens=2
    )


def test_model_name_is_stripped_and_bounded() -> None:
    """Whitespace is dropped and names are cut to the record's limit."""
    assert model_name({"model": "  gpt-4o  "}) == "gpt-4o"
    assert model_name({"model": "m" * 600}) == "m" * 500
    assert model_name({"model": "   "}) is None


def test_a_stream_names_the_model_of_its_first_chunk() -> None:
    """The served model is the first one a chunk names, also inside an event's wrapper;
    later chunks do not replace it."""
    stream = StreamUsage()
    stream.add({"type": "ping"})
    stream.add({"type": "message_start", "message": {"model": "claude-3-5-haiku"}})
    stream.add({"model": "other"})
    assert stream.model == "claude-3-5-haiku"
