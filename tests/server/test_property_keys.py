"""``GET /v1/properties``: the project's custom property keys, the most used first, with
their most common values; bounded by ``limit`` and ``values``, scoped by project.

The store tests run for every backend in ``STORE_BACKENDS``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agenttrace.query import QueryClient
from agenttrace.records import Record
from agenttrace.server.store import InvalidQueryError, PropertyKey, PropertyValue, Store
from agenttrace.server.testing import RunningCollector

T0 = datetime(2026, 1, 5, tzinfo=UTC)

PROPERTIES = {  # session id -> the properties of each of its records
    "s1": [{"env": "prod", "team": "red"}],
    "s2": [{"env": "prod"}],
    "s3": [{"env": "dev"}],
    "s4": [{"env": "dev", "ticket": "t-4"}, {"env": "staging"}],  # one key, two values
}


def _records() -> list[Record]:
    return [
        Record(
            id=f"{session}-{i}",
            session_id=session,
            properties=properties,
            start_time=T0 + timedelta(seconds=i),
            end_time=T0 + timedelta(seconds=i + 1),
        )
        for session, each in PROPERTIES.items()
        for i, properties in enumerate(each)
    ]


def _value(value: str, sessions: int) -> PropertyValue:
    return PropertyValue(value=value, session_count=sessions)


def test_keys_by_use_with_their_top_values(store: Store) -> None:
    """Keys by sessions (ties by key), distinct values counted, top values by sessions."""
    store.ingest("default", _records())
    assert store.query_properties("default", limit=10, values=2) == [
        PropertyKey(key="env", session_count=4, value_count=3,
                    values=[_value("dev", 2), _value("prod", 2)]),
        PropertyKey(key="team", session_count=1, value_count=1, values=[_value("red", 1)]),
        PropertyKey(key="ticket", session_count=1, value_count=1, values=[_value("t-4", 1)]),
    ]  # fmt: skip


def test_limits_and_projects(store: Store) -> None:
    """``limit`` keys at most, ``values=0`` lists none, another project sees nothing."""
    store.ingest("default", _records())
    assert [row.key for row in store.query_properties("default", limit=2)] == ["env", "team"]
    assert all(row.values == [] for row in store.query_properties("default", values=0))
    assert store.query_properties("elsewhere") == []
    with pytest.raises(InvalidQueryError, match="limit >= 1"):
        store.query_properties("default", limit=0)


def test_the_endpoint_through_the_query_client(collector: RunningCollector) -> None:
    """QueryClient.properties reads the endpoint; out-of-range parameters are a 400."""
    collector.store.ingest("default", _records())
    with QueryClient(collector.url) as client:
        found = client.properties(limit=1, values=1)
        assert found.keys() == ["env"]
        assert found[0].values[0].value == "dev"
        assert found[0].value_count == 3
    with collector.client() as http:
        answer = http.get("/v1/properties", params={"limit": 0})
        assert answer.status_code == 400, answer.text
        assert "limit" in answer.json()["error"]
