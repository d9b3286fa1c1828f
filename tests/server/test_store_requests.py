"""Store contract, requests, paths and session detail (tree, per-path metrics).

Written once against the `Store` interface; runs for every backend in ``STORE_BACKENDS``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agenttrace.records import Record, RecordKind, Status
from agenttrace.server.store import (
    PathQuery,
    RequestQuery,
    Store,
    path_filter,
    request_filter,
)
from agenttrace.server.store.filters import SortOrder

PROJECT = "default"


@pytest.fixture
def loaded(store: Store, hand_built: Any, make_record: Any) -> Store:
    """The hand-built session plus a second, small session "s-other" named "other"."""
    store.ingest(PROJECT, hand_built.models())
    other = [
        make_record("o1", "s-other", start_ms=10_000, end_ms=10_100, session_path="/writer",
                    session_name="other", model="gpt-4o", user_id="u3",
                    properties={"env": "dev"}),
        make_record("o2", "s-other", start_ms=10_200, end_ms=10_250, session_path="/planner",
                    session_name="other", kind="tool"),
    ]  # fmt: skip
    store.ingest(PROJECT, [Record.model_validate(r) for r in other])
    return store


def _ids(store: Store, order: SortOrder = SortOrder.ASC, **filters: Any) -> list[str]:
    page = store.query_requests(
        PROJECT, RequestQuery(filter=request_filter(**filters), order=order)
    )
    return [row.id for row in page.requests]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["r1", "r2", "r3", "r4", "r5", "o1", "o2"]),
        ({"session_id": "s-other"}, ["o1", "o2"]),
        ({"path": "/planner/tools/search"}, ["r2", "r3"]),
        ({"path": "planner/tools/search/"}, ["r2", "r3"]),  # normalised like the client
        ({"kind": RecordKind.TOOL}, ["r2", "r3", "o2"]),
        ({"status": Status.ERROR}, ["r2"]),
        ({"status": Status.CANCELLED}, ["r5"]),
        ({"model": "gpt-4o"}, ["r1", "o1"]),
        ({"user_id": "u2"}, ["r2"]),
        ({"properties": [("env", "prod")]}, ["r1", "r2"]),
        ({"properties": [("env", "prod"), ("team", "a")]}, ["r2"]),
        ({"since": datetime(2025, 3, 1, 10, 0, 5, tzinfo=UTC)}, ["r5", "o1", "o2"]),
        ({"until": datetime(2025, 3, 1, 10, 0, 1, 200_000, tzinfo=UTC)}, ["r1", "r2"]),
        ({"session_id": "s-other", "kind": RecordKind.CUSTOM}, ["o1"]),
    ],
)
def test_request_filters(loaded: Store, filters: dict[str, Any], expected: list[str]) -> None:
    """Each request filter keeps exactly its requests, in start-time order."""
    assert _ids(loaded, **filters) == expected


def test_requests_newest_first_and_paged(loaded: Store) -> None:
    """The default order is newest first; limit/offset page; total counts all matches."""
    page = loaded.query_requests(PROJECT, RequestQuery(limit=2, offset=1))
    assert [r.id for r in page.requests] == ["o1", "r5"]
    assert (page.total, page.limit, page.offset) == (7, 2, 1)


def test_request_row_fields(loaded: Store) -> None:
    """A stored record comes back with every RequestRow field in the record's words, its
    properties its custom ones alone (no Helicone-Session-* keys)."""
    page = loaded.query_requests(
        PROJECT, RequestQuery(filter=request_filter(session_id="s-hand"), order=SortOrder.ASC)
    )
    rows = {row.id: row.model_dump(mode="json", exclude_unset=True) for row in page.requests}
    assert rows["r4"] == {
        "id": "r4",
        "kind": "llm",
        "status": "interrupted",
        "session_id": "s-hand",
        "session_name": "A later name",
        "session_path": "/writer",
        "parent_id": None,
        "name": "",
        "model": None,
        "provider": None,
        "user_id": None,
        "properties": {},
        "start_time": "2025-03-01T10:00:02Z",
        "end_time": "2025-03-01T10:00:05Z",
        "latency_ms": 3000.0,
        "time_to_first_token_ms": 120.5,
        "input_tokens": 300,
        "output_tokens": 100,
        "total_tokens": 400,
        "cache_read_tokens": 50,
        "cache_write_tokens": None,
        "reasoning_tokens": 30,
        "cost_usd": 0.03,
        "error": None,
        "attempt": 1,
        "branch_id": "task-1",
    }
    assert rows["r2"]["error"] == {"type": "TimeoutError", "message": "search timed out"}
    assert rows["r2"]["status"] == "error"
    assert rows["r2"]["properties"] == {"env": "prod", "team": "a"}
    assert rows["r5"]["end_time"] is None
    assert rows["r5"]["latency_ms"] is None
    assert rows["r3"]["attempt"] == 2
    assert "request_body" not in rows["r1"]


def test_bodies_only_when_asked(loaded: Store) -> None:
    """Bodies come with include_bodies and with get_request, exactly as sent."""
    page = loaded.query_requests(
        PROJECT, RequestQuery(filter=request_filter(session_id="s-hand"), include_bodies=True)
    )
    bodies = {r.id: (r.request_body, r.response_body) for r in page.requests}
    assert bodies["r1"] == ({"messages": [{"role": "user", "content": "plan"}]}, {"content": "ok"})
    assert bodies["r2"] == (None, None)
    row = loaded.get_request(PROJECT, "r1")
    assert row is not None
    assert row.request_body == {"messages": [{"role": "user", "content": "plan"}]}
    assert loaded.get_request(PROJECT, "nope") is None


def test_session_detail_paths_tree_and_requests(
    loaded: Store, hand_built: Any, expected_tree: dict[str, Any]
) -> None:
    """Session detail: per-path metrics, the rolled-up tree, requests in time order."""
    detail = loaded.get_session(PROJECT, "s-hand")
    assert detail is not None
    assert detail.session.model_dump(mode="json") == hand_built.session
    paths = {p.path: p.model_dump(exclude={"path"}) for p in detail.paths}
    assert paths == hand_built.paths
    assert [p.path for p in detail.paths] == sorted(hand_built.paths)
    assert detail.tree.model_dump() == expected_tree
    assert [r.id for r in detail.requests] == ["r1", "r2", "r3", "r4", "r5"]
    assert loaded.get_session(PROJECT, "no-such-session") is None


def test_paths_across_sessions(loaded: Store) -> None:
    """Per-path aggregates across sessions count sessions; filters narrow them."""
    everything = {p.path: p for p in loaded.query_paths(PROJECT, PathQuery())}
    assert set(everything) == {"/planner", "/planner/tools/search", "/writer"}
    assert (everything["/writer"].request_count, everything["/writer"].session_count) == (3, 2)
    assert everything["/writer"].p50_latency_ms == pytest.approx(1550.0)  # of 100 and 3000
    only_other = loaded.query_paths(PROJECT, PathQuery(filter=path_filter(session_name="other")))
    assert [(p.path, p.request_count) for p in only_other] == [("/planner", 1), ("/writer", 1)]
    assert loaded.query_paths("elsewhere", PathQuery()) == []
