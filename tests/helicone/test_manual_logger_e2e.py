"""Helicone's own Python manual logger (helicone_helpers, from PyPI) against a real collector.

The logger is pointed at ``running_collector().url``; what it logs is then read back through
the Helicone-shaped query endpoints, as a Helicone user's code would.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from helicone_helpers import HeliconeManualLogger

from agenttrace.core.pricing import compute_cost
from agenttrace.records import Usage
from agenttrace.server.testing import RunningCollector

OPENAI_RESPONSE = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Lisbon"}}],
    "usage": {
        "prompt_tokens": 1200,
        "completion_tokens": 80,
        "total_tokens": 1280,
        "prompt_tokens_details": {"cached_tokens": 1024},
        "completion_tokens_details": {"reasoning_tokens": 0},
    },
}
ANTHROPIC_RESPONSE = {
    "id": "msg_1",
    "type": "message",
    "model": "claude-3-5-haiku-20241022",
    "content": [{"type": "text", "text": "Porto"}],
    "usage": {
        "input_tokens": 50,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 400,
        "output_tokens": 30,
    },
}


def _window() -> dict[str, int]:
    now_ms = int(time.time() * 1000)
    return {"startTimeUnixMs": now_ms - 3_600_000, "endTimeUnixMs": now_ms + 3_600_000}


def _sessions(client: httpx.Client, **body: Any) -> list[dict[str, Any]]:
    query = {"search": "", "timeFilter": _window(), "timezoneDifference": 0, "filter": "all"}
    response = client.post("/v1/session/query", json={**query, **body})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["error"] is None
    data: list[dict[str, Any]] = answer["data"]
    return data


def _requests(client: httpx.Client, node: object, **body: Any) -> list[dict[str, Any]]:
    response = client.post("/v1/request/query", json={"filter": node, "limit": 100, **body})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["error"] is None
    data: list[dict[str, Any]] = answer["data"]
    return data


def _in_session(session_id: str) -> dict[str, Any]:
    return {"request_response_rmt": {"properties": {"Helicone-Session-Id": {"equals": session_id}}}}


@pytest.fixture
def client(helicone_collector: RunningCollector) -> Iterator[httpx.Client]:
    """An httpx client on the module's collector."""
    with helicone_collector.client(timeout=10) as http:
        yield http


def _log_agent_run(url: str, session_id: str) -> None:
    """What a Helicone user's agent does: tools, a vector search, LLM calls, a failure."""
    logger = HeliconeManualLogger(
        api_key="sk-helicone-test",
        logging_endpoint=url,
        headers={
            "Helicone-Session-Id": session_id,
            "Helicone-Session-Name": "Trip planner",
            "Helicone-User-Id": "alice",
            "Helicone-Property-Environment": "test",
        },
    )

    def search(recorder: Any) -> list[str]:
        results = ["Lisbon", "Porto"]
        recorder.append_results({"results": results})
        return results

    assert logger.log_request(
        {"_type": "tool", "toolName": "web_search", "input": {"query": "sunny cities"}},
        search,
        additional_headers={
            "Helicone-Session-Path": "/planner/search",
            "Helicone-Property-Tool-Version": "2",
        },
    ) == ["Lisbon", "Porto"]

    def retrieve(recorder: Any) -> int:
        recorder.append_results({"matches": [{"id": "doc-1", "score": 0.91}]})
        return 1

    logger.log_request(
        {
            "_type": "vector_db",
            "operation": "search",
            "text": "sunny cities",
            "topK": 3,
            "databaseName": "pinecone",
        },
        retrieve,
        additional_headers={"Helicone-Session-Path": "/planner/retrieve"},
    )

    def explode(recorder: Any) -> None:
        msg = "the booking API is down"
        raise ConnectionError(msg)

    with pytest.raises(ConnectionError, match="booking API is down"):
        logger.log_request(
            {"_type": "tool", "toolName": "book_hotel", "input": {}},
            explode,
            additional_headers={"Helicone-Session-Path": "/planner/book"},
        )

    start = time.time()
    logger.send_log(
        "openai",
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Where?"}]},
        OPENAI_RESPONSE,
        {
            "start_time": start,
            "end_time": start + 0.8,
            "additional_headers": {"Helicone-Session-Path": "/planner/llm"},
        },
    )
    logger.send_log(
        "anthropic",
        {"model": "claude-3-5-haiku-latest", "messages": []},
        ANTHROPIC_RESPONSE,
        {
            "start_time": start + 1,
            "end_time": start + 1.5,
            "additional_headers": {"Helicone-Session-Path": "/planner/llm"},
        },
    )

    flaky = logger.log_builder(
        {"model": "local-model", "messages": []},
        {"Helicone-Session-Path": "/planner/flaky"},
    )
    try:
        msg = "model server timed out"
        raise TimeoutError(msg)
    except TimeoutError as exc:
        flaky.set_error(exc)
    asyncio.run(flaky.send_log())

    streamed = logger.log_builder(
        {"model": "local-model", "stream": True},
        {"Helicone-Session-Path": "/planner/stream"},
    )
    streamed.add_chunk({"choices": [{"delta": {"content": "Lis"}}]})
    streamed.add_chunk({"choices": [{"delta": {"content": "bon"}}]})
    asyncio.run(streamed.send_log())


def test_a_helicone_agent_run_is_grouped_into_one_session(
    helicone_collector: RunningCollector, client: httpx.Client
) -> None:
    """Six logged calls (the raising one is not logged) make one session with right totals."""
    session_id = f"trip-{uuid.uuid4()}"
    _log_agent_run(helicone_collector.url, session_id)

    [session] = _sessions(client, search=session_id)
    rows = _requests(client, _in_session(session_id), sort={"created_at": "asc"})
    assert session["session_id"] == session_id
    assert session["session_name"] == "Trip planner"
    assert session["total_requests"] == len(rows) == 6
    assert session["prompt_tokens"] == 1200 + 450
    assert session["completion_tokens"] == 80 + 30
    assert session["total_tokens"] == 1280 + 480
    assert session["status"] == "error"
    assert session["error_count"] == 1
    assert session["user_ids"] == ["alice"]

    openai_cost = compute_cost(
        "gpt-4o-mini-2024-07-18",
        "openai",
        Usage(input_tokens=1200, output_tokens=80, cache_read_tokens=1024, reasoning_tokens=0),
    )
    anthropic_cost = compute_cost(
        "claude-3-5-haiku-20241022",
        "anthropic",
        Usage(input_tokens=450, output_tokens=30, cache_read_tokens=400, cache_write_tokens=0),
    )
    assert openai_cost is not None
    assert anthropic_cost is not None
    assert session["total_cost"] == pytest.approx(openai_cost + anthropic_cost)
    assert sum(row["cost"] or 0 for row in rows) == pytest.approx(session["total_cost"])


def test_request_rows_carry_kinds_paths_and_helicone_properties(
    helicone_collector: RunningCollector, client: httpx.Client
) -> None:
    """Each row: kind and name, the Helicone-Session-* keys inside request_properties."""
    session_id = f"trip-{uuid.uuid4()}"
    _log_agent_run(helicone_collector.url, session_id)
    rows = _requests(client, _in_session(session_id), sort={"created_at": "asc"})
    by_path = {row["session_path"]: row for row in rows}
    assert set(by_path) == {
        "/planner/search",
        "/planner/retrieve",
        "/planner/llm",
        "/planner/flaky",
        "/planner/stream",
    }
    assert "/planner/book" not in by_path  # Helicone's helper logs nothing when it raises

    search = by_path["/planner/search"]
    assert (search["kind"], search["name"], search["response_status"]) == (
        "tool",
        "web_search",
        200,
    )
    assert search["request_properties"] == {
        "environment": "test",
        "tool-version": "2",
        "Helicone-Session-Id": session_id,
        "Helicone-Session-Path": "/planner/search",
        "Helicone-Session-Name": "Trip planner",
    }
    assert search["request_user_id"] == "alice"
    assert search["request_body"]["input"] == {"query": "sunny cities"}
    assert search["response_body"]["results"] == ["Lisbon", "Porto"]

    retrieve = by_path["/planner/retrieve"]
    assert (retrieve["kind"], retrieve["name"]) == ("vector_db", "pinecone")

    llm_rows = [row for row in rows if row["session_path"] == "/planner/llm"]
    assert [(row["provider"], row["model"]) for row in llm_rows] == [
        ("OPENAI", "gpt-4o-mini-2024-07-18"),
        ("ANTHROPIC", "claude-3-5-haiku-20241022"),
    ]
    assert [row["prompt_cache_read_tokens"] for row in llm_rows] == [1024, 400]
    assert llm_rows[0]["delay_ms"] == pytest.approx(800, abs=2)

    flaky = by_path["/planner/flaky"]
    assert (flaky["status"], flaky["response_status"]) == ("error", 500)
    assert flaky["error"] == {"type": "TimeoutError", "message": "model server timed out"}

    stream = by_path["/planner/stream"]
    assert stream["status"] == "ok"
    assert stream["time_to_first_token"] is not None
    assert stream["time_to_first_token"] >= 0


def test_request_filters_through_the_real_store(
    helicone_collector: RunningCollector, client: httpx.Client
) -> None:
    """Property, status, kind-like and session-total filters select the right rows."""
    session_id = f"trip-{uuid.uuid4()}"
    _log_agent_run(helicone_collector.url, session_id)
    in_session = _in_session(session_id)

    def both(node: object) -> dict[str, Any]:
        return {"left": in_session, "operator": "and", "right": node}

    errors = _requests(client, both({"request_response_rmt": {"status": {"gte": 400}}}))
    assert [row["session_path"] for row in errors] == ["/planner/flaky"]
    tool_v2 = _requests(
        client, both({"properties": {"tool-version": {"equals": "2"}}})
    )  # Helicone's legacy top-level properties table
    assert [row["name"] for row in tool_v2] == ["web_search"]
    anthropic = _requests(
        client, both({"request_response_rmt": {"provider": {"equals": "ANTHROPIC"}}})
    )
    assert [row["model"] for row in anthropic] == ["claude-3-5-haiku-20241022"]
    priced = _requests(client, both({"request_response_rmt": {"cost": {"gt": 0}}}))
    assert len(priced) == 2
    either = _requests(
        client,
        both(
            {
                "left": {"request_response_rmt": {"model": {"ilike": "%claude%"}}},
                "operator": "or",
                "right": {"request": {"model": {"equals": "gpt-4o-mini-2024-07-18"}}},
            }
        ),
    )
    assert len(either) == 2
    of_costly_sessions = _requests(
        client, both({"sessions_request_response_rmt": {"session_total_cost": {"gt": 0}}})
    )
    assert len(of_costly_sessions) == 6  # every request of a session that cost something
    counted = client.post("/v1/request/count/query", json={"filter": in_session})
    assert counted.json() == {"data": 6, "error": None}


def test_session_filters_select_whole_sessions(
    helicone_collector: RunningCollector, client: httpx.Client
) -> None:
    """nameEquals, user, property and session-total filters pick sessions; pages work."""
    tag = uuid.uuid4().hex[:8]
    big, small = f"big-{tag}", f"small-{tag}"
    _log_agent_run(helicone_collector.url, big)
    logger = HeliconeManualLogger(
        api_key="k",
        logging_endpoint=helicone_collector.url,
        headers={"Helicone-Session-Id": small, "Helicone-User-Id": "bob"},
    )
    logger.log_request({"_type": "tool", "toolName": "ping"}, lambda recorder: None)

    assert {row["session_id"] for row in _sessions(client, search=tag)} == {big, small}
    first_page = _sessions(client, search=tag, limit=1)
    second_page = _sessions(client, search=tag, limit=1, offset=1)
    assert [row["session_id"] for row in first_page + second_page] == [small, big]  # newest first
    costly = {"sessions_request_response_rmt": {"session_total_cost": {"gt": 0}}}
    assert [row["session_id"] for row in _sessions(client, search=tag, filter=costly)] == [big]
    bob = {"request_response_rmt": {"user_id": {"equals": "bob"}}}
    assert [row["session_id"] for row in _sessions(client, search=tag, filter=bob)] == [small]
    named = _sessions(client, search=tag, nameEquals="Trip planner")
    assert [row["session_id"] for row in named] == [big]
    assert _sessions(client, search=small)[0]["session_name"] == ""
    many = {"sessions_request_response_rmt": {"session_total_requests": {"gte": 6}}}
    assert [row["session_id"] for row in _sessions(client, search=tag, filter=many)] == [big]


def test_time_window_bounds_the_requests(client: httpx.Client, log_body: Any) -> None:
    """A session logged in 2021 is outside today's window and inside a 2021 window."""
    session_id = f"old-{uuid.uuid4()}"
    start = datetime(2021, 6, 1, 12, tzinfo=UTC).timestamp()
    body = log_body({"_type": "tool", "toolName": "t"}, {}, start=start, end=start + 1)
    response = client.post("/custom/v1/log", json=body, headers={"Helicone-Session-Id": session_id})
    assert response.status_code == 200
    assert _sessions(client, search=session_id) == []
    window = {"startTimeUnixMs": (start - 60) * 1000, "endTimeUnixMs": (start + 60) * 1000}
    [old] = _sessions(client, search=session_id, timeFilter=window)
    assert old["created_at"].startswith("2021-06-01")
