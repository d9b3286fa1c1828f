"""Score averages in metrics groups: request scores in their request's group, a session
score once in every group holding one of the session's matching requests; exact averages.

Written once against the `Store` interface; runs for SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agenttrace.records import Record
from agenttrace.server.store import Store, request_filter
from agenttrace.server.store.metrics import BucketUnit, Dimension, MetricsQuery
from agenttrace.server.store.scores import ScoreIn

PROJECT = "default"
DAY = datetime(2025, 3, 1, tzinfo=UTC)


def _record(record_id: str, session_id: str, start: datetime, **fields: Any) -> Record:
    return Record.model_validate(
        {"id": record_id, "session_id": session_id, "start_time": start.isoformat(),
         "end_time": (start + timedelta(milliseconds=10)).isoformat(), **fields}
    )  # fmt: skip


@pytest.fixture
def scored(store: Store) -> Store:
    """Session "mixed" (alice) uses two models across two days; session "plain" (bob) one
    model on day one; another project holds a session of the same id with its own score."""
    store.ingest(PROJECT, [
        _record("m1", "mixed", DAY + timedelta(hours=23), model="gpt-4o", user_id="alice"),
        _record("m2", "mixed", DAY + timedelta(hours=25), model="mini", user_id="alice"),
        _record("p1", "plain", DAY + timedelta(hours=1), model="gpt-4o", user_id="bob"),
    ])  # fmt: skip
    store.ingest("other", [_record("o1", "mixed", DAY, model="gpt-4o")])
    scores = store.score_store()
    for project, target, target_id, name, value in [
        (PROJECT, "session", "mixed", "thumbs", True),
        (PROJECT, "session", "mixed", "quality", 0.1),
        (PROJECT, "request", "m1", "quality", 0.2),
        (PROJECT, "request", "p1", "quality", 0.3),
        (PROJECT, "session", "plain", "thumbs", False),
        (PROJECT, "session", "plain", "label", "off-topic"),
        ("other", "session", "mixed", "thumbs", False),
        ("other", "session", "mixed", "quality", 99.0),
    ]:
        assert scores.add(project, target, target_id, ScoreIn(name=name, value=value))
    return store


def _scores(store: Store, *group_by: Any, **options: Any) -> dict[Any, dict[str, float]]:
    query = MetricsQuery(group_by=group_by, **options)
    result = store.query_metrics(PROJECT, query)
    return {
        (row.bucket_start, *row.key.values()) if row.bucket_start else tuple(row.key.values()):
        row.scores
        for row in result.groups
    }  # fmt: skip


def test_session_scores_count_in_the_whole_projects_average_exactly(scored: Store) -> None:
    """Ungrouped: every score once; 0.1, 0.2 and 0.3 average to exactly 0.2 (a float sum
    in order would give 0.20000000000000004); booleans are the share of true."""
    assert _scores(scored) == {(): {"quality": 0.2, "thumbs": 0.5}}


def test_a_session_score_counts_in_each_model_its_requests_used(scored: Store) -> None:
    """By model: the mixed session's scores count for gpt-4o and for mini, once each."""
    assert _scores(scored, Dimension.MODEL) == {
        ("gpt-4o",): {"quality": 0.2, "thumbs": 0.5},  # 0.1 (session), 0.2, 0.3 (requests)
        ("mini",): {"quality": 0.1, "thumbs": 1.0},  # the session's scores only
    }


def test_a_session_score_follows_its_requests_into_time_buckets(scored: Store) -> None:
    """By day (in the caller's zone): a session whose requests ran on two days counts on
    both; the bucket is the requests' start, not when the score was given."""
    by_day = _scores(scored, Dimension.TIME, bucket=BucketUnit.DAY)
    assert by_day == {
        (DAY,): {"quality": 0.2, "thumbs": 0.5},
        (DAY + timedelta(days=1),): {"quality": 0.1, "thumbs": 1.0},
    }
    # in UTC-3, 23:00 and 01:00 UTC of the next day fall on the same local day
    local = _scores(scored, Dimension.TIME, bucket=BucketUnit.DAY, tz="America/Sao_Paulo")
    assert sorted(scores["thumbs"] for scores in local.values()) == [0.0, 1.0]


def test_filters_decide_which_sessions_count(scored: Store) -> None:
    """A session counts where a matching request of it is: filtered to bob, alice's session
    scores are gone; by user, each session's scores go to its user."""
    bob = request_filter(user_id="bob")
    assert _scores(scored, filter=bob) == {(): {"quality": 0.3, "thumbs": 0.0}}
    assert _scores(scored, Dimension.USER) == {
        ("alice",): {"quality": 0.15000000000000002, "thumbs": 1.0},
        ("bob",): {"quality": 0.3, "thumbs": 0.0},
    }
    assert _scores(scored, filter=request_filter(since=DAY + timedelta(days=2))) == {}


def test_the_rollup_and_the_records_give_the_same_scores(scored: Store) -> None:
    """The rollup path (whole hours) and the plain scan read the scores alike."""
    for group_by in [(), (Dimension.MODEL,), (Dimension.TIME, Dimension.USER)]:
        fast = _scores(scored, *group_by, bucket=BucketUnit.DAY)
        slow = _scores(scored, *group_by, bucket=BucketUnit.DAY, use_rollup=False)
        assert fast == slow


def test_a_property_key_groups_session_scores_too(store: Store) -> None:
    """Grouped by a property: the session's score counts under each value its requests
    carry, and under "not set" when one of them has none."""
    store.ingest(PROJECT, [
        _record("a", "s", DAY, properties={"env": "prod"}),
        _record("b", "s", DAY + timedelta(minutes=1), properties={"env": "dev"}),
        _record("c", "s", DAY + timedelta(minutes=2)),
    ])  # fmt: skip
    assert store.score_store().add(PROJECT, "session", "s", ScoreIn(name="q", value=4))
    assert _scores(store, "env") == {
        ("dev",): {"q": 4.0},
        ("prod",): {"q": 4.0},
        (None,): {"q": 4.0},
    }
