"""QueryClient.session / requests / request / paths against a real collector."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from agenttrace.query import (
    PathList,
    QueryClient,
    RequestPage,
    RequestRow,
    SessionDetail,
    TreeNode,
)
from agenttrace.records import ErrorInfo, RecordKind, Status

BASE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(collector_url: str) -> Iterator[QueryClient]:
    """An open client on the seeded collector."""
    with QueryClient(collector_url) as client:
        yield client


def request_ids(page: RequestPage) -> list[str]:
    """The request ids of a page, in order."""
    return [row.id for row in page]


def test_session_detail_has_metrics_paths_tree_and_requests(client: QueryClient) -> None:
    """session(id) returns the session row, per-path aggregates, the tree and the requests."""
    detail = client.session("sess-a")
    assert isinstance(detail, SessionDetail)
    assert detail.session.session_id == "sess-a"
    assert detail.session.total_tokens == 370
    assert [row.id for row in detail.requests] == ["a1", "a2", "a3"]

    agent = detail.path("/agent")
    assert agent is not None
    assert (agent.request_count, agent.total_tokens, agent.session_count) == (2, 370, 1)
    assert agent.cost_usd == pytest.approx(0.0042)
    assert agent.duration_ms == pytest.approx(3000)
    search = detail.path("/tools/search")
    assert search is not None
    assert (search.request_count, search.cost_usd) == (1, None)
    assert detail.path("/nowhere") is None

    tree = detail.tree
    assert isinstance(tree, TreeNode)
    assert (tree.name, tree.path, tree.request_count) == ("", "/", 3)
    assert tree.cost_usd == pytest.approx(0.0042)
    assert sorted(child.name for child in tree.children) == ["agent", "tools"]
    agent_node = tree.find("/agent")
    assert agent_node is not None
    assert sorted(agent_node.request_ids) == ["a1", "a3"]
    assert agent_node.total_tokens == 370
    tool_node = tree.find("/tools/search")
    assert tool_node is not None
    assert (tool_node.name, tool_node.request_ids) == ("search", ["a2"])
    assert tool_node.duration_ms == pytest.approx(250)
    assert next(tree.walk()) is tree
    assert {node.path for node in tree.walk()} == {"/", "/agent", "/tools", "/tools/search"}

    assert [row.id for row in detail.requests_at("/agent")] == ["a1", "a3"]
    assert detail.request("a2").name == "search"
    with pytest.raises(KeyError, match="not part of session 'sess-a'"):
        detail.request("b1")


def test_request_rows_are_typed(client: QueryClient) -> None:
    """Request rows carry enums, datetimes, token counts, costs and properties."""
    first = client.session("sess-a").request("a1")
    assert isinstance(first, RequestRow)
    assert first.kind is RecordKind.LLM
    assert first.status is Status.OK
    assert first.start_time == BASE
    assert first.end_time is not None
    assert first.end_time.isoformat() == "2025-03-01T12:00:00.800000+00:00"
    assert first.latency_ms == pytest.approx(800)
    assert first.time_to_first_token_ms == pytest.approx(120)
    assert (first.input_tokens, first.output_tokens, first.total_tokens) == (100, 20, 120)
    assert first.cost_usd == pytest.approx(0.0012)
    assert (first.model, first.provider, first.name) == ("gpt-4o-mini", "openai", "ChatOpenAI")
    assert (first.session_path, first.session_name, first.user_id) == (
        "/agent",
        "planner",
        "alice",
    )
    assert (first.attempt, first.error, first.failed) == (1, None, False)
    assert first.properties == {"env": "prod", "team": "red"}
    assert first.request_body is None


def test_failed_and_interrupted_requests(client: QueryClient) -> None:
    """An error carries its ErrorInfo and makes the session fail; interruption does not."""
    failed = client.session("sess-b")
    assert failed.session.status == "error"
    assert failed.session.error_count == 1
    row = failed.request("b1")
    assert row.status is Status.ERROR
    assert row.failed
    assert row.error == ErrorInfo(type="ValueError", message="boom")

    interrupted = client.session("sess-c")
    assert interrupted.session.status == "ok"
    assert interrupted.request("c1").status is Status.INTERRUPTED
    assert interrupted.request("c2").attempt == 2
    assert interrupted.session.cost_usd == pytest.approx(0.55)


def test_session_bodies_only_when_asked(client: QueryClient) -> None:
    """session(id) leaves bodies out unless include_bodies=True."""
    assert client.session("sess-a").request("a3").request_body is None
    with_bodies = client.session("sess-a", include_bodies=True).request("a3")
    assert with_bodies.request_body == {"messages": [{"role": "user", "content": "plan a trip"}]}
    assert with_bodies.response_body == {"content": "Lisbon"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"session_id": "sess-a"}, ["a3", "a2", "a1"]),
        ({"session_id": "sess-a", "order": "asc"}, ["a1", "a2", "a3"]),
        ({"path": "/agent", "order": "asc"}, ["a1", "a3", "b1"]),
        ({"path": "agent/", "session_id": "sess-a"}, ["a3", "a1"]),
        ({"kind": RecordKind.TOOL}, ["b2", "a2"]),
        ({"kind": "tool"}, ["b2", "a2"]),
        ({"status": Status.ERROR}, ["b1"]),
        ({"status": "interrupted"}, ["c1"]),
        ({"model": "gpt-4o"}, ["b1"]),
        ({"user_id": "bob"}, ["b2", "b1"]),
        ({"properties": {"env": "prod"}, "order": "asc"}, ["a1", "a2", "a3", "c1", "c2"]),
        ({"properties": {"team": "red"}, "kind": "llm"}, ["a3", "a1"]),
        ({"since": "2025-03-01T14:00:00Z", "until": "2025-03-01T14:05:00Z"}, ["c2", "c1"]),
        ({"until": datetime(2025, 3, 1, 13, 0), "order": "asc"}, ["a1", "a2", "a3", "b1"]),
    ],
)
def test_request_filters(
    client: QueryClient, filters: dict[str, object], expected: list[str]
) -> None:
    """Each request filter keeps exactly the requests it describes, in start-time order."""
    page = client.requests(**filters)  # type: ignore[arg-type]
    assert isinstance(page, RequestPage)
    assert request_ids(page) == expected
    assert page.total == len(expected)


def test_request_pages(client: QueryClient) -> None:
    """limit/offset page through requests; total counts them all; default limit is 100."""
    everything = client.requests()
    assert (everything.total, everything.limit, len(everything)) == (14, 100, 14)
    page = client.requests(session_id="sess-a", order="asc", limit=2, offset=1)
    assert request_ids(page) == ["a2", "a3"]
    assert (page.total, page.limit, page.offset, page.has_more) == (3, 2, 1, False)
    assert client.requests(session_id="sess-a", limit=2).has_more


def test_request_bodies_only_when_asked(client: QueryClient) -> None:
    """requests() omits bodies unless include_bodies=True; request(id) always has them."""
    plain = client.requests(session_id="sess-a")
    assert all(row.request_body is None and row.response_body is None for row in plain)
    with_bodies = {row.id: row for row in client.requests(include_bodies=True)}
    assert with_bodies["a3"].response_body == {"content": "Lisbon"}
    one = client.request("a3")
    assert one.request_body == {"messages": [{"role": "user", "content": "plan a trip"}]}
    assert one.session_id == "sess-a"


def test_paths_across_sessions(client: QueryClient) -> None:
    """paths() aggregates per path over sessions, filtered by session name or id."""
    every = client.paths()
    assert isinstance(every, PathList)
    by_path = {row.path: row for row in every}
    assert set(by_path) == {"/", "/agent", "/tools/search", "/researcher/agent"}
    agent = by_path["/agent"]
    assert (agent.request_count, agent.error_count, agent.session_count) == (3, 1, 2)
    assert agent.cost_usd == pytest.approx(0.0047)
    assert agent.input_tokens == 350
    assert by_path["/"].session_count == 7
    researcher = client.paths(session_name="researcher")
    assert [(row.path, row.request_count) for row in researcher] == [("/researcher/agent", 2)]
    assert {row.path for row in client.paths(session_id="sess-b")} == {"/agent", "/tools/search"}
    assert len(client.paths(until="2020-01-01")) == 0
