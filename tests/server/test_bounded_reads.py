"""Reads are bounded: a session's requests come a page at a time, pages follow keyset
cursors, a page of bodies stops at the byte budget, and the tree lists at most 100 ids
per node (every store backend; HTTP on a real collector)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from agenttrace.records import Record, RecordKind
from agenttrace.server.store import (
    InvalidQueryError,
    RequestPage,
    RequestQuery,
    RequestRow,
    Store,
    request_filter,
)
from agenttrace.server.store.base import DEFAULT_SESSION_REQUESTS, MAX_PAGE_BYTES
from agenttrace.server.store.filters import SortOrder
from agenttrace.server.testing import RunningCollector

PROJECT = "default"
T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
MIB = 1024 * 1024


def many(
    session_id: str,
    count: int,
    *,
    first: int = 0,
    path: str = "/agent",
    body_bytes: int = 0,
    start_ms: float = 0,
) -> list[Record]:
    """``count`` LLM records of one session, two starting at each millisecond (so that the
    id orders the pairs), numbered from ``first``; each with a body of ``body_bytes``."""
    records = []
    for index in range(first, first + count):
        start = T0 + timedelta(milliseconds=start_ms + index // 2)
        body = {"text": "x" * body_bytes} if body_bytes else None
        records.append(
            Record(
                id=f"{session_id}-{index:06d}",
                kind=RecordKind.LLM,
                session_id=session_id,
                session_path=path,
                name="step",
                start_time=start,
                end_time=start + timedelta(milliseconds=5),
                cost_usd=0.001,
                request=body,
            )
        )
    return records


def ids(rows: list[RequestRow]) -> list[str]:
    """The request ids of ``rows``, in order."""
    return [row.id for row in rows]


def session_pages(store: Store, session_id: str, cursor: str | None, **query: Any) -> RequestPage:
    """The page of the session's requests (time order) after ``cursor``."""
    request_query = RequestQuery(
        filter=request_filter(session_id=session_id),
        order=SortOrder.ASC,
        cursor=cursor,
        **query,
    )
    return store.query_requests(PROJECT, request_query)


def test_session_detail_answers_a_bounded_first_page_and_a_cursor(store: Store) -> None:
    """A session of 250 requests: the detail holds the first 100 and a cursor; following the
    cursors yields every request exactly once, in (start, id) order."""
    records = many("big", 250)
    store.ingest(PROJECT, records)
    detail = store.get_session(PROJECT, "big")
    assert detail is not None
    assert ids(detail.requests) == [r.id for r in records[:DEFAULT_SESSION_REQUESTS]]
    assert detail.next_cursor is not None
    assert detail.session.request_count == 250
    assert detail.tree.request_count == 250

    seen = ids(detail.requests)
    cursor: str | None = detail.next_cursor
    while cursor is not None:
        page = session_pages(store, "big", cursor, limit=71)  # odd: pages split a pair
        assert 0 < len(page.requests) <= 71
        assert page.total == 250
        seen += ids(page.requests)
        cursor = page.next_cursor
    assert seen == [r.id for r in records]

    small = store.get_session(PROJECT, "big", limit=250)
    assert small is not None
    assert (len(small.requests), small.next_cursor) == (250, None)


def test_following_cursors_while_records_arrive_yields_each_request_once(store: Store) -> None:
    """Records stored between pages: every request already there comes exactly once, and
    those that sort after the cursor come too."""
    store.ingest(PROJECT, many("live", 120))
    detail = store.get_session(PROJECT, "live", limit=51)
    assert detail is not None
    seen = ids(detail.requests)
    cursor = detail.next_cursor
    arrivals = iter([many("live", 40, first=120), many("live", 30, first=160)])
    while cursor is not None:
        batch = next(arrivals, None)
        if batch is not None:
            store.ingest(PROJECT, batch)
        page = session_pages(store, "live", cursor, limit=49)
        seen += ids(page.requests)
        cursor = page.next_cursor
    assert seen == [r.id for r in many("live", 190)]


def test_descending_cursors_and_cursor_mistakes(store: Store) -> None:
    """Cursors page newest first too; a cursor with offset, with the other order, or made
    up is refused with a sentence saying what to do."""
    records = many("desc", 30)
    store.ingest(PROJECT, records)
    seen: list[str] = []
    cursor = None
    while True:
        query = RequestQuery(filter=request_filter(session_id="desc"), limit=7, cursor=cursor)
        page = store.query_requests(PROJECT, query)
        seen += ids(page.requests)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [r.id for r in reversed(records)]

    first = store.query_requests(PROJECT, RequestQuery(limit=8))
    assert first.next_cursor is not None
    with pytest.raises(InvalidQueryError, match="either cursor or offset"):
        RequestQuery(cursor=first.next_cursor, offset=8)
    with pytest.raises(InvalidQueryError, match="order=desc"):
        store.query_requests(PROJECT, RequestQuery(order=SortOrder.ASC, cursor=first.next_cursor))
    with pytest.raises(InvalidQueryError, match="cursor is not one this collector made"):
        store.query_requests(PROJECT, RequestQuery(cursor="c1.bm90LWpzb24"))


def test_tree_lists_at_most_100_request_ids_per_node(store: Store) -> None:
    """300 requests on one path: its node lists the earliest 100, its PathRow counts 300."""
    agent = many("wide", 300)
    tools = many("wide", 3, first=300, path="/tools/search")
    store.ingest(PROJECT, agent + tools)
    detail = store.get_session(PROJECT, "wide")
    assert detail is not None
    node = detail.tree.children[0]
    assert (node.path, node.request_count) == ("/agent", 300)
    assert node.request_ids == [r.id for r in agent[:100]]
    search = detail.tree.children[1].children[0]
    assert search.request_ids == [r.id for r in tools]
    assert {row.path: row.request_count for row in detail.paths} == {
        "/agent": 300,
        "/tools/search": 3,
    }
    assert detail.tree.request_count == 303
    assert detail.tree.cost_usd == pytest.approx(0.303)
    assert sum(len(n.request_ids) for n in [detail.tree, node, search]) == 103


def test_a_page_of_bodies_stops_at_the_byte_budget(store: Store) -> None:
    """Twelve requests with 1 MiB bodies: a page of bodies holds no more than the budget,
    and the pages together hold every request with its body."""
    records = many("bodies", 12, body_bytes=MIB)
    store.ingest(PROJECT, records)
    detail = store.get_session(PROJECT, "bodies", include_bodies=True)
    assert detail is not None
    assert 1 <= len(detail.requests) < 12
    assert sum(len(row.request_body["text"]) for row in detail.requests) <= MAX_PAGE_BYTES
    assert detail.next_cursor is not None

    rows = list(detail.requests)
    cursor: str | None = detail.next_cursor
    while cursor is not None:
        page = session_pages(store, "bodies", cursor, include_bodies=True, limit=1000)
        assert sum(len(row.request_body["text"]) for row in page.requests) <= MAX_PAGE_BYTES
        rows += page.requests
        cursor = page.next_cursor
    assert ids(rows) == [r.id for r in records]
    assert all(row.request_body == {"text": "x" * MIB} for row in rows)

    without = store.get_session(PROJECT, "bodies")
    assert without is not None
    assert (len(without.requests), without.next_cursor) == (12, None)


def test_a_page_holds_one_request_even_when_it_alone_passes_the_budget(store: Store) -> None:
    """A budget smaller than one body still answers one request per page."""
    store.ingest(PROJECT, many("tight", 3, body_bytes=2000))
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        page = session_pages(store, "tight", cursor, include_bodies=True, page_bytes=1000)
        assert len(page.requests) == 1
        seen += ids(page.requests)
        cursor = page.next_cursor
    assert cursor is None
    assert seen == ["tight-000000", "tight-000001", "tight-000002"]


def post(collector: RunningCollector, records: list[Record]) -> None:
    """Ingest ``records`` over HTTP; every one must be accepted."""
    body = {"records": [record.model_dump(mode="json") for record in records]}
    answer = httpx.post(f"{collector.url}/v1/records", json=body, timeout=60)
    answer.raise_for_status()
    assert answer.json()["accepted"] == len(records)


def test_http_session_detail_pages_and_requests_follow_the_cursor(
    collector: RunningCollector,
) -> None:
    """GET /v1/sessions/{id} answers 100 requests and next_cursor; GET /v1/requests with
    session_id and cursor (no order: the cursor keeps its own) goes on to the end."""
    records = many("http", 230)
    post(collector, records)
    with collector.client(timeout=30) as client:
        detail = client.get("/v1/sessions/http").json()
        assert len(detail["requests"]) == 100
        assert len(detail["tree"]["children"][0]["request_ids"]) == 100
        seen = [row["id"] for row in detail["requests"]]
        cursor = detail["next_cursor"]
        while cursor is not None:
            answer = client.get(
                "/v1/requests", params={"session_id": "http", "cursor": cursor, "limit": 77}
            )
            assert answer.status_code == 200, answer.text
            page = answer.json()
            seen += [row["id"] for row in page["requests"]]
            cursor = page["next_cursor"]
        assert seen == [r.id for r in records]

        limited = client.get("/v1/sessions/http", params={"limit": 1001})
        assert limited.status_code == 400
        assert "limit" in limited.json()["error"]
        bad = client.get("/v1/requests", params={"cursor": "nonsense"})
        assert bad.status_code == 400
        assert "pass the next_cursor of a previous page unchanged" in bad.json()["error"]
        both = client.get("/v1/requests", params={"cursor": detail["next_cursor"], "offset": 5})
        assert both.status_code == 400
        assert "either cursor or offset" in both.json()["error"]


def test_http_session_detail_with_bodies_is_bounded(collector: RunningCollector) -> None:
    """Twelve 1 MiB bodies: GET /v1/sessions/{id}?include_bodies=true answers fewer than
    twelve requests, within the budget, and a cursor for the rest."""
    post(collector, many("heavy", 6, body_bytes=MIB) + many("heavy", 6, first=6, body_bytes=MIB))
    with collector.client(timeout=60) as client:
        answer = client.get("/v1/sessions/heavy", params={"include_bodies": "true"})
    assert answer.status_code == 200
    detail = answer.json()
    assert 1 <= len(detail["requests"]) < 12
    assert len(answer.content) < MAX_PAGE_BYTES + MIB
    assert detail["next_cursor"] is not None
