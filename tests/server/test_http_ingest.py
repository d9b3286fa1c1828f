"""``POST /v1/records`` over real HTTP: metrics, idempotency, partial batches, bad bodies."""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenttrace.server.testing import RunningCollector, running_collector


@pytest.fixture
def client(collector: RunningCollector) -> Iterator[httpx.Client]:
    """An httpx client for the test's collector."""
    with collector.client(timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client for one collector shared by this module's tests that store nothing."""
    with (
        running_collector(data_dir=tmp_path_factory.mktemp("ingest")) as collector,
        collector.client(timeout=30) as http,
    ):
        yield http


def test_hand_built_session_metrics_over_http(
    client: httpx.Client, hand_built: Any, expected_tree: dict[str, Any]
) -> None:
    """Every metric of the hand-built session, its paths, tree and requests, over HTTP."""
    answer = client.post("/v1/records", json={"records": hand_built.records})
    assert answer.status_code == 200
    assert answer.json() == {"accepted": 5, "duplicates": 0, "rejected": []}

    listed = client.get("/v1/sessions").json()
    assert listed["total"] == 1
    assert listed["sessions"] == [hand_built.session]

    detail = client.get(f"/v1/sessions/{hand_built.session_id}").json()
    assert detail["session"] == hand_built.session
    assert {p.pop("path"): p for p in detail["paths"]} == hand_built.paths
    assert detail["tree"] == expected_tree
    assert [r["id"] for r in detail["requests"]] == ["r1", "r2", "r3", "r4", "r5"]
    assert all("request_body" not in r for r in detail["requests"])
    with_bodies = client.get(f"/v1/sessions/{hand_built.session_id}?include_bodies=true").json()
    assert with_bodies["requests"][0]["response_body"] == {"content": "ok"}


def test_same_batch_twice_is_stored_once(client: httpx.Client, hand_built: Any) -> None:
    """A retried batch: all duplicates, nothing stored twice, metrics unchanged."""
    client.post("/v1/records", json={"records": hand_built.records})
    before = client.get(f"/v1/sessions/{hand_built.session_id}").json()
    again = client.post("/v1/records", json={"records": hand_built.records})
    assert again.json() == {"accepted": 0, "duplicates": 5, "rejected": []}
    assert client.get(f"/v1/sessions/{hand_built.session_id}").json() == before
    assert client.get("/v1/requests").json()["total"] == 5


def test_invalid_records_are_reported_and_valid_ones_stored(
    client: httpx.Client, make_record: Any
) -> None:
    """Rejected records are named by index with the field at fault; the rest are stored."""
    good = make_record("good", "s-mixed", start_ms=0, end_ms=5)
    no_session = {"id": "no-session", "start_time": "2025-03-01T10:00:00Z"}
    bad_time = make_record("bad-time", "s-mixed", start_time="yesterday-ish")
    unknown_field = make_record("extra", "s-mixed", colour="blue")
    reversed_times = make_record("reversed", "s-mixed", start_ms=100, end_ms=50)
    bad_tokens = make_record("tokens", "s-mixed", usage={"input_tokens": -1})
    also_good = make_record("good-2", "s-mixed", start_ms=10, end_ms=20)
    batch = [good, no_session, bad_time, unknown_field, "not a record", reversed_times,
             bad_tokens, also_good]  # fmt: skip
    answer = client.post("/v1/records", json={"records": batch})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    rejected = {item["index"]: item for item in body["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 4, 5, 6]
    assert rejected[1]["id"] == "no-session"
    assert "session_id: Field required" in rejected[1]["message"]
    assert rejected[2]["message"].startswith("start_time:")
    assert "colour: Extra inputs are not permitted" in rejected[3]["message"]
    assert rejected[4] == {
        "index": 4,
        "id": None,
        "message": "a record must be a JSON object; got str",
    }
    assert "end_time is before start_time" in rejected[5]["message"]
    assert rejected[6]["message"].startswith("usage.input_tokens:")
    stored = client.get("/v1/requests?session_id=s-mixed&order=asc").json()
    assert [r["id"] for r in stored["requests"]] == ["good", "good-2"]


def test_an_acknowledged_batch_is_committed(collector: RunningCollector, make_record: Any) -> None:
    """Once the answer arrives, another connection to the database file sees the records."""
    with collector.client() as http:
        http.post("/v1/records", json={"records": [make_record("durable", "s-d")]})
    path = collector.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT count(*) FROM records WHERE id = 'durable'").fetchone() == (1,)


def test_gzip_bodies_are_accepted(client: httpx.Client, make_record: Any) -> None:
    """A gzip-encoded batch is inflated and stored."""
    body = gzip.compress(json.dumps({"records": [make_record("gz", "s-gz")]}).encode())
    answer = client.post(
        "/v1/records",
        content=body,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert answer.json()["accepted"] == 1


def test_empty_batch_is_fine(shared_client: httpx.Client) -> None:
    """An empty list of records is accepted with zero counts."""
    assert shared_client.post("/v1/records", json={"records": []}).json() == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": [],
    }


@pytest.mark.parametrize(
    ("content", "status", "fragment"),
    [
        (b'{"records": [', 400, "not valid JSON"),
        (b"\xff\xfe not utf-8", 400, "not valid JSON"),
        (b"", 400, "not valid JSON"),
        (b"[]", 422, "got list"),
        (b'{"items": []}', 422, "unknown key(s) ['items']"),
        (b"{}", 422, "records is nothing"),
        (b'{"records": {"id": "x"}}', 422, "records is dict, not a list"),
        (b'{"records": "many"}', 422, "records is str"),
    ],
)
def test_bad_bodies(
    shared_client: httpx.Client, content: bytes, status: int, fragment: str
) -> None:
    """Malformed JSON is a 400, a body of another shape a 422, each with a sentence."""
    answer = shared_client.post(
        "/v1/records", content=content, headers={"content-type": "application/json"}
    )
    assert answer.status_code == status
    assert fragment in answer.json()["error"]
    assert '{"records": [record, ...]}' in answer.json()["error"]


@pytest.fixture
def small_collector(tmp_path: Path) -> Iterator[RunningCollector]:
    """A collector that accepts bodies of at most 1 KiB."""
    with running_collector(data_dir=tmp_path / "small", max_body_bytes=1024) as running:
        yield running


def test_oversized_bodies_get_413(small_collector: RunningCollector, make_record: Any) -> None:
    """Over the limit by Content-Length, by streamed size, or once inflated: 413."""
    big = json.dumps({"records": [make_record("big", "s", name="x" * 2000)]}).encode()

    def stream() -> Iterator[bytes]:
        yield big[:600]
        yield big[600:]

    bomb = gzip.compress(json.dumps({"records": [], "pad": " " * 100_000}).encode())
    assert len(bomb) < 1024
    with small_collector.client(headers={"content-type": "application/json"}) as http:
        declared = http.post("/v1/records", content=big)
        streamed = http.post("/v1/records", content=stream())
        inflated = http.post("/v1/records", content=bomb, headers={"content-encoding": "gzip"})
        small = http.post("/v1/records", json={"records": [make_record("small", "s")]})
    for answer in (declared, streamed, inflated):
        assert answer.status_code == 413
        assert "limit of 1024 bytes" in answer.json()["error"]
    assert small.json()["accepted"] == 1


def test_bad_encodings(shared_client: httpx.Client) -> None:
    """Broken gzip is a 400; an unknown Content-Encoding is a 415 naming the accepted ones."""
    json_type = {"content-type": "application/json"}
    broken = shared_client.post(
        "/v1/records", content=b"not gzip", headers={**json_type, "content-encoding": "gzip"}
    )
    assert broken.status_code == 400
    assert "not valid gzip" in broken.json()["error"]
    brotli = shared_client.post(
        "/v1/records", content=b"{}", headers={**json_type, "content-encoding": "br"}
    )
    assert brotli.status_code == 415
    assert "identity or gzip" in brotli.json()["error"]
