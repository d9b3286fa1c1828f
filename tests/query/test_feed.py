"""`QueryClient.feed` / `follow_feed` and their async twins against a real collector of
their own (records are posted while following): each request stored comes once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from agenttrace.exceptions import UserError
from agenttrace.query import AsyncQueryClient, FeedPage, QueryClient
from agenttrace.records import Record, RecordKind
from agenttrace.server.testing import running_collector


def _record(record_id: str, *, model: str = "gpt-4o-mini") -> Record:
    return Record(
        id=record_id,
        session_id="live",
        session_name="live",
        kind=RecordKind.LLM,
        name="ChatOpenAI",
        model=model,
        start_time=datetime.now(UTC),
        end_time=datetime.now(UTC),
    )


def post_records(url: str, records: list[Record]) -> None:
    body = {"records": [record.model_dump(mode="json") for record in records]}
    httpx.post(f"{url}/v1/records", json=body, timeout=30).raise_for_status()


def wait_settled(client: QueryClient, request_id: str) -> None:
    """Wait until ``request_id`` is the newest request of the feed (about a second)."""
    for _ in range(100):
        page = client.feed(limit=1)
        if page.requests and page.requests[-1].id == request_id:
            return
        time.sleep(0.05)
    raise AssertionError(request_id)


@pytest.fixture
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real collector (uvicorn, SQLite) holding one old request."""
    with running_collector(data_dir=tmp_path_factory.mktemp("feed")) as collector:
        post_records(collector.url, [_record("old")])
        yield collector.url


def test_follow_yields_each_request_posted_while_following_once(url: str) -> None:
    """Requests posted in two batches while following come in the order stored, once each;
    the one stored before the start is not among them."""
    with QueryClient(url) as client:
        wait_settled(client, "old")
        start = client.feed(limit=1).cursor
        post_records(url, [_record("r1"), _record("r2")])
        follow = client.follow_feed(after=start, poll_interval=0.1)
        got = [next(follow).id, next(follow).id]
        post_records(url, [_record("r3")])
        got.append(next(follow).id)
        post_records(url, [_record("r4")])
        got.append(next(follow).id)
        follow.close()
        assert got == ["r1", "r2", "r3", "r4"]
        page = client.feed(start, limit=100)
        assert isinstance(page, FeedPage)
        assert [row.id for row in page.requests] == got


def test_follow_from_now_and_filters(url: str) -> None:
    """Without ``after``, following starts at the present, after the ``backlog`` newest
    requests; the metrics filters narrow what comes."""
    with QueryClient(url) as client:
        post_records(url, [_record("c0", model="claude")])
        wait_settled(client, "c0")
        with_backlog = client.follow_feed(backlog=1, poll_interval=0.1, model="claude")
        assert next(with_backlog).id == "c0"
        from_now = client.follow_feed(poll_interval=0.1, model="claude")
        post_records(url, [_record("g1"), _record("c1", model="claude")])
        assert next(with_backlog).id == "c1"
        with_backlog.close()
        post_records(url, [_record("c2", model="claude")])
        assert next(from_now).id == "c2"  # its first question came after c1 was out
        from_now.close()


def test_feed_pages_follow_the_cursor(url: str) -> None:
    """A small page says ``more``; the next page by its cursor holds the rest."""
    with QueryClient(url) as client:
        wait_settled(client, "old")
        start = client.feed(limit=1).cursor
        post_records(url, [_record(f"p{i}") for i in range(3)])
        seen: list[str] = []
        cursor = start
        for _ in range(100):
            page = client.feed(cursor, limit=2)
            seen += [row.id for row in page.requests]
            cursor = page.cursor
            if len(seen) == 3:
                break
            if not page.more:
                time.sleep(0.1)
        assert seen == ["p0", "p1", "p2"]


def test_async_follow_yields_posted_requests_once(url: str) -> None:
    """The async twin follows the same way."""

    with QueryClient(url) as sync_client:
        wait_settled(sync_client, "old")

    async def run() -> list[str]:
        async with AsyncQueryClient(url) as client:
            start = (await client.feed(limit=1)).cursor
            post_records(url, [_record("x1"), _record("x2")])
            got: list[str] = []
            async for row in client.follow_feed(after=start, poll_interval=0.1):
                got.append(row.id)
                if len(got) == 2:
                    break
            return got

    assert asyncio.run(run()) == ["x1", "x2"]


def test_bad_arguments_are_refused_before_any_query() -> None:
    """A wrong poll interval, backlog or filter is a UserError naming it, at the call."""
    with QueryClient("http://127.0.0.1:9") as client:
        with pytest.raises(UserError, match="poll_interval"):
            client.follow_feed(poll_interval=0)
        with pytest.raises(UserError, match="backlog"):
            client.follow_feed(backlog=-1)
        with pytest.raises(UserError, match="the feed cannot be filtered by colour"):
            client.follow_feed(colour="red")  # type: ignore[call-arg]
        with pytest.raises(UserError, match="limit"):
            client.feed(limit=0)
