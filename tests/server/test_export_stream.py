"""The export streams (``GET /v1/export/requests``, ``/v1/export/sessions``) against a real
collector on SQLite and PostgreSQL: the rows of the paged lists, in their order, with their
filters, each once when resumed from any line, only the key's project; and the query
client's export through them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenttrace.query import AsyncQueryClient, QueryClient
from agenttrace.query._export import state_path
from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage
from agenttrace.server.store import open_store
from agenttrace.server.store._export_stream import ExportQuery
from agenttrace.server.store.base import Store, request_filter
from agenttrace.server.testing import RunningCollector, running_collector

START = datetime(2025, 3, 1, 10, tzinfo=UTC)
Row = dict[str, Any]


def _records(project_tag: str = "") -> list[Record]:
    """Four sessions; several requests share a start time (the id breaks the tie); some
    carry bodies, errors, costs, and text that JSON escapes or keeps as it is."""
    records = []
    for i in range(23):
        start = START + timedelta(seconds=i // 3)  # three requests a second
        session = f"{project_tag}s-{i % 4}"
        records.append(
            Record(
                id=f"{project_tag}r-{(i * 7) % 23:02d}",  # ids not in time order
                kind=RecordKind.LLM if i % 2 else RecordKind.TOOL,
                session_id=session,
                session_name="planner" if i % 4 < 2 else "researcher",
                session_path="/agent" if i % 2 else "/tools/search",
                name=f'call {i} — ünïcode 🙂 "quoted" back\\slash\n\t\x01\u2028',
                model="gpt-4o-mini" if i % 2 else None,
                user_id=f"user-{i % 3}",
                properties={"env": "prod" if i % 3 else "dev", "n": str(i)},
                start_time=start,
                end_time=start + timedelta(milliseconds=100 + i),
                status=Status.ERROR if i == 5 else Status.OK,
                error=ErrorInfo(type="ValueError", message="bad") if i == 5 else None,
                usage=Usage(input_tokens=10 * i, output_tokens=i) if i % 2 else None,
                cost_usd=0.00001 * i if i % 2 else None,
                request={"messages": [{"role": "user", "content": f"q{i}"}]} if i % 5 else None,
                response={"text": "ok", "n": [1.5, None, True]} if i % 5 == 1 else None,
            )
        )
    return records


@pytest.fixture
def keyed(store_factory: Any) -> Iterator[tuple[RunningCollector, dict[str, str]]]:
    """A collector with the records in project "team-a", others in "team-b", a key each."""
    store = open_store(store_factory.database_url)
    try:
        keys = {p: store.key_store().create_key(p).secret for p in ("team-a", "team-b")}  # type: ignore[attr-defined]
        store.ingest("team-a", _records())
        store.ingest("team-b", _records("b-"))
    finally:
        store.close()
    with running_collector(store_factory.database_url, rate_limit=None) as collector:
        yield collector, keys


def _client(collector: RunningCollector, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=collector.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def _stream(client: httpx.Client, what: str, params: dict[str, Any] | None = None) -> list[Row]:
    answer = client.get(f"/v1/export/{what}", params=params or {})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/x-ndjson"
    assert answer.content == b"" or answer.content.endswith(b"\n")
    return [json.loads(line) for line in answer.content.splitlines()]


def _listed_requests(client: httpx.Client, params: dict[str, Any] | None = None) -> list[Row]:
    """Every request of the paged list, oldest first, following its cursors."""
    rows: list[Row] = []
    query: dict[str, Any] = {**(params or {}), "order": "asc", "limit": 4}
    while True:
        page = client.get("/v1/requests", params=query).json()
        rows += page["requests"]
        if page["next_cursor"] is None:
            return rows
        query = {**(params or {}), "cursor": page["next_cursor"], "limit": 4}


def _listed_sessions(client: httpx.Client, params: dict[str, Any] | None = None) -> list[Row]:
    query = {**(params or {}), "sort": "start_time", "order": "asc", "limit": 1000}
    answer = client.get("/v1/sessions", params=query)
    assert answer.status_code == 200, answer.text
    sessions: list[Row] = answer.json()["sessions"]
    return sessions


@pytest.mark.parametrize("bodies", [False, True])
def test_requests_stream_the_rows_of_the_list(keyed: Any, bodies: bool) -> None:
    """Every request, as GET /v1/requests answers it (bodies when asked), oldest first."""
    collector, keys = keyed
    params = {"include_bodies": bodies}
    with _client(collector, keys["team-a"]) as client:
        streamed = _stream(client, "requests", params)
        assert streamed == _listed_requests(client, params)
    assert len(streamed) == 23
    assert [(r["start_time"], r["id"]) for r in streamed] == sorted(
        (r["start_time"], r["id"]) for r in streamed
    )
    assert ("request_body" in streamed[0]) is bodies


def test_sessions_stream_the_rows_of_the_list(keyed: Any) -> None:
    """Every session, as GET /v1/sessions answers it, by start."""
    collector, keys = keyed
    with _client(collector, keys["team-a"]) as client:
        streamed = _stream(client, "sessions")
        assert streamed == _listed_sessions(client)
    assert [row["session_id"] for row in streamed] == ["s-0", "s-1", "s-2", "s-3"]


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "llm"},
        {"property": "env=dev", "status": "ok"},
        {"session_id": "s-2", "path": "/tools/search"},
        {"since": "2025-03-01T10:00:02Z", "until": "2025-03-01T10:00:05Z", "model": "gpt-4o-mini"},
        {"search": "R-1", "user_id": "user-1"},
        {"session_id": "nobody"},
    ],
)
def test_requests_stream_takes_the_list_filters(keyed: Any, params: dict[str, Any]) -> None:
    """The request list's filters select the same requests in the stream."""
    collector, keys = keyed
    with _client(collector, keys["team-a"]) as client:
        assert _stream(client, "requests", params) == _listed_requests(client, params)


@pytest.mark.parametrize(
    "params",
    [
        {"name": "planner"},
        {"status": "error"},
        {"property": "env=prod", "min_cost": "0.00005"},
        {"search": "S-3", "user_id": "user-0"},
    ],
)
def test_sessions_stream_takes_the_list_filters(keyed: Any, params: dict[str, Any]) -> None:
    """The session list's filters select the same sessions in the stream."""
    collector, keys = keyed
    with _client(collector, keys["team-a"]) as client:
        streamed = _stream(client, "sessions", params)
        assert streamed == _listed_sessions(client, params)
    assert streamed


@pytest.mark.parametrize(("what", "id_field"), [("requests", "id"), ("sessions", "session_id")])
def test_resuming_after_any_line_gives_each_row_once(keyed: Any, what: str, id_field: str) -> None:
    """after_time / after_id of any line (ties of start time included) go on with exactly
    the rows after it; limit cuts a stream short."""
    collector, keys = keyed
    with _client(collector, keys["team-a"]) as client:
        whole = _stream(client, what)
        for k, line in enumerate(whole):
            after = {"after_time": line["start_time"], "after_id": line[id_field]}
            assert _stream(client, what, after) == whole[k + 1 :]
            limited = _stream(client, what, {**after, "limit": 2})
            assert limited == whole[k + 1 : k + 3]
        # a time alone: the rows that started after it
        assert _stream(client, what, {"after_time": whole[0]["start_time"]}) == [
            row for row in whole if row["start_time"] > whole[0]["start_time"]
        ]


def test_streams_are_project_scoped(keyed: Any) -> None:
    """A key exports its project's rows only; no key, no export."""
    collector, keys = keyed
    with _client(collector, keys["team-b"]) as client:
        requests = _stream(client, "requests")
        sessions = _stream(client, "sessions")
    assert len(requests) == 23
    assert all(row["id"].startswith("b-") for row in requests)
    assert all(row["session_id"].startswith("b-") for row in sessions)
    for what in ("requests", "sessions"):
        assert httpx.get(f"{collector.url}/v1/export/{what}").status_code == 401


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"after_id": "r-01"}, "after_id needs after_time"),
        ({"limit": 0}, "limit"),
        ({"after_time": "yesterday"}, "after_time"),
        ({"since": "soon"}, "since"),
        ({"kind": "nope"}, "kind"),
    ],
)
def test_bad_parameters_get_400_before_any_row(
    keyed: Any, params: dict[str, Any], fragment: str
) -> None:
    """A bad parameter is answered 400 with a sentence, not a broken stream."""
    collector, keys = keyed
    with _client(collector, keys["team-a"]) as client:
        answer = client.get("/v1/export/requests", params=params)
    assert answer.status_code == 400
    assert fragment in answer.json()["error"]


def test_small_chunks_and_a_byte_bound_change_nothing(store: Store) -> None:
    """Chunks of two rows, and chunks cut short by their bodies' bytes, stream the same
    lines as one chunk does."""
    store.ingest("default", _records())
    whole = b"".join(store.export_requests("default", ExportQuery(include_bodies=True)))
    small = list(
        store.export_requests("default", ExportQuery(include_bodies=True, chunk=2, page_bytes=120))
    )
    assert len(small) >= 12
    assert b"".join(small) == whole
    llm = ExportQuery(filter=request_filter(kind="llm"), chunk=3, limit=5)
    assert b"".join(store.export_requests("default", llm)).count(b"\n") == 5


def test_client_export_resumes_through_the_stream(keyed: Any, tmp_path: Path) -> None:
    """QueryClient.export stopped after two pages and resumed writes every filtered
    request once, as a whole run does; CSV parses the lines."""
    collector, keys = keyed
    out, whole = tmp_path / "part.jsonl", tmp_path / "whole.jsonl"

    def stop(rows: int, total: int | None) -> None:
        assert total == 11
        if rows == 6:
            raise KeyboardInterrupt

    with QueryClient(collector.url, api_key=keys["team-a"]) as client:
        client.export(whole, kind="llm", page_size=3)
        with pytest.raises(KeyboardInterrupt):
            client.export(out, kind="llm", page_size=3, progress=stop)
        assert json.loads(state_path(out).read_text(encoding="utf-8"))["rows"] == 6
        summary = client.export(out, kind="llm", page_size=3, resume=True)
        csv_rows = client.export(tmp_path / "s.csv", "sessions", name="planner").rows
    assert (summary.resumed_from, summary.rows) == (6, 11)
    assert out.read_bytes() == whole.read_bytes()
    assert csv_rows == 2


async def test_async_client_exports_through_the_stream(keyed: Any, tmp_path: Path) -> None:
    """AsyncQueryClient.export writes what QueryClient.export writes."""
    collector, keys = keyed
    sync_out, async_out = tmp_path / "sync.jsonl", tmp_path / "async.jsonl"
    with QueryClient(collector.url, api_key=keys["team-a"]) as client:
        client.export(sync_out, include_bodies=True)
    async with AsyncQueryClient(collector.url, api_key=keys["team-a"]) as client:
        summary = await client.export(async_out, include_bodies=True, page_size=7)
    assert summary.rows == 23
    assert async_out.read_bytes() == sync_out.read_bytes()
