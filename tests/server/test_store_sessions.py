"""Store contract, session queries: every filter, every sort, paging, the filter AST.

Written once against the `Store` interface; runs for every backend in ``STORE_BACKENDS``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agenttrace.records import Record
from agenttrace.server.store import (
    InvalidQueryError,
    SessionQuery,
    SessionSort,
    Store,
    session_filter,
)
from agenttrace.server.store.filters import And, Cmp, Field, Op, Or, Property, SortOrder

PROJECT = "default"
T0 = datetime(2025, 3, 1, 10, 0, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _rec(rid: str, sid: str, start_s: float, latency_ms: float | None, **fields: Any) -> Record:
    start = _at(start_s)
    end = start + timedelta(milliseconds=latency_ms) if latency_ms is not None else None
    return Record.model_validate(
        {"id": rid, "session_id": sid, "start_time": start, "end_time": end, **fields}
    )


@pytest.fixture
def four_sessions(store: Store) -> Store:
    """alpha-1, alpha-2, beta-1 and gamma, created 10 s apart (see the table below).

    | id      | name          | users | env           | customer | cost | status | p50 ms |
    | alpha-1 | checkout      | u1    | prod          | c1       | 1.0  | ok     | 150    |
    | alpha-2 | Checkout flow | u2    | dev           | c1       | 3.0  | error  | 500    |
    | beta-1  | search        | u1    | prod          | c2       | null | ok     | 40     |
    | gamma   | null          | -     | prod, staging | -        | 0.5  | ok     | null   |
    """
    store.ingest(
        PROJECT,
        [
            _rec("a1-1", "alpha-1", 0, 100, session_name="checkout", user_id="u1",
                 properties={"env": "prod", "customer": "c1"}, cost_usd=0.4, model="gpt-4o"),
            _rec("a1-2", "alpha-1", 1, 200, user_id="u1", properties={"env": "prod"},
                 cost_usd=0.6, usage={"input_tokens": 10, "output_tokens": 5}),
            _rec("a2-1", "alpha-2", 10, 500, session_name="Checkout flow", user_id="u2",
                 properties={"env": "dev", "customer": "c1"}, cost_usd=3.0, status="error",
                 model="claude-3-5-sonnet"),
            _rec("b1-1", "beta-1", 20, 40, session_name="search", user_id="u1",
                 properties={"env": "prod", "customer": "c2"},
                 usage={"input_tokens": 1000, "output_tokens": 1}),
            _rec("g-1", "gamma", 30, None, properties={"env": "prod"}, cost_usd=0.5),
            _rec("g-2", "gamma", 31, None, properties={"env": "staging"}),
        ],
    )  # fmt: skip
    return store


def _ids(store: Store, **kwargs: Any) -> list[str]:
    query_keys = {"sort", "order", "limit", "offset"}
    query = {k: v for k, v in kwargs.items() if k in query_keys}
    flt = {k: v for k, v in kwargs.items() if k not in query_keys and k != "filter"}
    node = kwargs.get("filter", session_filter(**flt))
    page = store.query_sessions(PROJECT, SessionQuery(filter=node, **query))
    return [row.session_id for row in page.sessions]


def test_default_is_newest_first_with_total(four_sessions: Store) -> None:
    """No filter: every session, newest created first, total counted."""
    page = four_sessions.query_sessions(PROJECT, SessionQuery())
    assert [r.session_id for r in page.sessions] == ["gamma", "beta-1", "alpha-2", "alpha-1"]
    assert (page.total, page.limit, page.offset) == (4, 50, 0)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"name": "checkout"}, {"alpha-1"}),
        ({"search": "CHECK"}, {"alpha-1", "alpha-2"}),
        ({"search": "alpha"}, {"alpha-1", "alpha-2"}),
        ({"search": "%"}, set()),
        ({"search": "_"}, set()),
        ({"user_id": "u1"}, {"alpha-1", "beta-1"}),
        ({"status": "error"}, {"alpha-2"}),
        ({"status": "ok"}, {"alpha-1", "beta-1", "gamma"}),
        ({"since": _at(10)}, {"alpha-2", "beta-1", "gamma"}),
        ({"until": _at(10)}, {"alpha-1", "alpha-2"}),
        ({"since": _at(5), "until": _at(25)}, {"alpha-2", "beta-1"}),
        ({"properties": [("env", "prod")]}, {"alpha-1", "beta-1", "gamma"}),
        ({"properties": [("env", "staging")]}, {"gamma"}),
        ({"properties": [("env", "prod"), ("customer", "c1")]}, {"alpha-1"}),
        ({"properties": [("customer", "nobody")]}, set()),
        ({"min_cost": 1.0}, {"alpha-1", "alpha-2"}),
        ({"max_cost": 0.5}, {"gamma"}),
        ({"min_cost": 0.5, "max_cost": 1.0, "user_id": "u1"}, {"alpha-1"}),
    ],
)
def test_each_filter(four_sessions: Store, filters: dict[str, Any], expected: set[str]) -> None:
    """Each native session filter keeps exactly the sessions it describes."""
    assert set(_ids(four_sessions, **filters)) == expected


def test_properties_show_the_earliest_value(four_sessions: Store) -> None:
    """A key set to several values in a session shows the one of its earliest request."""
    only_gamma = session_filter(properties=[("env", "staging")])
    page = four_sessions.query_sessions(PROJECT, SessionQuery(filter=only_gamma))
    assert page.sessions[0].properties == {"env": "prod"}


@pytest.mark.parametrize(
    ("sort", "ascending"),
    [
        (SessionSort.SESSION_ID, ["alpha-1", "alpha-2", "beta-1", "gamma"]),
        (SessionSort.SESSION_NAME, ["alpha-2", "alpha-1", "beta-1", "gamma"]),
        (SessionSort.START_TIME, ["alpha-1", "alpha-2", "beta-1", "gamma"]),
        (SessionSort.LAST_START_TIME, ["alpha-1", "alpha-2", "beta-1", "gamma"]),
        (SessionSort.COST_USD, ["gamma", "alpha-1", "alpha-2", "beta-1"]),
        (SessionSort.REQUEST_COUNT, ["alpha-2", "beta-1", "alpha-1", "gamma"]),
        (SessionSort.INPUT_TOKENS, ["alpha-2", "gamma", "alpha-1", "beta-1"]),
        (SessionSort.OUTPUT_TOKENS, ["alpha-2", "gamma", "beta-1", "alpha-1"]),
        (SessionSort.TOTAL_TOKENS, ["alpha-2", "gamma", "alpha-1", "beta-1"]),
        (SessionSort.MEAN_LATENCY_MS, ["beta-1", "alpha-1", "alpha-2", "gamma"]),
        (SessionSort.ERROR_COUNT, ["alpha-1", "beta-1", "gamma", "alpha-2"]),
        (SessionSort.STATUS, ["alpha-2", "alpha-1", "beta-1", "gamma"]),
        (SessionSort.DURATION_MS, ["beta-1", "alpha-2", "gamma", "alpha-1"]),
        (SessionSort.P50_LATENCY_MS, ["beta-1", "alpha-1", "alpha-2", "gamma"]),
        (SessionSort.P95_LATENCY_MS, ["beta-1", "alpha-1", "alpha-2", "gamma"]),
    ],
)
def test_every_sort_column_both_ways(
    four_sessions: Store, sort: SessionSort, ascending: list[str]
) -> None:
    """Each SessionRow column sorts both ways; ties by id; nulls last either way."""
    assert _ids(four_sessions, sort=sort, order=SortOrder.ASC) == ascending
    got = _ids(four_sessions, sort=sort, order=SortOrder.DESC)
    nulls = {
        SessionSort.SESSION_NAME: 1,
        SessionSort.COST_USD: 1,
        SessionSort.MEAN_LATENCY_MS: 1,
        SessionSort.P50_LATENCY_MS: 1,
        SessionSort.P95_LATENCY_MS: 1,
    }.get(sort, 0)
    present, missing = ascending[: len(ascending) - nulls], ascending[len(ascending) - nulls :]
    # Reversing keeps groups of equal keys in id-descending order, as the store does.
    rows = four_sessions.query_sessions(PROJECT, SessionQuery(sort=sort, order=SortOrder.ASC))
    key = {r.session_id: r.model_dump()[sort.value] for r in rows.sessions}
    expected_desc = sorted(present, key=lambda s: (key[s], s), reverse=True) + missing[::-1]
    assert got == expected_desc


def test_paging_keeps_the_total(four_sessions: Store) -> None:
    """limit and offset cut the page; total counts every match."""
    page = four_sessions.query_sessions(PROJECT, SessionQuery(limit=2, offset=1))
    assert [r.session_id for r in page.sessions] == ["beta-1", "alpha-2"]
    assert (page.total, page.limit, page.offset) == (4, 2, 1)
    beyond = four_sessions.query_sessions(PROJECT, SessionQuery(limit=2, offset=10))
    assert (beyond.sessions, beyond.total) == ([], 4)


def test_percentile_sort_pages_too(four_sessions: Store) -> None:
    """Sorting by p95 pages over all matching sessions, with the total."""
    page = four_sessions.query_sessions(
        PROJECT, SessionQuery(sort=SessionSort.P95_LATENCY_MS, limit=2, offset=1)
    )
    # p95 descending: alpha-2 (500), alpha-1 (195), beta-1 (40), gamma (none: last)
    assert [r.session_id for r in page.sessions] == ["alpha-1", "beta-1"]
    assert page.total == 4


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (Cmp(Field.MODEL, Op.EQ, "gpt-4o"), {"alpha-1"}),
        (Cmp(Field.MODEL, Op.CONTAINS, "CLAUDE"), {"alpha-2"}),
        (Cmp(Field.MODEL, Op.NEQ, "gpt-4o"), {"alpha-2"}),  # null models never match
        (Cmp(Field.USER_ID, Op.IN, ("u2", "u9")), {"alpha-2"}),
        (Cmp(Field.USER_ID, Op.IN, ()), set()),
        (Cmp(Property("env"), Op.NEQ, "prod"), {"alpha-2", "gamma"}),
        (Cmp(Property("customer"), Op.IN, ("c2",)), {"beta-1"}),
        (Cmp(Field.COST, Op.GTE, 0.6), {"alpha-1", "alpha-2"}),
        (Cmp(Field.LATENCY_MS, Op.LT, 100), {"beta-1"}),
        (Cmp(Field.CREATED_AT, Op.GT, _at(30.5)), {"gamma"}),
        (Cmp(Field.SESSION_REQUEST_COUNT, Op.EQ, 2), {"alpha-1", "gamma"}),
        (Cmp(Field.SESSION_LATEST_AT, Op.GTE, _at(31)), {"gamma"}),
        (Cmp(Field.SESSION_STATUS, Op.EQ, "error"), {"alpha-2"}),
        (Cmp(Field.SESSION_PATH, Op.EQ, "/"), {"alpha-1", "alpha-2", "beta-1", "gamma"}),
        (Cmp(Field.REQUEST_ID, Op.EQ, "g-2"), {"gamma"}),
        (
            Or((Cmp(Field.SESSION_ID, Op.EQ, "beta-1"), Cmp(Field.SESSION_TOTAL_COST, Op.GT, 2))),
            {"alpha-2", "beta-1"},
        ),
        (
            And((Cmp(Property("env"), Op.EQ, "prod"), Cmp(Field.STATUS, Op.EQ, "ok"))),
            {"alpha-1", "beta-1", "gamma"},
        ),
        (And(()), {"alpha-1", "alpha-2", "beta-1", "gamma"}),
        (Or(()), set()),
    ],
)
def test_filter_ast(four_sessions: Store, node: Any, expected: set[str]) -> None:
    """Request-level comparisons keep sessions with a matching request; aggregates test
    the session's totals; And/Or combine them."""
    assert set(_ids(four_sessions, filter=node)) == expected


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (Cmp(Field.SESSION_CREATED_AT, Op.GTE, "yesterday"), "datetime"),
        (Cmp(Field.COST, Op.GT, "cheap"), "number"),
        (Cmp(Field.COST, Op.CONTAINS, "1"), "text fields only"),
        (Cmp(Field.MODEL, Op.EQ, ("a", "b")), "only an 'in' filter"),
        (Cmp(Field.MODEL, Op.IN, "a"), "list of values"),
    ],
)
def test_bad_filter_values_are_explained(four_sessions: Store, node: Any, message: str) -> None:
    """A filter value of the wrong type raises InvalidQueryError saying what is needed."""
    with pytest.raises(InvalidQueryError, match=message):
        four_sessions.query_sessions(PROJECT, SessionQuery(filter=node))


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (1001, 0), (10, -1)])
def test_page_bounds_are_checked(limit: int, offset: int) -> None:
    """Limits outside 1..1000 and negative offsets are refused with the accepted range."""
    with pytest.raises(InvalidQueryError, match=r"limit|offset"):
        SessionQuery(limit=limit, offset=offset)


def test_unknown_status_filter_is_refused() -> None:
    """session_filter(status=...) accepts ok, error or waiting only."""
    with pytest.raises(InvalidQueryError, match=r"status.*'ok', 'error' or 'waiting'"):
        session_filter(status="failed")


@pytest.mark.parametrize("op", [Op.GT, Op.GTE, Op.LT, Op.LTE])
@pytest.mark.parametrize("second", [-1, 0, 0.5, 1, 10, 20, 30, 30.5, 31, 40])
def test_a_start_time_bound_keeps_the_sessions_with_a_request_within_it(
    four_sessions: Store, op: Op, second: float
) -> None:
    """created_at gt/gte/lt/lte in a session query keeps exactly the sessions with some
    request started on that side of the bound (read off the session's first and latest
    start, without looking at the records)."""
    starts = {
        "alpha-1": [0, 1],
        "alpha-2": [10],
        "beta-1": [20],
        "gamma": [30, 31],
    }
    holds = {
        Op.GT: lambda s: s > second,
        Op.GTE: lambda s: s >= second,
        Op.LT: lambda s: s < second,
        Op.LTE: lambda s: s <= second,
    }[op]
    expected = {sid for sid, seconds in starts.items() if any(holds(s) for s in seconds)}
    assert set(_ids(four_sessions, filter=Cmp(Field.CREATED_AT, op, _at(second)))) == expected


def test_helicones_session_query_rides_the_native_session_query(four_sessions: Store) -> None:
    """POST /v1/session/query's body becomes a session query on the sessions table alone
    (its time window reads no records: it was 7x slower than the native list), and lists
    what the native list does."""
    from agenttrace.server.helicone import session_query_from_body
    from agenttrace.server.store import SqlStore
    from agenttrace.server.store.query_rows import WAITING_SINCE

    window = {"startTimeUnixMs": 0, "endTimeUnixMs": int(_at(60).timestamp() * 1000)}
    body = {"search": "", "timeFilter": window, "timezoneDifference": 0, "filter": "all"}
    query = session_query_from_body(body)
    assert isinstance(four_sessions, SqlStore)
    sql, _ = four_sessions.session_page_sql(PROJECT, query)
    # the one look at records is a session's open questions to a human (an index lookup)
    assert " records " not in f" {sql.replace(WAITING_SINCE, '')} "
    native = four_sessions.query_sessions(PROJECT, SessionQuery())
    helicone = four_sessions.query_sessions(PROJECT, query)
    assert helicone == native
