"""AsyncQueryClient: the same queries and failures as QueryClient, as coroutines."""

from __future__ import annotations

import pytest

from agenttrace.exceptions import NotFoundError, QueryError, UserError
from agenttrace.query import (
    AsyncQueryClient,
    CollectorUnavailableError,
    PathList,
    RequestPage,
    RequestRow,
    SessionDetail,
    SessionPage,
)
from agenttrace.records import Status


async def test_sessions_and_filters(collector_url: str) -> None:
    """sessions() answers a typed page and applies its filters."""
    async with AsyncQueryClient(collector_url) as client:
        page = await client.sessions()
        assert isinstance(page, SessionPage)
        assert page.total == 10
        planners = await client.sessions(name="planner", properties={"env": "dev"})
        assert [row.session_id for row in planners] == ["sess-b"]
        assert planners[0].status == "error"
        costly = await client.sessions(min_cost=0.1, since="2025-03-01T11:00:00Z")
        assert [row.session_id for row in costly] == ["sess-c"]


async def test_iter_sessions_is_an_async_iterator(collector_url: str) -> None:
    """iter_sessions walks every page with `async for`."""
    async with AsyncQueryClient(collector_url) as client:
        walked = [row.session_id async for row in client.iter_sessions(order="asc", page_size=4)]
    assert walked[:3] == ["sess-a", "sess-b", "sess-c"]
    assert len(walked) == len(set(walked)) == 10


async def test_detail_requests_request_paths(collector_url: str) -> None:
    """session, requests, request and paths answer the same typed results as the sync client."""
    async with AsyncQueryClient(collector_url) as client:
        detail = await client.session("sess-b", include_bodies=True)
        assert isinstance(detail, SessionDetail)
        assert detail.tree.error_count == 1
        failed = await client.requests(status=Status.ERROR)
        assert isinstance(failed, RequestPage)
        assert [row.id for row in failed] == ["b1"]
        one = await client.request("a3")
        assert isinstance(one, RequestRow)
        assert one.response_body == {"content": "Lisbon"}
        paths = await client.paths(session_name="planner")
        assert isinstance(paths, PathList)
        assert {row.path for row in paths} == {"/agent", "/tools/search"}


async def test_errors(collector_url: str, dead_url: str) -> None:
    """404, a rejected query, a closed client and a missing collector fail as in sync."""
    client = AsyncQueryClient(collector_url)
    with pytest.raises(NotFoundError, match="there is no session 'nope'"):
        await client.session("nope")
    with pytest.raises(QueryError) as caught:
        await client.requests(limit=0)
    assert caught.value.status_code == 400
    await client.aclose()
    await client.aclose()
    with pytest.raises(UserError, match="closed; create a new AsyncQueryClient"):
        await client.sessions()
    async with AsyncQueryClient(dead_url) as unreachable:
        with pytest.raises(CollectorUnavailableError, match=r"not reachable.*agenttrace serve"):
            await unreachable.paths()
