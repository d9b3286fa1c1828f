"""QueryClient.sessions / iter_sessions against a real collector: every filter, pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from agenttrace.query import QueryClient, SessionPage, SessionRow

BASE_ISO = "2025-03-01T12:00:00+00:00"
NEWEST_FIRST = [f"bulk-{i}" for i in range(6, -1, -1)] + ["sess-c", "sess-b", "sess-a"]


@pytest.fixture
def client(collector_url: str) -> Iterator[QueryClient]:
    """An open client on the seeded collector."""
    with QueryClient(collector_url) as client:
        yield client


def ids(page: SessionPage) -> set[str]:
    """The session ids of a page."""
    return {row.session_id for row in page}


def test_default_page_is_every_session_newest_first(client: QueryClient) -> None:
    """Without filters, all ten sessions come back by start_time, newest first."""
    page = client.sessions()
    assert isinstance(page, SessionPage)
    assert page.total == 10
    assert (page.limit, page.offset) == (50, 0)
    assert [row.session_id for row in page] == NEWEST_FIRST
    assert len(page) == 10
    assert page[0].session_id == "bulk-6"
    assert page.items == page.sessions
    assert not page.has_more


def test_session_row_fields_are_typed(client: QueryClient) -> None:
    """A session row carries its metrics with Python types and the spec's figures."""
    row = next(r for r in client.sessions(name="planner") if r.session_id == "sess-a")
    assert isinstance(row, SessionRow)
    assert row.session_name == "planner"
    assert isinstance(row.start_time, datetime)
    assert row.start_time.isoformat() == BASE_ISO
    assert row.last_start_time - row.start_time == timedelta(seconds=2)
    assert row.cost_usd == pytest.approx(0.0042)
    assert (row.request_count, row.input_tokens, row.output_tokens, row.total_tokens) == (
        3,
        300,
        70,
        370,
    )
    assert row.duration_ms == pytest.approx(3000)
    assert row.mean_latency_ms == pytest.approx((800 + 250 + 1000) / 3)
    assert (row.error_count, row.status) == (0, "ok")
    assert row.user_ids == ["alice"]
    assert row.properties == {"env": "prod", "team": "red"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"name": "planner"}, {"sess-a", "sess-b"}),
        ({"properties": {"env": "prod"}}, {"sess-a", "sess-c"}),
        ({"properties": {"env": "prod", "team": "red"}}, {"sess-a"}),
        ({"properties": {"env": "staging"}}, set()),
        ({"user_id": "bob"}, {"sess-b"}),
        ({"user_id": "alice"}, {"sess-a", "sess-c"}),
        ({"status": "error"}, {"sess-b"}),
        ({"search": "research"}, {"sess-c"}),
        ({"search": "SESS-"}, {"sess-a", "sess-b", "sess-c"}),
        ({"min_cost": 0.004}, {"sess-a", "sess-c"}),
        ({"max_cost": 0.001}, {"sess-b"}),
        ({"min_cost": 0.001, "max_cost": 0.1}, {"sess-a"}),
        ({"name": "planner", "user_id": "alice"}, {"sess-a"}),
    ],
)
def test_filters(client: QueryClient, filters: dict[str, object], expected: set[str]) -> None:
    """Each filter keeps exactly the sessions it describes, and total agrees."""
    page = client.sessions(**filters)  # type: ignore[arg-type]
    assert ids(page) == expected
    assert page.total == len(expected)


def test_status_ok_excludes_failed_sessions(client: QueryClient) -> None:
    """status='ok' keeps every session without a failed request (interrupted is ok)."""
    page = client.sessions(status="ok")
    assert page.total == 9
    assert "sess-b" not in ids(page)
    assert "sess-c" in ids(page)


def test_time_range_accepts_datetimes_iso_strings_and_naive_utc(client: QueryClient) -> None:
    """since/until bound start_time, given as aware or naive datetimes or ISO strings."""
    base = datetime.fromisoformat(BASE_ISO)
    expected = {"sess-b", "sess-c"}
    aware = client.sessions(since=base + timedelta(minutes=30), until=base + timedelta(hours=2.5))
    assert ids(aware) == expected
    naive = base.replace(tzinfo=None)
    assert ids(client.sessions(since=naive + timedelta(minutes=30), until="2025-03-01T14:30")) == (
        expected
    )
    assert ids(client.sessions(since="2025-03-01T12:30:00Z", until="2025-03-01T14:30:00Z")) == (
        expected
    )
    assert ids(client.sessions(until=BASE_ISO)) == {"sess-a"}  # inclusive bound


def test_relative_since_is_a_span_before_now(client: QueryClient) -> None:
    """since='1h' means the last hour: the 2025 sessions are older, so none match."""
    assert client.sessions(since="1h").total == 0
    assert client.sessions(until="1h").total == 10


def test_sort_and_order(client: QueryClient) -> None:
    """sort names a column and order its direction; sessions without cost come last."""
    ascending = client.sessions(sort="cost_usd", order="asc")
    assert [row.session_id for row in ascending][:3] == ["sess-b", "sess-a", "sess-c"]
    assert all(row.cost_usd is None for row in list(ascending)[3:])
    descending = client.sessions(sort="cost_usd", order="desc")
    assert [row.session_id for row in descending][:3] == ["sess-c", "sess-a", "sess-b"]
    oldest = client.sessions(order="asc", limit=1)
    assert [row.session_id for row in oldest] == ["sess-a"]


def test_limit_and_offset_page_through(client: QueryClient) -> None:
    """limit and offset cut pages out of the same order; total stays the full count."""
    first = client.sessions(limit=3)
    assert [row.session_id for row in first] == NEWEST_FIRST[:3]
    assert (first.total, first.limit, first.offset, first.has_more) == (10, 3, 0, True)
    last = client.sessions(limit=3, offset=9)
    assert [row.session_id for row in last] == NEWEST_FIRST[9:]
    assert not last.has_more
    beyond = client.sessions(limit=3, offset=20)
    assert (len(beyond), beyond.total) == (0, 10)


def test_iter_sessions_walks_every_page(client: QueryClient) -> None:
    """iter_sessions yields every matching session once, in order, across pages."""
    walked = [row.session_id for row in client.iter_sessions(page_size=3)]
    assert walked == NEWEST_FIRST
    bulk = [row.session_id for row in client.iter_sessions(name="bulk", order="asc", page_size=2)]
    assert bulk == [f"bulk-{i}" for i in range(7)]
    assert list(client.iter_sessions(name="nobody")) == []


def test_endpoint_from_environment(collector_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without endpoint=, AGENTTRACE_ENDPOINT names the collector."""
    monkeypatch.setenv("AGENTTRACE_ENDPOINT", collector_url + "/")
    with QueryClient() as client:
        assert client.endpoint == collector_url
        assert client.sessions(limit=1).total == 10
