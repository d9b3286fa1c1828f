"""The query clients follow a session's pages: `session` gathers them (or the first
``max_requests``), `iter_requests` walks the cursors, against a real collector."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from agenttrace.exceptions import UserError
from agenttrace.query import AsyncQueryClient, QueryClient
from agenttrace.records import Record, RecordKind
from agenttrace.server.testing import RunningCollector, running_collector

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
SESSION = "long"
COUNT = 1205


def many(count: int, *, first: int = 0) -> list[Record]:
    """``count`` records of the long session, one a millisecond, numbered from ``first``."""
    return [
        Record(
            id=f"r-{index:05d}",
            kind=RecordKind.TOOL,
            session_id=SESSION,
            session_path=f"/step{index % 3}",
            name="step",
            start_time=T0 + timedelta(milliseconds=index),
            end_time=T0 + timedelta(milliseconds=index + 1),
        )
        for index in range(first, first + count)
    ]


def post(url: str, records: list[Record]) -> None:
    """Ingest ``records`` over HTTP; every one must be accepted."""
    body = {"records": [record.model_dump(mode="json") for record in records]}
    answer = httpx.post(f"{url}/v1/records", json=body, timeout=60)
    answer.raise_for_status()
    assert answer.json()["accepted"] == len(records)


@pytest.fixture(scope="module")
def long_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """A real collector holding one session of 1,205 requests."""
    with running_collector(data_dir=tmp_path_factory.mktemp("paging")) as collector:
        post(collector.url, many(COUNT))
        yield collector


class Recording(httpx.HTTPTransport):
    """The real HTTP transport, noting each request's path and query."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, dict[str, list[str]]]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Note the request, then send it."""
        self.sent.append((request.url.path, parse_qs(request.url.query.decode())))
        return super().handle_request(request)


def test_session_gathers_every_page(long_session: RunningCollector) -> None:
    """session(id) holds all 1,205 requests in time order, fetched 1,000 at a time."""
    transport = Recording()
    with QueryClient(long_session.url, transport=transport) as client:
        detail = client.session(SESSION)
    assert [row.id for row in detail.requests] == [r.id for r in many(COUNT)]
    assert detail.next_cursor is None
    assert detail.session.request_count == COUNT
    assert [path for path, _ in transport.sent] == [f"/v1/sessions/{SESSION}", "/v1/requests"]
    assert [query["limit"] for _, query in transport.sent] == [["1000"]] * 2
    assert "cursor" in transport.sent[1][1]


def test_session_stops_at_max_requests_with_a_cursor(long_session: RunningCollector) -> None:
    """max_requests=150 asks for 150 and keeps the cursor; requests(cursor=) goes on."""
    with QueryClient(long_session.url) as client:
        detail = client.session(SESSION, max_requests=150, page_size=100)
        assert [row.id for row in detail.requests] == [r.id for r in many(150)]
        assert detail.next_cursor is not None
        rest = client.requests(SESSION, cursor=detail.next_cursor, limit=10)
        assert [row.id for row in rest] == [r.id for r in many(10, first=150)]
        assert rest.has_more
        with pytest.raises(UserError, match="page_size must be at most 1000"):
            client.session(SESSION, page_size=5000)
        with pytest.raises(UserError, match="max_requests must be a whole number"):
            client.session(SESSION, max_requests=0)


def test_iter_requests_walks_cursors_while_records_arrive(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """iter_requests yields each request once, including those stored while it runs."""
    with running_collector(data_dir=tmp_path_factory.mktemp("arriving")) as collector:
        post(collector.url, many(250))
        seen: list[str] = []
        with QueryClient(collector.url) as client:
            for row in client.iter_requests(SESSION, order="asc", page_size=100):
                if len(seen) == 150:
                    post(collector.url, many(60, first=250))
                seen.append(row.id)
    assert seen == [r.id for r in many(310)]


async def test_async_client_follows_the_same_pages(long_session: RunningCollector) -> None:
    """AsyncQueryClient.session and iter_requests answer what the sync client answers."""
    async with AsyncQueryClient(long_session.url) as client:
        detail = await client.session(SESSION, page_size=1000)
        newest = [row.id async for row in client.iter_requests(SESSION, page_size=400)]
    assert [row.id for row in detail.requests] == [r.id for r in many(COUNT)]
    assert newest == [r.id for r in reversed(many(COUNT))]
