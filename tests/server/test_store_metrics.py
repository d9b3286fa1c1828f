"""Metrics over time at the store: groups, figures, filters, limits, local-time buckets.

Written once against the `Store` interface; runs for SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agenttrace.records import Record
from agenttrace.server.store import InvalidQueryError, Store, request_filter
from agenttrace.server.store._histogram import RELATIVE_ERROR
from agenttrace.server.store.metrics import (
    BucketUnit,
    Dimension,
    MetricsQuery,
    parse_group_by,
)

PROJECT = "default"
DAY = datetime(2025, 3, 1, tzinfo=UTC)


def _record(record_id: str, start: datetime, latency_ms: float | None, **fields: Any) -> Record:
    values: dict[str, Any] = {
        "id": record_id,
        "session_id": fields.pop("session_id", "s-1"),
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(milliseconds=latency_ms)).isoformat()
        if latency_ms is not None
        else None,
    }
    values.update(fields)
    return Record.model_validate(values)


@pytest.fixture
def loaded(store: Store) -> Store:
    """Two hours of requests over two models, two sessions and an env property."""
    records = [
        _record("a1", DAY + timedelta(minutes=5), 100, model="m-a", provider="p", cost_usd=0.01,
                usage={"input_tokens": 100, "output_tokens": 10, "cache_read_tokens": 40,
                       "reasoning_tokens": 3},
                time_to_first_token_ms=20, properties={"env": "prod"}),
        _record("a2", DAY + timedelta(minutes=10), 200, model="m-a", provider="p", cost_usd=0.02,
                usage={"input_tokens": 100, "output_tokens": 10}, status="error",
                time_to_first_token_ms=40, properties={"env": "dev"}),
        _record("a3", DAY + timedelta(minutes=70), 400, model="m-a", provider="p",
                session_id="s-2", usage={"input_tokens": 50, "output_tokens": 5}),
        _record("b1", DAY + timedelta(minutes=20), 1000, model="m-b", provider="q",
                cost_usd=0.5, session_id="s-2", user_id="u1", properties={"env": "prod"}),
        _record("b2", DAY + timedelta(minutes=80), None, model="m-b", provider="q",
                session_id="s-2", kind="tool"),
    ]  # fmt: skip
    store.ingest(PROJECT, records)
    store.ingest("other-project", [_record("x", DAY, 5, model="m-a")])
    return store


def _by_key(result: Any, name: str) -> dict[Any, Any]:
    return {row.key[name]: row for row in result.groups}


def test_group_by_model_gives_every_figure(loaded: Store) -> None:
    """Grouped by model: counts, sessions, errors, tokens, cache hit rate, cost, percentiles."""
    result = loaded.query_metrics(PROJECT, MetricsQuery(group_by=(Dimension.MODEL,)))
    rows = _by_key(result, "model")
    assert set(rows) == {"m-a", "m-b"}
    a = rows["m-a"]
    assert (a.requests, a.sessions, a.errors) == (3, 2, 1)
    assert a.error_rate == pytest.approx(1 / 3)
    assert (a.input_tokens, a.output_tokens, a.cache_read_tokens, a.reasoning_tokens) == (
        250,
        25,
        40,
        3,
    )
    assert a.cache_hit_rate == pytest.approx(40 / 250)
    assert a.cost_usd == pytest.approx(0.03)
    assert a.mean_latency_ms == pytest.approx(700 / 3)
    assert a.latency_p50_ms == pytest.approx(200, rel=RELATIVE_ERROR)
    assert a.latency_p99_ms == pytest.approx(400, rel=RELATIVE_ERROR)
    assert a.ttft_p50_ms is not None
    assert 20 <= a.ttft_p50_ms <= 40
    b = rows["m-b"]
    assert (b.requests, b.sessions, b.cost_usd, b.cache_hit_rate) == (2, 1, 0.5, None)
    assert b.latency_p50_ms == b.latency_p95_ms == pytest.approx(1000)  # one value: exact
    assert b.ttft_p50_ms is None
    assert result.group_by == ["model"]
    assert result.bucket is None


def test_hour_buckets_times_model(loaded: Store) -> None:
    """Hour buckets x model: each group starts on its hour and ends an hour later."""
    query = MetricsQuery(group_by=(Dimension.TIME, Dimension.MODEL), bucket=BucketUnit.HOUR)
    result = loaded.query_metrics(PROJECT, query)
    seen = {(row.bucket_start, row.key["model"]): row.requests for row in result.groups}
    hour = DAY + timedelta(hours=1)
    assert seen == {(DAY, "m-a"): 2, (DAY, "m-b"): 1, (hour, "m-a"): 1, (hour, "m-b"): 1}
    first = result.groups[0]
    assert first.bucket_end is not None
    assert first.bucket_start is not None
    assert first.bucket_end - first.bucket_start == timedelta(hours=1)
    assert result.groups[0].key["model"] == "m-b"  # within a bucket: the costliest first


def test_group_by_property_and_filters(loaded: Store) -> None:
    """A property key groups (unset is null); the request filters narrow the requests."""
    query = MetricsQuery(group_by=parse_group_by(["property:env"]))
    rows = _by_key(loaded.query_metrics(PROJECT, query), "property:env")
    assert {key: row.requests for key, row in rows.items()} == {"prod": 2, "dev": 1, None: 2}
    narrowed = MetricsQuery(
        filter=request_filter(model="m-a", properties=[("env", "prod")]),
        group_by=(Dimension.STATUS, Dimension.KIND, Dimension.USER),
    )
    (row,) = loaded.query_metrics(PROJECT, narrowed).groups
    assert row.key == {"status": "ok", "kind": "custom", "user": None}
    assert row.requests == 1


def test_other_projects_are_not_counted(loaded: Store) -> None:
    """Only the asking project's requests count."""
    (row,) = loaded.query_metrics("other-project", MetricsQuery()).groups
    assert row.requests == 1
    (mine,) = loaded.query_metrics(PROJECT, MetricsQuery()).groups
    assert mine.requests == 5


def test_too_many_groups_is_refused(loaded: Store) -> None:
    """Past the group limit the query fails with a sentence, before and while scanning."""
    with pytest.raises(InvalidQueryError, match="more than 2 groups"):
        loaded.query_metrics(
            PROJECT, MetricsQuery(group_by=(Dimension.TIME, Dimension.MODEL), max_groups=2)
        )
    with pytest.raises(InvalidQueryError, match="minute buckets"):
        loaded.query_metrics(
            PROJECT,
            MetricsQuery(
                group_by=(Dimension.TIME,),
                bucket=BucketUnit.MINUTE,
                since=DAY - timedelta(days=30),
                until=DAY,
            ),
        )


def test_bad_group_by_and_zone_say_what_to_use() -> None:
    """Unknown group keys and time zones are refused naming the valid ones."""
    with pytest.raises(InvalidQueryError, match="property:<key>"):
        parse_group_by(["colour"])
    assert parse_group_by(["time,model", "model", "property:env"]) == (
        Dimension.TIME,
        Dimension.MODEL,
        "env",
    )


def test_day_buckets_follow_dst_in_the_callers_zone(store: Store) -> None:
    """Lisbon day buckets: the spring-change day is 23 hours, each starts at local midnight."""
    records = [
        _record("d1", datetime(2025, 3, 29, 23, 30, tzinfo=UTC), 10),  # 23:30 WET, day 29
        _record("d2", datetime(2025, 3, 30, 0, 30, tzinfo=UTC), 10),  # 00:30 WET, day 30
        _record("d3", datetime(2025, 3, 30, 22, 59, tzinfo=UTC), 10),  # 23:59 WEST, day 30
        _record("d4", datetime(2025, 3, 30, 23, 0, tzinfo=UTC), 10),  # 00:00 WEST, day 31
        _record("d5", datetime(2025, 10, 26, 23, 30, tzinfo=UTC), 10),  # 23:30 WET, day 26
    ]
    store.ingest(PROJECT, records)
    query = MetricsQuery(group_by=(Dimension.TIME,), bucket=BucketUnit.DAY, tz="Europe/Lisbon")
    result = store.query_metrics(PROJECT, query)
    got = [
        (row.bucket_start.isoformat(), row.bucket_end.isoformat(), row.requests)
        for row in result.groups
        if row.bucket_start is not None and row.bucket_end is not None
    ]
    assert got == [
        ("2025-03-29T00:00:00+00:00", "2025-03-30T00:00:00+00:00", 1),
        ("2025-03-30T00:00:00+00:00", "2025-03-31T00:00:00+01:00", 2),
        ("2025-03-31T00:00:00+01:00", "2025-04-01T00:00:00+01:00", 1),
        ("2025-10-26T00:00:00+01:00", "2025-10-27T00:00:00+00:00", 1),
    ]
    with pytest.raises(InvalidQueryError, match="IANA"):
        store.query_metrics(PROJECT, MetricsQuery(group_by=(Dimension.TIME,), tz="Mars/Base"))


def test_hour_buckets_in_a_half_hour_zone(store: Store) -> None:
    """Kolkata (+05:30) hour buckets start at local full hours, not UTC ones."""
    store.ingest(
        PROJECT,
        [
            _record("k1", datetime(2025, 3, 1, 10, 20, tzinfo=UTC), 5),  # 15:50 IST
            _record("k2", datetime(2025, 3, 1, 10, 40, tzinfo=UTC), 5),  # 16:10 IST
        ],
    )
    query = MetricsQuery(group_by=(Dimension.TIME,), bucket=BucketUnit.HOUR, tz="Asia/Kolkata")
    starts = [row.bucket_start for row in store.query_metrics(PROJECT, query).groups]
    assert [s.isoformat() for s in starts if s is not None] == [
        "2025-03-01T15:00:00+05:30",
        "2025-03-01T16:00:00+05:30",
    ]
