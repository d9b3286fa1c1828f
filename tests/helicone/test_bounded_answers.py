"""Helicone's request queries are bounded too: ``limit`` at most 1000, and an answer with
bodies stops before 8 MiB (its rows then continue at ``offset`` plus their number)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from agenttrace.records import Record, RecordKind
from agenttrace.server.store.base import MAX_PAGE_BYTES
from agenttrace.server.testing import RunningCollector

MIB = 1024 * 1024
T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
BY_SESSION = {"request_response_rmt": {"properties": {"Helicone-Session-Id": {"equals": "heavy"}}}}


def seed(collector: RunningCollector) -> list[str]:
    """Twelve requests of session ``heavy`` with 1 MiB request bodies; their ids, newest
    first."""
    records = [
        Record(
            id=f"heavy-{index:02d}",
            kind=RecordKind.CUSTOM,
            session_id="heavy",
            name="upload",
            start_time=T0 + timedelta(seconds=index),
            end_time=T0 + timedelta(seconds=index, milliseconds=5),
            request={"blob": "x" * MIB},
        )
        for index in range(12)
    ]
    for half in (records[:6], records[6:]):
        body = {"records": [record.model_dump(mode="json") for record in half]}
        httpx.post(f"{collector.url}/v1/records", json=body, timeout=60).raise_for_status()
    return [record.id for record in reversed(records)]


def test_request_query_with_bodies_stops_before_the_budget(collector: RunningCollector) -> None:
    """limit 12 of twelve 1 MiB bodies: fewer rows, under 8 MiB; offset paging gets all."""
    expected = seed(collector)
    seen: list[str] = []
    with collector.client(timeout=60) as client:
        while len(seen) < len(expected):
            answer = client.post(
                "/v1/request/query", json={"filter": BY_SESSION, "limit": 12, "offset": len(seen)}
            )
            assert answer.status_code == 200
            assert len(answer.content) < MAX_PAGE_BYTES + MIB
            rows = answer.json()["data"]
            assert 1 <= len(rows) < 12
            assert all(row["request_body"] == {"blob": "x" * MIB} for row in rows)
            seen += [row["request_id"] for row in rows]
        over = client.post("/v1/request/query", json={"filter": "all", "limit": 1001})
        ids = client.post("/v1/request/query-ids", json={"requestIds": expected})
    assert seen == expected
    assert over.status_code == 400
    assert "limit must be a whole number from 1 to 1000" in over.json()["error"]
    assert ids.status_code == 200
    assert 1 <= len(ids.json()["data"]) < 12
