"""The shipper against the real collector (uvicorn + SQLite on 127.0.0.1)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import httpx

from agenttrace.records import Record, RecordKind, Usage
from agenttrace.server.testing import RunningCollector

if TYPE_CHECKING:
    from conftest import ShipKit


def _stored_ids(url: str, session_id: str) -> list[str]:
    """Every request id the collector stored for ``session_id``, paging through the API."""
    ids: list[str] = []
    with httpx.Client(base_url=url, timeout=30) as client:
        while True:
            page = client.get(
                "/v1/requests",
                params={"session_id": session_id, "limit": 1000, "offset": len(ids)},
            ).raise_for_status()
            rows = page.json()["requests"]
            ids.extend(row["id"] for row in rows)
            if not rows or len(ids) >= page.json()["total"]:
                return ids


def test_records_from_many_threads_are_stored_exactly_once(
    collector: RunningCollector, kit: ShipKit
) -> None:
    """N records emitted from 6 threads are stored in SQLite exactly once each."""
    shipper = kit.shipper(collector.url, batch_size=200, queue_size=10_000)
    per_thread = [
        [
            Record(
                session_id="shipping-it",
                session_path=f"/worker-{n}",
                kind=RecordKind.LLM,
                name="chat",
                model="gpt-4o-mini",
                usage=Usage(input_tokens=12, output_tokens=3),
                request={"messages": [{"role": "user", "content": f"hi {i}"}]},
                response={"content": "hello"},
            )
            for i in range(400)
        ]
        for n in range(6)
    ]
    start = threading.Barrier(len(per_thread))

    def produce(records: list[Record]) -> None:
        start.wait()
        for record in records:
            shipper.emit(record)

    threads = [threading.Thread(target=produce, args=(chunk,)) for chunk in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert shipper.flush(60.0)
    stored = _stored_ids(collector.url, "shipping-it")
    assert len(stored) == len(set(stored)) == 2_400
    assert set(stored) == {r.id for chunk in per_thread for r in chunk}
    stats = shipper.stats
    assert (stats.sent, stats.duplicates, stats.rejected, stats.dropped) == (2_400, 0, 0, 0)
