"""QueryClient.export: requests and sessions to JSONL, CSV and Parquet, and resuming."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from agenttrace.exceptions import UserError
from agenttrace.query import QueryClient
from agenttrace.query._export import state_path


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_requests_to_jsonl_in_pages(collector_url: str, tmp_path: Path) -> None:
    """Every request, oldest first, across pages; no state file is left behind."""
    out = tmp_path / "requests.jsonl"
    seen: list[tuple[int, int | None]] = []
    with QueryClient(collector_url) as client:
        summary = client.export(out, page_size=4, progress=lambda n, t: seen.append((n, t)))
    rows = _jsonl(out)
    assert summary.rows == len(rows) == 14
    assert [row["id"] for row in rows][:3] == ["a1", "a2", "a3"]
    assert "request_body" not in rows[0]
    assert seen[-1] == (14, 14)
    assert len(seen) == 4  # 4 + 4 + 4 + 2
    assert not state_path(out).exists()


def test_filters_bodies_and_csv(collector_url: str, tmp_path: Path) -> None:
    """Filters narrow the export; bodies come when asked; CSV has one header and a row each."""
    out = tmp_path / "llm.csv"
    with QueryClient(collector_url) as client:
        client.export(out, kind="llm", include_bodies=True, properties={"env": "prod"})
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["id"] for row in rows] == ["a1", "a3", "c1", "c2"]
    assert rows[0]["request_body"] == ""  # none stored
    assert json.loads(rows[1]["request_body"]) == {
        "messages": [{"role": "user", "content": "plan a trip"}]
    }


def test_sessions_to_parquet(collector_url: str, tmp_path: Path) -> None:
    """Sessions export to a directory of Parquet parts with typed columns."""
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "sessions.parquet"
    with QueryClient(collector_url) as client:
        summary = client.export(out, "sessions", page_size=3, name="planner")
    table = pq.read_table(out)
    assert summary.rows == table.num_rows == 2
    assert table.column("session_id").to_pylist() == ["sess-a", "sess-b"]
    assert str(table.schema.field("start_time").type) == "timestamp[us, tz=UTC]"
    assert table.column("request_count").to_pylist() == [3, 2]


def test_resume_cuts_a_partial_page_and_goes_on(collector_url: str, tmp_path: Path) -> None:
    """A resume continues from the state file and drops what was written after it."""
    out = tmp_path / "requests.jsonl"
    with QueryClient(collector_url) as client:
        client.export(out, page_size=5)
        whole = out.read_bytes()
        first_two_pages = b"".join(whole.splitlines(keepends=True)[:10])
        rows = _jsonl(out)
        cursor_page = client.requests(order="asc", limit=10)
        # the state a run killed after two pages leaves, plus half a line written after it
        out.write_bytes(first_two_pages + b'{"id": "half')
        state = {
            "version": 1, "what": "requests", "format": "jsonl", "params": [],
            "include_bodies": False, "cursor": cursor_page.next_cursor, "offset": 0,
            "rows": 10, "mark": len(first_two_pages),
        }  # fmt: skip
        state_path(out).write_text(json.dumps(state), encoding="utf-8")
        summary = client.export(out, page_size=5, resume=True)
    assert summary.resumed_from == 10
    assert summary.rows == 14
    assert _jsonl(out) == rows
    assert not state_path(out).exists()


def test_refusals_say_what_to_do(collector_url: str, tmp_path: Path) -> None:
    """Existing output, a resume without state or with other filters, bad filters."""
    out = tmp_path / "r.jsonl"
    out.write_text("x\n", encoding="utf-8")
    with QueryClient(collector_url) as client:
        with pytest.raises(UserError, match="--overwrite"):
            client.export(out)
        with pytest.raises(UserError, match="no unfinished export"):
            client.export(out, resume=True)
        state_path(out).write_text(
            json.dumps({"version": 1, "what": "requests", "format": "jsonl",
                        "params": [["model", "x"]], "include_bodies": False}),
            encoding="utf-8",
        )  # fmt: skip
        with pytest.raises(UserError, match="other settings"):
            client.export(out, resume=True)
        with pytest.raises(UserError, match="cannot filter by min_cost"):
            client.export(tmp_path / "a.jsonl", min_cost=1.0)
        with pytest.raises(UserError, match="format"):
            client.export(tmp_path / "a.txt")
        assert client.export(out, overwrite=True).rows == 14
