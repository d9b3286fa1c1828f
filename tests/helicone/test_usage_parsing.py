"""Usage and model read from provider responses, normalised to agenttrace's convention."""

from __future__ import annotations

import json

import pytest

from agenttrace.core.usage import usage_from_response
from agenttrace.records import Usage
from agenttrace.server.helicone import read_response


def test_openai_chat_usage_keeps_cached_and_reasoning_inside_the_totals() -> None:
    """OpenAI's prompt_tokens already include cached tokens; reasoning is inside completion."""
    body = {
        "model": "gpt-4o-2024-08-06",
        "usage": {
            "prompt_tokens": 120,
            "completion_tokens": 30,
            "total_tokens": 150,
            "prompt_tokens_details": {"cached_tokens": 100},
            "completion_tokens_details": {"reasoning_tokens": 12},
        },
    }
    facts = read_response(body, None)
    assert facts.model == "gpt-4o-2024-08-06"
    assert facts.usage == Usage(
        input_tokens=120,
        output_tokens=30,
        total_tokens=150,
        cache_read_tokens=100,
        reasoning_tokens=12,
    )


def test_anthropic_usage_adds_cache_tokens_to_the_input() -> None:
    """Anthropic's input_tokens exclude the cache, so cache reads and writes are added."""
    body = {
        "model": "claude-3-5-sonnet-20241022",
        "usage": {
            "input_tokens": 10,
            "cache_creation_input_tokens": 200,
            "cache_read_input_tokens": 1000,
            "output_tokens": 50,
        },
    }
    usage = read_response(body, None).usage
    assert usage == Usage(
        input_tokens=1210,
        output_tokens=50,
        total_tokens=1260,
        cache_read_tokens=1000,
        cache_write_tokens=200,
    )


def test_openai_responses_usage_is_already_inclusive() -> None:
    """The Responses API's input_tokens include cached tokens (its details say so)."""
    body = {
        "model": "o3-mini",
        "usage": {
            "input_tokens": 80,
            "input_tokens_details": {"cached_tokens": 64},
            "output_tokens": 40,
            "output_tokens_details": {"reasoning_tokens": 32},
            "total_tokens": 120,
        },
    }
    assert read_response(body, None).usage == Usage(
        input_tokens=80,
        output_tokens=40,
        total_tokens=120,
        cache_read_tokens=64,
        reasoning_tokens=32,
    )


def test_google_usage_metadata_counts_thoughts_as_output() -> None:
    """Gemini's thoughtsTokenCount is output (reasoning); cached content is inside the prompt."""
    body = {
        "modelVersion": "gemini-2.5-flash",
        "usageMetadata": {
            "promptTokenCount": 90,
            "cachedContentTokenCount": 40,
            "candidatesTokenCount": 20,
            "thoughtsTokenCount": 15,
            "totalTokenCount": 125,
        },
    }
    facts = read_response(body, None)
    assert facts.model == "gemini-2.5-flash"
    assert facts.usage == Usage(
        input_tokens=90,
        output_tokens=35,
        total_tokens=125,
        cache_read_tokens=40,
        reasoning_tokens=15,
    )


def test_bedrock_shapes_are_read() -> None:
    """Bedrock Converse (camelCase, cache excluded) and invoke (token_count fields) both count."""
    converse = {"usage": {"inputTokens": 7, "outputTokens": 3, "cacheReadInputTokens": 5}}
    assert read_response(converse, None).usage == Usage(
        input_tokens=12, output_tokens=3, cache_read_tokens=5
    )
    invoke = {"prompt_token_count": 11, "generation_token_count": 4}
    assert read_response(invoke, None).usage == Usage(input_tokens=11, output_tokens=4)


def test_streamed_data_takes_the_last_usage_and_the_first_model() -> None:
    """Helicone's streamed_data chunks: the model of the first chunk, usage of the last."""
    chunks = [
        {"model": "gpt-4o-mini", "choices": [{"delta": {"content": "Hi"}}], "usage": None},
        {
            "model": "gpt-4o-mini",
            "choices": [],
            "usage": {"prompt_tokens": 9, "completion_tokens": 2},
        },
    ]
    facts = read_response({"streamed_data": chunks}, None)
    assert facts.model == "gpt-4o-mini"
    assert facts.usage == Usage(input_tokens=9, output_tokens=2, total_tokens=11)


def test_anthropic_server_sent_events_merge_start_and_delta() -> None:
    """An Anthropic SSE text body: input from message_start, final output from message_delta."""
    start = {
        "type": "message_start",
        "message": {
            "model": "claude-3-5-haiku-20241022",
            "usage": {"input_tokens": 25, "cache_read_input_tokens": 5, "output_tokens": 1},
        },
    }
    delta = {"type": "message_delta", "usage": {"output_tokens": 42}}
    text = "\n".join(
        [
            "event: message_start",
            f"data: {json.dumps(start)}",
            "",
            "event: content_block_delta",
            'data: {"type": "content_block_delta", "delta": {"text": "hello"}}',
            "event: message_delta",
            f"data: {json.dumps(delta)}",
            "data: [DONE]",
        ]
    )
    facts = read_response({}, text)
    assert facts.model == "claude-3-5-haiku-20241022"
    assert facts.usage == Usage(
        input_tokens=30, output_tokens=42, total_tokens=72, cache_read_tokens=5
    )


def test_log_builder_text_lines_are_read_after_a_traceback_prefix() -> None:
    """HeliconeLogBuilder joins JSON chunks with newlines, after an error's traceback."""
    chunk = {"model": "gpt-4o", "usage": {"prompt_tokens": 3, "completion_tokens": 4}}
    text = "Traceback (most recent call last):\n  File x\nValueError: no\n\n" + json.dumps(chunk)
    facts = read_response({}, text)
    assert facts.model == "gpt-4o"
    assert facts.usage == Usage(input_tokens=3, output_tokens=4)


def test_responses_api_completed_event_is_unwrapped() -> None:
    """OpenAI's response.completed event carries usage inside its response object."""
    event = {
        "type": "response.completed",
        "response": {
            "model": "gpt-4.1",
            "usage": {
                "input_tokens": 5,
                "output_tokens": 6,
                "input_tokens_details": {"cached_tokens": 0},
            },
        },
    }
    facts = read_response(None, f"data: {json.dumps(event)}")
    assert facts.model == "gpt-4.1"
    assert facts.usage == Usage(input_tokens=5, output_tokens=6, cache_read_tokens=0)


def test_unknown_and_negative_counts_give_no_usage() -> None:
    """Helicone's -1 'unknown', booleans and strings are not token counts."""
    body = {"usage": {"prompt_tokens": -1, "completion_tokens": True, "total_tokens": "3"}}
    assert read_response(body, None).usage is None
    assert read_response({"result": "plain"}, "just text").usage is None
    assert read_response("a string body", None) == read_response(None, None)


def test_whole_text_body_json_is_read() -> None:
    """A text body that is one JSON object (or a list of chunks) is parsed as a whole."""
    one = json.dumps({"model": "m1", "usage": {"input_tokens": 1, "output_tokens": 2}})
    assert read_response(None, one).usage == Usage(input_tokens=1, output_tokens=2)
    many = json.dumps([{"model": "m2"}, {"usage": {"prompt_tokens": 4, "completion_tokens": 1}}])
    facts = read_response(None, many)
    assert (facts.model, facts.usage) == ("m2", Usage(input_tokens=4, output_tokens=1))


@pytest.mark.parametrize(
    "response",
    [
        {"usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150,
                   "prompt_tokens_details": {"cached_tokens": 100},
                   "completion_tokens_details": {"reasoning_tokens": 12}}},
        {"usage": {"input_tokens": 10, "cache_creation_input_tokens": 200,
                   "cache_read_input_tokens": 1000, "output_tokens": 50}},
        {"usage": {"input_tokens": 10, "output_tokens": 5}},
        {"usage": {"input_tokens": 80, "input_tokens_details": {"cached_tokens": 64},
                   "output_tokens": 40, "output_tokens_details": {"reasoning_tokens": 32},
                   "total_tokens": 120}},
        {"usageMetadata": {"promptTokenCount": 90, "cachedContentTokenCount": 40,
                           "candidatesTokenCount": 20, "thoughtsTokenCount": 15,
                           "totalTokenCount": 125}},
    ],
)  # fmt: skip
def test_the_same_counts_as_agenttraces_own_manual_logger(response: dict[str, object]) -> None:
    """A response logged through Helicone's helper counts as agenttrace's ManualLogger counts it."""
    assert read_response(response, None).usage == usage_from_response(response)
