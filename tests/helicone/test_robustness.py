"""Arbitrary input never crashes the Helicone mapping: it maps, or it is refused by name.

Property-based: random JSON for log bodies and random filter trees built from Helicone's
vocabulary; every filter that translates is run through a real SQLite store.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agenttrace.server.helicone import (
    HeliconeFilterError,
    HeliconeLogError,
    HeliconeQueryError,
    LogEndpoint,
    filter_from_helicone,
    record_from_log,
    session_query_from_body,
)
from agenttrace.server.store import Store
from agenttrace.server.store.base import RequestQuery, SessionQuery

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=12,
)
COLUMNS = st.sampled_from(
    [
        "model",
        "user_id",
        "provider",
        "cost",
        "latency",
        "status",
        "request_created_at",
        "session_total_cost",
        "session_session_name",
        "session_created_at",
        "properties",
        "prompt_tokens",
        "id",
        "created_at",
    ]
)
TABLES = st.sampled_from(
    [
        "request_response_rmt",
        "sessions_request_response_rmt",
        "request",
        "response",
        "properties",
        "feedback",
    ]
)
OPERATORS = st.sampled_from(
    ["equals", "not-equals", "contains", "like", "ilike", "gt", "gte", "lt", "lte", "in"]
)
VALUES = (
    JSON_SCALARS
    | st.sampled_from(["2024-05-01T12:00:00Z", "%gpt%", "ok", "0001-01-01T00:00:00+01:00"])
    | st.integers(min_value=-(10**30), max_value=10**30)
)
LEAVES = st.builds(
    lambda table, column, op, value: {table: {column: {op: value}}},
    TABLES,
    COLUMNS,
    OPERATORS,
    VALUES,
)
TREES = st.recursive(
    LEAVES | st.just("all") | JSON,
    lambda children: st.builds(
        lambda left, op, right: {"left": left, "operator": op, "right": right},
        children,
        st.sampled_from(["and", "or", "xor"]),
        children,
    ),
    max_leaves=6,
)


@given(body=JSON, headers=st.dictionaries(st.text(max_size=30), st.text(max_size=30)))
@settings(max_examples=100, deadline=None)
def test_random_json_bodies_map_or_are_refused(body: Any, headers: dict[str, str]) -> None:
    """Any JSON and any headers: a record or a HeliconeLogError, nothing else."""
    refusal = None
    try:
        record_from_log(body, headers, LogEndpoint.CUSTOM)
    except HeliconeLogError as exc:
        refusal = str(exc)
    assert refusal is None or refusal.strip()


LOG_PARTS = st.fixed_dictionaries(
    {
        "providerRequest": st.fixed_dictionaries(
            {"url": st.text(max_size=5) | JSON_SCALARS, "json": JSON, "meta": JSON}
        ),
        "providerResponse": st.fixed_dictionaries(
            {
                "json": JSON,
                "textBody": st.none() | st.text(max_size=30),
                "status": st.integers(-5, 600) | JSON_SCALARS,
                "headers": st.just({}) | JSON,
                "cost": st.none() | st.floats() | st.integers(),
            }
        ),
        "timing": st.none()
        | st.fixed_dictionaries(
            {
                "startTime": st.fixed_dictionaries(
                    {"seconds": st.integers(-10, 10**13) | JSON_SCALARS, "milliseconds": VALUES}
                )
                | st.text(max_size=25),
                "endTime": st.fixed_dictionaries(
                    {"seconds": st.integers(-10, 10**13), "milliseconds": st.integers(0, 999)}
                )
                | st.text(max_size=25),
                "timeToFirstToken": st.none() | st.floats() | st.integers(),
            }
        ),
    }
)


@given(body=LOG_PARTS)
@settings(max_examples=100, deadline=None)
def test_near_valid_log_bodies_map_or_are_refused(body: dict[str, Any]) -> None:
    """Log-shaped bodies with random parts: a record or a HeliconeLogError, nothing else."""
    refusal = None
    try:
        record = record_from_log(body, {"helicone-session-id": "s"}, LogEndpoint.OPENAI)
    except HeliconeLogError as exc:
        refusal = str(exc)
    else:
        json.dumps(record.model_dump(mode="json"))  # storable as JSON
    assert refusal is None or refusal.strip()


@given(tree=TREES)
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_random_filter_trees_translate_and_run_or_are_refused(store: Store, tree: Any) -> None:
    """A tree translates and runs on the store, or is refused with a message."""
    try:
        translated = filter_from_helicone(tree)
    except HeliconeFilterError as exc:
        refusal = str(exc)
    else:
        refusal = None
    if refusal is not None:
        assert re.match(r"filter\b", refusal)
        return
    assert store.query_requests("default", RequestQuery(filter=translated)).total == 0
    assert store.query_sessions("default", SessionQuery(filter=translated)).total == 0


@pytest.mark.parametrize(
    "body",
    [
        {"limit": 10**400},
        {"offset": 1e20},
        {"timeFilter": {"startTimeUnixMs": 0, "endTimeUnixMs": 10**400}},
        {"timezoneDifference": float("nan")},
    ],
)
def test_huge_and_odd_numbers_in_query_bodies_are_refused(body: dict[str, Any]) -> None:
    """Numbers no JSON client means are refused, not overflowed."""
    base = {
        "search": "",
        "timeFilter": {"startTimeUnixMs": 0, "endTimeUnixMs": 1},
        "timezoneDifference": 0,
        "filter": "all",
    }
    with pytest.raises(HeliconeQueryError):
        session_query_from_body({**base, **body})
