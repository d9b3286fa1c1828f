"""Helicone manual-logger bodies and headers mapped to records, and bad bodies refused."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from agenttrace.core.pricing import compute_cost
from agenttrace.records import ErrorInfo, RecordKind, Status, Usage
from agenttrace.server.helicone import HeliconeLogError, LogEndpoint, record_from_log

LogBody = Callable[..., dict[str, Any]]
FIXED_NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
CUSTOM = LogEndpoint.CUSTOM


def _fixed_now() -> datetime:
    return FIXED_NOW


def test_tool_call_becomes_a_tool_record_with_session_user_and_properties(
    log_body: LogBody,
) -> None:
    """The helper's tool log: kind, name, bodies, times and Helicone-* headers all land."""
    body = log_body(
        {"_type": "tool", "toolName": "web_search", "input": {"q": "weather"}},
        {"hits": 3},
        start=1_700_000_000.25,
        end=1_700_000_001.5,
    )
    headers = {
        "authorization": "Bearer sk-test",
        "helicone-session-id": "sess-1",
        "helicone-session-path": "/research/search/",
        "helicone-session-name": "Trip planner",
        "helicone-user-id": "alice",
        "helicone-property-environment": "prod",
    }
    record = record_from_log(body, headers, LogEndpoint.CUSTOM)
    assert record.kind is RecordKind.TOOL
    assert record.name == "web_search"
    assert (record.session_id, record.session_path, record.session_name) == (
        "sess-1",
        "/research/search",
        "Trip planner",
    )
    assert record.user_id == "alice"
    assert record.properties == {"environment": "prod"}
    assert record.start_time == datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=UTC)
    assert record.latency_ms == pytest.approx(1250.0)
    assert record.status is Status.OK
    assert record.error is None
    assert record.request == {"_type": "tool", "toolName": "web_search", "input": {"q": "weather"}}
    assert record.response == {"hits": 3, "_type": "tool", "toolName": "web_search"}
    assert record.model is None
    assert record.usage is None
    assert record.cost_usd is None


@pytest.mark.parametrize(
    ("request_json", "endpoint", "kind", "name"),
    [
        (
            {"_type": "vector_db", "operation": "search", "databaseName": "pinecone"},
            LogEndpoint.CUSTOM,
            RecordKind.VECTOR_DB,
            "pinecone",
        ),
        ({"_type": "vector_db", "operation": "insert"}, CUSTOM, RecordKind.VECTOR_DB, "insert"),
        ({"_type": "data", "name": "load_profile"}, CUSTOM, RecordKind.DATA, "load_profile"),
        ({"_type": "tool"}, CUSTOM, RecordKind.TOOL, "tool"),
        ({"model": "my-model", "prompt": "hi"}, CUSTOM, RecordKind.CUSTOM, "my-model"),
        ({"prompt": "hi"}, CUSTOM, RecordKind.CUSTOM, "custom"),
        ({"model": "gpt-4o-mini"}, LogEndpoint.OPENAI, RecordKind.LLM, "gpt-4o-mini"),
        ({"model": "claude-3-5-haiku"}, LogEndpoint.ANTHROPIC, RecordKind.LLM, "claude-3-5-haiku"),
        ({"_type": "unknown"}, LogEndpoint.GOOGLE, RecordKind.LLM, "llm"),
        ({"_type": "llm", "model": "phi-3"}, CUSTOM, RecordKind.LLM, "phi-3"),
        ({"_type": "chain", "name": "plan"}, CUSTOM, RecordKind.CHAIN, "plan"),
        ({"name": "resize", "model": "sd-xl"}, CUSTOM, RecordKind.CUSTOM, "resize"),
    ],
)
def test_kind_and_name_follow_type_and_endpoint(
    log_body: LogBody,
    request_json: dict[str, Any],
    endpoint: LogEndpoint,
    kind: RecordKind,
    name: str,
) -> None:
    """_type picks tool / vector_db / data; the endpoint picks llm or custom otherwise."""
    record = record_from_log(log_body(request_json, {}), {}, endpoint)
    assert (record.kind, record.name) == (kind, name)


def test_openai_log_reads_usage_and_prices_it(log_body: LogBody) -> None:
    """/oai/v1/log: model from the response, usage with cache and reasoning, cost priced."""
    response = {
        "model": "gpt-4o-2024-08-06",
        "usage": {
            "prompt_tokens": 1000,
            "completion_tokens": 200,
            "total_tokens": 1200,
            "prompt_tokens_details": {"cached_tokens": 600},
        },
    }
    record = record_from_log(log_body({"model": "gpt-4o"}, response), {}, LogEndpoint.OPENAI)
    expected_usage = Usage(
        input_tokens=1000, output_tokens=200, total_tokens=1200, cache_read_tokens=600
    )
    assert (record.kind, record.model, record.provider) == (
        RecordKind.LLM,
        "gpt-4o-2024-08-06",
        "openai",
    )
    assert record.usage == expected_usage
    expected_cost = compute_cost(
        "gpt-4o-2024-08-06", "openai", expected_usage, at=record.start_time
    )
    assert expected_cost is not None
    assert expected_cost > 0
    assert record.cost_usd == pytest.approx(expected_cost)


def test_anthropic_log_counts_cache_tokens_in_the_input(log_body: LogBody) -> None:
    """/anthropic/v1/log: input_tokens + cache creation + cache read make input_tokens."""
    response = {
        "model": "claude-3-5-sonnet-20241022",
        "usage": {
            "input_tokens": 20,
            "cache_creation_input_tokens": 100,
            "cache_read_input_tokens": 300,
            "output_tokens": 10,
        },
    }
    record = record_from_log(log_body({"model": "x"}, response), {}, LogEndpoint.ANTHROPIC)
    assert record.provider == "anthropic"
    assert record.usage == Usage(
        input_tokens=420,
        output_tokens=10,
        total_tokens=430,
        cache_read_tokens=300,
        cache_write_tokens=100,
    )
    assert record.cost_usd == pytest.approx(
        compute_cost("claude-3-5-sonnet-20241022", "anthropic", record.usage, at=record.start_time)
    )


def test_explicit_cost_wins_and_custom_provider_is_normalised(log_body: LogBody) -> None:
    """providerResponse.cost is taken as given; Helicone's provider names are lower-cased."""
    body = log_body({"model": "gpt-4o"}, {"usage": {"prompt_tokens": 5, "completion_tokens": 5}})
    body["providerResponse"]["cost"] = 0.125
    body["provider"] = "OPENAI"
    record = record_from_log(body, {}, LogEndpoint.CUSTOM)
    assert (record.cost_usd, record.provider) == (0.125, "openai")
    body["provider"] = "CUSTOM"
    assert record_from_log(body, {}, LogEndpoint.CUSTOM).provider is None
    body["provider"] = "TOGETHERAI"
    assert record_from_log(body, {}, LogEndpoint.CUSTOM).provider == "together"


def test_request_model_is_the_fallback_when_the_response_names_none(log_body: LogBody) -> None:
    """A custom model that answers text: the model comes from the request json."""
    record = record_from_log(
        log_body({"model": "local-llama"}, "an answer"), {}, LogEndpoint.CUSTOM
    )
    assert record.model == "local-llama"
    assert record.response == "an answer"


def test_meta_headers_are_read_and_http_headers_win(log_body: LogBody) -> None:
    """providerRequest.meta carries Helicone-* headers (any case); the HTTP request overrides."""
    body = log_body({"_type": "tool", "toolName": "t"}, {})
    body["providerRequest"]["meta"] = {
        "Helicone-Session-Id": "from-meta",
        "Helicone-User-Id": "meta-user",
        "Helicone-Property-Team": "blue",
    }
    record = record_from_log(body, {"helicone-session-id": "from-http"}, LogEndpoint.CUSTOM)
    assert (record.session_id, record.user_id) == ("from-http", "meta-user")
    assert record.properties == {"team": "blue"}


def test_request_id_header_is_the_record_id(log_body: LogBody) -> None:
    """Helicone-Request-Id becomes the id, so a re-sent log is a duplicate, not a copy."""
    body = log_body({"_type": "tool", "toolName": "t"}, {})
    headers = {"helicone-request-id": "req-42", "helicone-session-id": "s"}
    assert record_from_log(body, headers, LogEndpoint.CUSTOM).id == "req-42"


def test_without_session_id_the_call_is_its_own_session(log_body: LogBody) -> None:
    """No Helicone-Session-Id: the session id is the (new) request id, a UUIDv7 like
    every id agenttrace makes."""
    record = record_from_log(
        log_body({"_type": "tool", "toolName": "t"}, {}), {}, LogEndpoint.CUSTOM
    )
    assert record.session_id == record.id
    assert uuid.UUID(record.id).version == 7
    assert record.session_path == "/"


def test_omit_headers_drop_bodies_but_keep_usage(log_body: LogBody) -> None:
    """Helicone-Omit-Request / -Response drop the bodies; model and usage are kept."""
    body = log_body(
        {"model": "gpt-4o"},
        {"model": "gpt-4o", "usage": {"prompt_tokens": 1, "completion_tokens": 1}},
    )
    headers = {"helicone-omit-request": "true", "helicone-omit-response": "true"}
    record = record_from_log(body, headers, LogEndpoint.OPENAI)
    assert (record.request, record.response) == (None, None)
    assert record.usage == Usage(input_tokens=1, output_tokens=1)
    assert record.model == "gpt-4o"


@pytest.mark.parametrize(
    ("status", "expected"),
    [(200, Status.OK), (204, Status.OK), (302, Status.OK), (-3, Status.CANCELLED),
     (400, Status.ERROR), (500, Status.ERROR), (-1, Status.ERROR), (0, Status.ERROR)],
)  # fmt: skip
def test_status_codes_map_to_statuses(log_body: LogBody, status: int, expected: Status) -> None:
    """2xx/3xx ok, Helicone's -3 cancelled, everything else an error."""
    record = record_from_log(log_body({"_type": "tool"}, {}, status=status), {}, LogEndpoint.CUSTOM)
    assert record.status is expected
    assert (record.error is None) == (expected is not Status.ERROR)


def test_provider_error_bodies_give_the_error_type_and_message(log_body: LogBody) -> None:
    """OpenAI/Anthropic error objects, plain error strings and text bodies are all read."""
    openai_error = {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}
    record = record_from_log(log_body({}, openai_error, status=429), {}, LogEndpoint.OPENAI)
    assert record.error == ErrorInfo(type="rate_limit_error", message="Rate limit reached")
    plain = record_from_log(log_body({}, {"error": "bad key"}, status=401), {}, LogEndpoint.CUSTOM)
    assert plain.error == ErrorInfo(type="HTTP 401", message="bad key")
    text = record_from_log(log_body({}, "upstream down", status=503), {}, LogEndpoint.CUSTOM)
    assert text.error == ErrorInfo(type="HTTP 503", message="upstream down")


def test_builder_traceback_with_status_200_is_an_error(log_body: LogBody) -> None:
    """HeliconeLogBuilder sends 200 even after set_error; its traceback marks the error."""
    traceback_text = (
        "Traceback (most recent call last):\n"
        '  File "agent.py", line 3, in run\n'
        "    raise TimeoutError('search took too long')\n"
        "TimeoutError: search took too long\n\npartial output"
    )
    record = record_from_log(log_body({"model": "m"}, traceback_text), {}, LogEndpoint.CUSTOM)
    assert record.status is Status.ERROR
    assert record.error == ErrorInfo(type="TimeoutError", message="search took too long")
    assert record.response == traceback_text


def test_timing_forms_and_time_to_first_token(log_body: LogBody) -> None:
    """{seconds, milliseconds}, Unix-second and -millisecond strings and ISO-8601 all work."""
    body = log_body({"model": "m"}, "x", ttft=150.5)
    record = record_from_log(body, {}, LogEndpoint.CUSTOM)
    assert record.time_to_first_token_ms == 150.5
    body["timing"] = {"startTime": "1700000000", "endTime": "1700000002500"}
    record = record_from_log(body, {}, LogEndpoint.CUSTOM)
    assert record.latency_ms == pytest.approx(2500.0)
    body["timing"] = {"startTime": "2025-01-01T00:00:00Z", "endTime": "2025-01-01T00:00:01"}
    record = record_from_log(body, {}, LogEndpoint.CUSTOM)
    assert record.start_time == datetime(2025, 1, 1, tzinfo=UTC)
    assert record.latency_ms == pytest.approx(1000.0)


def test_missing_timing_means_now(log_body: LogBody) -> None:
    """Without timing, start and end are the time of logging (as Helicone does)."""
    body = log_body({"_type": "tool"}, {})
    del body["timing"]
    record = record_from_log(body, {}, LogEndpoint.CUSTOM, now=_fixed_now)
    assert record.start_time == record.end_time == FIXED_NOW


def test_empty_or_partial_timing_is_taken(log_body: LogBody) -> None:
    """``timing: {}`` (or nulls in it) is taken as no timing, as Helicone takes it; with
    one of the two times, the other is the same moment; a huge integer status is an
    error status, not a refused log."""
    body = log_body({"_type": "tool"}, {})
    for timing in ({}, {"startTime": None, "endTime": None, "timeToFirstToken": None}):
        body["timing"] = timing
        record = record_from_log(body, {}, LogEndpoint.CUSTOM, now=_fixed_now)
        assert record.start_time == record.end_time == FIXED_NOW
    body["timing"] = {"endTime": {"seconds": 1_700_000_000, "milliseconds": 250}}
    record = record_from_log(body, {}, LogEndpoint.CUSTOM, now=_fixed_now)
    assert record.start_time == record.end_time == datetime(2023, 11, 14, 22, 13, 20, 250_000, UTC)
    body["timing"] = {"startTime": "1700000000"}
    record = record_from_log(body, {}, LogEndpoint.CUSTOM, now=_fixed_now)
    assert record.start_time == record.end_time == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    body["providerResponse"]["status"] = 10**400
    assert record_from_log(body, {}, LogEndpoint.CUSTOM).status is Status.ERROR


def test_text_body_wins_over_json_and_json_may_be_absent(log_body: LogBody) -> None:
    """A cURL log with textBody only (no json) is accepted; the text is the response."""
    body = log_body({"model": "m"}, "hello")
    del body["providerResponse"]["json"]
    assert record_from_log(body, {}, LogEndpoint.CUSTOM).response == "hello"


def _bad(body: dict[str, Any], path: list[str], value: object) -> dict[str, Any]:
    broken = copy.deepcopy(body)
    target = broken
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return broken


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["providerRequest"], _DELETE, "providerRequest is missing"),
        (["providerRequest"], "text", "providerRequest must be an object; got a string"),
        (["providerResponse"], _DELETE, "providerResponse is missing"),
        (["providerResponse"], [1], "providerResponse must be an object; got a list"),
        (["providerRequest", "json"], _DELETE, "providerRequest.json is missing"),
        (["providerRequest", "url"], 7, "providerRequest.url must be a string; got a number"),
        (["providerRequest", "meta"], "x", "providerRequest.meta must be an object"),
        (["providerRequest", "meta"], {"Helicone-User-Id": {"a": 1}}, "must be a string"),
        (["providerResponse", "status"], _DELETE, "providerResponse.status is missing"),
        (["providerResponse", "status"], "200", "status must be a whole number"),
        (["providerResponse", "status"], True, "status must be a whole number"),
        (["providerResponse", "status"], 200.5, "status must be a whole number"),
        (["providerResponse", "textBody"], 5, "textBody must be a string"),
        (["providerResponse", "headers"], "h", "providerResponse.headers must be an object"),
        (["providerResponse", "cost"], -1, "cost must be a number of at least 0"),
        (["providerResponse", "cost"], "cheap", "cost must be a number of at least 0"),
        (["timing"], "soon", "timing must be an object"),
        (["timing", "startTime"], {"seconds": "1"}, "startTime must be {seconds, milliseconds}"),
        (["timing", "endTime"], "yesterday", "timing.endTime must be {seconds, milliseconds}"),
        (["timing", "startTime"], {"seconds": 1_800_000_000, "milliseconds": 0},
         "timing.startTime is after timing.endTime"),
        (["timing", "startTime"], {"seconds": -5, "milliseconds": 0}, "cannot be negative"),
        (["timing", "endTime"], {"seconds": 1_700_000_000_000_000, "milliseconds": 0},
         "after the year 9999"),
        (["timing", "timeToFirstToken"], -3, "timeToFirstToken must be a number of at least 0"),
        (["provider"], 3, "provider must be a string"),
        (["providerResponse", "cost"], float("nan"), "cost must be a number of at least 0"),
        (["providerResponse", "cost"], float("inf"), "cost must be a number of at least 0"),
        (["timing", "startTime"], "0001-01-01T00:00:00+01:00", "out of range in UTC"),
        (["timing", "startTime"], "9" * 15, "Unix seconds .at most 14 digits."),
        (["timing", "startTime"], " 1700000000", "Unix seconds .at most 14 digits."),
        (["timing", "startTime"], "2025-01-01", "or an ISO-8601 date-time"),
        (["timing", "startTime"], {"seconds": 1, "milliseconds": 1000}, "milliseconds from 0"),
        (["timing", "startTime"], {"seconds": 1, "milliseconds": -1}, "milliseconds from 0"),
    ],
)  # fmt: skip
def test_bad_bodies_are_refused_with_the_part_named(
    log_body: LogBody, path: list[str], value: object, message: str
) -> None:
    """Each malformed part of a log gets an error that names it and says what is expected."""
    body = _bad(log_body({"_type": "tool"}, {}), path, value)
    with pytest.raises(HeliconeLogError, match=message.replace("{", r"\{").replace("}", r"\}")):
        record_from_log(body, {}, LogEndpoint.CUSTOM)


@pytest.mark.parametrize("body", [None, [], "log", 3])
def test_a_body_that_is_not_an_object_is_refused(body: object) -> None:
    """The top level must be an object."""
    with pytest.raises(HeliconeLogError, match="the body must be an object"):
        record_from_log(body, {}, LogEndpoint.CUSTOM)


def test_header_values_the_record_rejects_are_reported(log_body: LogBody) -> None:
    """A property name over 200 characters (from a header) fails with the header named."""
    headers = {"helicone-property-" + "k" * 201: "v"}
    with pytest.raises(HeliconeLogError, match=r"properties: .*property names must be 1 to 200"):
        record_from_log(log_body({"_type": "tool"}, {}), headers, LogEndpoint.CUSTOM)


def test_an_unusable_session_path_header_is_refused(log_body: LogBody) -> None:
    """A Helicone-Session-Path deeper than 64 segments gets a sentence, not a crash."""
    headers = {"helicone-session-path": "/a" * 65}
    with pytest.raises(HeliconeLogError, match="the Helicone-\\* headers cannot be used"):
        record_from_log(log_body({"_type": "tool"}, {}), headers, LogEndpoint.CUSTOM)


def test_absurd_token_counts_are_not_kept(log_body: LogBody) -> None:
    """A 'count' beyond 2**40 tokens is garbage: the usage is unknown, the log is stored."""
    response = {"usage": {"prompt_tokens": 10**20, "completion_tokens": 10**30}}
    record = record_from_log(log_body({"model": "gpt-4o"}, response), {}, LogEndpoint.OPENAI)
    assert record.usage is None
    assert record.cost_usd is None


def test_over_long_model_and_provider_names_are_cut_not_refused(log_body: LogBody) -> None:
    """A response's model name is the provider's text: it is cut to the record's limits."""
    body = log_body({"_type": "unknown"}, {"model": "m" * 600})
    body["provider"] = "p" * 300
    record = record_from_log(body, {}, LogEndpoint.CUSTOM)
    assert (record.model, record.provider) == ("m" * 500, "p" * 200)
