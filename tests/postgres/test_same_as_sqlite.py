"""The PostgreSQL store answers exactly what the SQLite store answers, on the same data.

A seeded generator builds a few hundred records over a few dozen sessions with the awkward
cases (mixed-case and non-ASCII names, missing names, costs, ends and usage, several values
of one property, errors, deep paths, bodies), ingests them into both stores in the same
batches (duplicates included), and compares every Store method's answer for many queries:
filters of each kind, every sort both ways, pages. Equality is exact, floats included
(percentiles come from ``percentile_cont`` on PostgreSQL and from Python on SQLite).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agenttrace.records import Record, RecordKind, Status
from agenttrace.server.store import (
    PathQuery,
    RequestQuery,
    SessionQuery,
    SessionSort,
    SQLiteStore,
    Store,
    path_filter,
    request_filter,
    session_filter,
)
from agenttrace.server.store.filters import And, Cmp, Field, Op, Or, Property, SortOrder
from agenttrace.server.store.postgres import PostgresStore

pytestmark = pytest.mark.postgres

PROJECT = "default"
NAMES = ["checkout", "Checkout flow", "CHECKOUT", "Ünïcode ü", "search", "a_b%c", "", None]
PATHS = ["/", "/agent", "/agent/tools/search", "/tools/search", "/researcher/agent", "/Z", "/é"]


def _records(seed: int, t0: Any) -> list[Record]:
    rng = random.Random(seed)
    records = []
    for index in range(240):
        session = f"s-{rng.randint(0, 29):02d}{'É' if index % 17 == 0 else ''}"
        start = t0 + timedelta(milliseconds=rng.randint(0, 600_000))
        ended = rng.random() < 0.85
        latency = rng.choice([0, 1, 7, 250, 999, 1000, rng.randint(1, 90_000)])
        status = rng.choice(list(Status))
        usage = None
        if rng.random() < 0.6:
            usage = {
                "input_tokens": rng.randint(0, 5000),
                "output_tokens": rng.randint(0, 800),
                "cache_read_tokens": rng.choice([None, rng.randint(0, 100)]),
            }
        records.append(
            Record.model_validate(
                {
                    "id": f"r-{index:04d}",
                    "session_id": session,
                    "session_name": rng.choice(NAMES),
                    "session_path": rng.choice(PATHS),
                    "kind": rng.choice(list(RecordKind)),
                    "name": rng.choice(["plan", "search", "Writé"]),
                    "model": rng.choice([None, "gpt-4o", "claude-3-5-sonnet", "GPT-4o-mini"]),
                    "provider": rng.choice([None, "openai", "anthropic"]),
                    "user_id": rng.choice([None, "u1", "u2", "U1", "ü"]),
                    "properties": {
                        k: v
                        for k, v in {
                            "env": rng.choice(["prod", "dev", "staging", None]),
                            "customer": rng.choice([f"c{rng.randint(0, 4)}", None]),
                            "Team": rng.choice(["a", "B", None]),
                        }.items()
                        if v is not None
                    },
                    "start_time": start,
                    "end_time": start + timedelta(milliseconds=latency) if ended else None,
                    "time_to_first_token_ms": rng.choice([None, 12.5]),
                    "status": status,
                    "error": {"type": "ValueError", "message": "bad ü"}
                    if status is Status.ERROR
                    else None,
                    "usage": usage,
                    "cost_usd": rng.choice([None, 0.1, 0.2, 0.3, 1e-7, rng.random()]),
                    "attempt": rng.choice([1, 1, 2]),
                    "request": rng.choice([None, {"messages": [{"content": "ünï ✓"}]}]),
                    "response": rng.choice([None, "text", [1, 2.5, None]]),
                }
            )
        )
    return records


@pytest.fixture
def both(
    pg_store: PostgresStore, tmp_path: Path, rec: Callable[..., Record]
) -> Iterator[tuple[Store, Store]]:
    """A SQLite store and a PostgreSQL store holding the same records, ingested alike."""
    sqlite = SQLiteStore(tmp_path / "same.db")
    t0 = rec("x").start_time
    records = _records(7, t0)
    batches = [records[:100], records[60:180], records[170:], records[:30]]  # overlaps
    for batch in batches:
        assert sqlite.ingest(PROJECT, batch) == pg_store.ingest(PROJECT, batch)
    yield sqlite, pg_store
    sqlite.close()


def _dump(value: Any) -> Any:
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return value.model_dump() if value is not None else None


def _session_queries(t0: Any) -> list[SessionQuery]:
    filters: list[Any] = [
        None,
        session_filter(name="checkout"),
        session_filter(search="CHECK"),
        session_filter(search="ü"),
        session_filter(search="_b%"),
        session_filter(user_id="u1"),
        session_filter(status="error"),
        session_filter(status="ok"),
        session_filter(since=t0 + timedelta(minutes=2), until=t0 + timedelta(minutes=7)),
        session_filter(properties=[("env", "prod")]),
        session_filter(properties=[("env", "prod"), ("customer", "c1")]),
        session_filter(min_cost=0.3, max_cost=1.5),
        Cmp(Field.MODEL, Op.CONTAINS, "gpt"),
        Cmp(Property("Team"), Op.IN, ("a", "B")),
        Cmp(Property("env"), Op.NEQ, "prod"),
        Cmp(Field.LATENCY_MS, Op.GTE, 999),
        Or((Cmp(Field.SESSION_TOTAL_COST, Op.GT, 1), Cmp(Field.KIND, Op.EQ, "tool"))),
        And((Cmp(Field.SESSION_REQUEST_COUNT, Op.GTE, 8), Cmp(Field.STATUS, Op.EQ, "ok"))),
    ]
    queries = [SessionQuery(filter=node, limit=1000) for node in filters]
    for sort in SessionSort:
        for order in SortOrder:
            queries.append(SessionQuery(sort=sort, order=order, limit=1000, score_name="q"))
            queries.append(SessionQuery(sort=sort, order=order, limit=7, offset=5, score_name="q"))
            queries.append(
                SessionQuery(
                    filter=filters[9], sort=sort, order=order, limit=4, offset=2, score_name="q"
                )
            )
    return queries


def test_sessions_match(both: tuple[Store, Store], rec: Callable[..., Record]) -> None:
    """query_sessions: every filter and sort, both ways, paged: identical pages and totals."""
    sqlite, postgres = both
    for query in _session_queries(rec("x").start_time):
        expected = sqlite.query_sessions(PROJECT, query)
        assert postgres.query_sessions(PROJECT, query).model_dump() == expected.model_dump(), query


def test_session_details_match(both: tuple[Store, Store]) -> None:
    """get_session with and without bodies: identical rows, paths, trees and requests."""
    sqlite, postgres = both
    ids = [
        row.session_id for row in sqlite.query_sessions(PROJECT, SessionQuery(limit=100)).sessions
    ]
    assert len(ids) > 30  # 30 plain ids and some with a non-ASCII suffix
    for session_id in [*ids, "unknown"]:
        for include_bodies in (False, True):
            expected = sqlite.get_session(PROJECT, session_id, include_bodies=include_bodies)
            got = postgres.get_session(PROJECT, session_id, include_bodies=include_bodies)
            assert _dump(got) == _dump(expected), session_id


def test_requests_and_paths_match(both: tuple[Store, Store], rec: Callable[..., Record]) -> None:
    """query_requests, get_request and query_paths: identical answers for each filter."""
    sqlite, postgres = both
    t0 = rec("x").start_time
    filters = [
        None,
        request_filter(session_id="s-03"),
        request_filter(path="agent/tools/search/", kind=RecordKind.TOOL),
        request_filter(status=Status.ERROR, model="gpt-4o"),
        request_filter(user_id="U1", properties=[("Team", "B")]),
        request_filter(since=t0 + timedelta(minutes=1), until=t0 + timedelta(minutes=3)),
        path_filter(session_name="Ünïcode ü"),
        Cmp(Field.SESSION_STATUS, Op.EQ, "error"),
        Cmp(Field.NAME, Op.CONTAINS, "WRIT"),
    ]
    for node in filters:
        for order in SortOrder:
            for include_bodies in (False, True):
                query = RequestQuery(
                    filter=node, order=order, limit=37, include_bodies=include_bodies
                )
                expected = sqlite.query_requests(PROJECT, query)
                assert postgres.query_requests(PROJECT, query) == expected, query
        expected_paths = sqlite.query_paths(PROJECT, PathQuery(filter=node))
        assert _dump(postgres.query_paths(PROJECT, PathQuery(filter=node))) == _dump(
            expected_paths
        ), node
    for request_id in ["r-0000", "r-0117", "r-0239", "missing"]:
        assert _dump(postgres.get_request(PROJECT, request_id)) == _dump(
            sqlite.get_request(PROJECT, request_id)
        )


def test_metrics_score_averages_match(
    both: tuple[Store, Store], rec: Callable[..., Record]
) -> None:
    """Scores on requests and sessions (numbers whose float sums depend on the order, and
    booleans): every group's averages are identical on both stores, for each group-by."""
    from agenttrace.server.store.metrics import BucketUnit, Dimension, MetricsQuery
    from agenttrace.server.store.scores import ScoreIn

    rng = random.Random(11)
    for index in range(300):
        if rng.random() < 0.5:
            target, target_id = "session", f"s-{rng.randint(0, 29):02d}"
        else:
            target, target_id = "request", f"r-{rng.randint(0, 239):04d}"
        value: Any = rng.choice([True, False, 0.1, 0.2, 0.3, 1 / 3, rng.random(), 7, "text"])
        score = ScoreIn(name=rng.choice(["quality", "thumbs", "a b/c"]), value=value)
        added = [store.score_store().add(PROJECT, target, target_id, score) for store in both]
        assert (added[0] is None) == (added[1] is None), (index, target_id)
    t0 = rec("x").start_time
    group_bys: list[tuple[Any, ...]] = [
        (), (Dimension.MODEL,), (Dimension.USER,), (Dimension.SESSION_NAME,), (Dimension.PATH,),
        (Dimension.STATUS,), ("env",), (Dimension.TIME, Dimension.MODEL), (Dimension.TIME,),
    ]  # fmt: skip
    filters = [None, request_filter(user_id="u1"), request_filter(since=t0 + timedelta(minutes=4))]
    checked = 0
    for group_by in group_bys:
        for node in filters:
            for use_rollup in (True, False):
                query = MetricsQuery(
                    filter=node, group_by=group_by, bucket=BucketUnit.MINUTE, use_rollup=use_rollup
                )
                answers = [
                    [(g.bucket_start, g.key, g.requests, g.sessions, g.scores)
                     for g in store.query_metrics(PROJECT, query).groups]
                    for store in both
                ]  # fmt: skip
                assert answers[0] == answers[1], query
                checked += sum(1 for group in answers[0] if group[4])
    assert checked > 100  # many scored groups were compared
