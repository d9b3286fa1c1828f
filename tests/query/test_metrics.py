"""QueryClient.metrics / AsyncQueryClient.metrics and GET /v1/metrics on a real collector."""

from __future__ import annotations

import httpx
import pytest

from agenttrace.exceptions import QueryError
from agenttrace.query import AsyncQueryClient, MetricsResult, QueryClient


def test_metrics_by_model(collector_url: str) -> None:
    """Grouped by model: the seeded requests' counts, sessions, errors, tokens and costs."""
    with QueryClient(collector_url) as client:
        result = client.metrics("model")
    assert isinstance(result, MetricsResult)
    rows = {row.key["model"]: row for row in result}
    assert {key: row.requests for key, row in rows.items()} == {
        "gpt-4o-mini": 2,
        "gpt-4o": 1,
        "claude-3-5-sonnet": 2,
        None: 9,
    }
    mini = rows["gpt-4o-mini"]
    assert (mini.sessions, mini.errors, mini.input_tokens, mini.output_tokens) == (1, 0, 300, 70)
    assert mini.cost_usd == pytest.approx(0.0042)
    assert mini.ttft_p50_ms == pytest.approx(120)
    assert rows["gpt-4o"].error_rate == 1.0
    assert rows[None].cost_usd is None
    assert result[0].key["model"] == "claude-3-5-sonnet"  # costliest first


def test_metrics_by_hour_in_a_zone_with_filters(collector_url: str) -> None:
    """Hour buckets in the caller's zone, narrowed by the session list's filters."""
    with QueryClient(collector_url) as client:
        result = client.metrics(["time"], bucket="hour", tz="Europe/Lisbon", name="planner")
        prod = client.metrics("time,provider", bucket="day", properties={"env": "prod"})
    starts = [(row.bucket_start.isoformat(), row.requests) for row in result if row.bucket_start]
    assert starts == [("2025-03-01T12:00:00+00:00", 3), ("2025-03-01T13:00:00+00:00", 2)]
    assert result.bucket == "hour"
    by_provider = {row.key["provider"]: row.requests for row in prod}
    assert by_provider == {"openai": 2, "anthropic": 2, None: 1}


def test_bad_parameters_are_400_with_a_sentence(collector_url: str) -> None:
    """A bad group key, zone or too many buckets get a 400 saying what to send instead."""
    with QueryClient(collector_url) as client:
        with pytest.raises(QueryError, match="property:<key>") as bad_key:
            client.metrics("colour")
        assert bad_key.value.status_code == 400
        with pytest.raises(QueryError, match="IANA"):
            client.metrics("time", tz="Nowhere/Special")
        with pytest.raises(QueryError, match="minute buckets"):
            client.metrics("time", bucket="minute", since="2025-01-01", until="2025-03-01")
    answer = httpx.get(f"{collector_url}/v1/metrics", params={"bucket": "week"})
    assert answer.status_code == 400
    assert "bucket" in answer.json()["error"]


def test_metrics_is_in_the_openapi_document(collector_url: str) -> None:
    """GET /v1/metrics is described in /openapi.json with its parameters."""
    spec = httpx.get(f"{collector_url}/openapi.json").json()
    parameters = {p["name"] for p in spec["paths"]["/v1/metrics"]["get"]["parameters"]}
    assert {"group_by", "bucket", "tz", "since", "until", "property", "min_cost"} <= parameters


async def test_async_metrics(collector_url: str) -> None:
    """The async client answers the same metrics."""
    async with AsyncQueryClient(collector_url) as client:
        result = await client.metrics("status", kind="llm")
    assert {row.key["status"]: row.requests for row in result} == {
        "ok": 3,
        "error": 1,
        "interrupted": 1,
    }
