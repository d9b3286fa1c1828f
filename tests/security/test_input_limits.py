"""Input limits: each violation is a 4xx naming the limit; in a batch only the offending
records are rejected; odd but valid input (NaN, unpaired surrogates, deep JSON) neither
crashes the collector nor corrupts what it stores. On SQLite and on PostgreSQL."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agenttrace.records import MAX_PROPERTIES
from agenttrace.server.testing import running_collector

from .conftest import MakeRecord

LIMITS = {
    "max_body_bytes": 64 * 1024,
    "max_batch_records": 20,
    "max_record_body_bytes": 2_000,
    "max_body_depth": 8,
}


@pytest.fixture
def client(database_url: str) -> Iterator[httpx.Client]:
    """An HTTP client for an open collector with small limits (so tests stay small)."""
    with running_collector(database_url, **LIMITS) as collector, collector.client() as client:
        yield client


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def test_each_bad_record_is_rejected_alone_naming_its_limit(
    client: httpx.Client, record: MakeRecord
) -> None:
    """One batch: the valid records are stored; each bad one is rejected by index with a
    message naming the field and the limit."""
    emoji = "\U0001f600"
    bad: dict[str, tuple[dict[str, Any], str]] = {
        "long-id": (record("x" * 201), "at most 200 characters"),
        "long-name": (record("r-name", name="n" * 501), "name: String should have at most 500"),
        "properties": (
            record("r-props", properties={f"k{i}": "v" for i in range(MAX_PROPERTIES + 1)}),
            f"at most {MAX_PROPERTIES} are allowed per record",
        ),
        "property-value": (
            record("r-value", properties={"k": "v" * 1001}),
            "value of 1001 characters; at most 1000",
        ),
        "property-name": (record("r-key", properties={"k" * 201: "v"}), "1 to 200 characters"),
        "path-depth": (record("r-deep", session_path="/a" * 65), "at most 64 are allowed"),
        "path-length": (
            record("r-long", session_path="/" + "p" * 2001),
            "session_path: String should have at most 2000",
        ),
        "body-depth": (record("r-nest", request=_nested(9)), "more than 8 levels deep"),
        "body-size": (
            record("r-big", request={"text": "x" * 1500}, response={"text": "y" * 1500}),
            "at most 2000 are allowed per record (max_record_body_bytes)",
        ),
        "index": (
            record("r-index", session_id=emoji * 200, properties={"k": emoji * 500}),
            "fit in the store's index",
        ),
        "tokens": (
            record("r-tokens", usage={"input_tokens": 10**30}),
            "less than or equal to 10000000000",
        ),
        "cost": (record("r-cost", cost_usd=1e308), "cost_usd: Input should be less than"),
        "time": (
            record("r-time", start_time="0001-01-01T00:00:00+14:00", end_time=None),
            "out of range in UTC",
        ),
        "kind": (record("r-kind", kind="bogus"), "kind: Input should be"),
        "not-an-object": ([1, 2], "a record must be a JSON object"),
    }
    good = [record("ok-1"), record("ok-2", session_id="s-2")]
    items = [good[0], *(item for item, _ in bad.values()), good[1]]
    answer = client.post("/v1/records", json={"records": items})
    assert answer.status_code == 200
    result = answer.json()
    assert (result["accepted"], result["duplicates"]) == (2, 0)
    messages = {entry["index"]: entry["message"] for entry in result["rejected"]}
    assert sorted(messages) == list(range(1, len(bad) + 1))
    for index, (name, (_, expected)) in enumerate(bad.items(), start=1):
        assert expected in messages[index], (name, messages[index])
    assert client.get("/v1/requests").json()["total"] == 2


def test_a_batch_over_the_record_limit_is_413(client: httpx.Client, record: MakeRecord) -> None:
    """More records than max_batch_records: 413 naming the limit, nothing stored."""
    answer = client.post("/v1/records", json={"records": [record(f"r{i}") for i in range(21)]})
    assert answer.status_code == 413
    assert "at most 20 are allowed per batch (max_batch_records)" in answer.json()["error"]
    assert client.get("/v1/requests").json()["total"] == 0


def test_a_body_over_the_size_limit_is_413_plain_or_gzipped(client: httpx.Client) -> None:
    """A body over max_body_bytes is refused with 413, also when it only inflates to it."""
    big = json.dumps({"records": [], "pad": "x" * 70_000}).encode()
    answer = client.post("/v1/records", content=big, headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert "max_body_bytes" in answer.json()["error"]
    bomb = gzip.compress(b'{"records": [' + b" " * 10_000_000 + b"]}")
    assert len(bomb) < 64 * 1024
    answer = client.post(
        "/v1/records",
        content=bomb,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert answer.status_code == 413


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"[" * 60_000, 400, "too deeply"),
        (b'{"records": [' + b"[" * 5000, 400, "too deeply"),
        (b"\xff\xfe{}", 400, "not valid JSON"),
        (b'{"records": {}}', 422, "not a list"),
        (b'{"records": [], "extra": 1}', 422, "unknown key"),
        (b'"records"', 422, "got str"),
    ],
)
def test_malformed_bodies_are_4xx(
    client: httpx.Client, body: bytes, status: int, fragment: str
) -> None:
    """Deeply nested, undecodable and wrongly shaped bodies get a 4xx that says why."""
    answer = client.post("/v1/records", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == status
    assert fragment in answer.json()["error"]


def test_odd_but_valid_bodies_are_stored_readable(client: httpx.Client) -> None:
    """NaN and Infinity (not JSON) are stored as null, numbers too large for a float as
    null, unpaired UTF-16 surrogates as U+FFFD; every read answers valid JSON."""
    raw = (
        '{"records": [{"id": "odd", "session_id": "s-odd", "name": "\\ud83d\\ude00 ok",'
        ' "request": {"nan": NaN, "inf": -Infinity, "huge": 1e400, "big": 123456789012345678901234,'
        ' "lone": "a\\ud800b", "pair": "\\ud83d\\ude00", "nul": "x\\u0000y"},'
        ' "response": "\\udfff"}]}'
    )
    answer = client.post("/v1/records", content=raw, headers={"content-type": "application/json"})
    assert answer.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    stored = client.get("/v1/requests/odd")
    assert stored.status_code == 200
    row = stored.json()
    assert row["request_body"] == {
        "nan": None,
        "inf": None,
        "huge": None,
        "big": 123456789012345678901234,
        "lone": "a\ufffdb",
        "pair": "\U0001f600",
        "nul": row["request_body"]["nul"],  # NUL is kept where the store can hold it
    }
    assert row["request_body"]["nul"] in {"x\x00y", "x\ufffdy"}
    assert row["response_body"] == "\ufffd"
    assert row["name"] == "\U0001f600 ok"
    helicone = client.get("/v1/request/odd", params={"includeBody": "true"})
    assert helicone.status_code == 200
    assert client.get("/v1/sessions/s-odd", params={"include_bodies": "true"}).status_code == 200


def test_a_string_field_with_an_unpaired_surrogate_is_repaired(client: httpx.Client) -> None:
    """A typed text field holding invalid Unicode is stored repaired (U+FFFD, an id-like
    field with a digest of what was sent) and marked, beside the valid record."""
    raw = '{"records": [{"id": "s1", "session_id": "\\ud800"}, {"id": "s2", "session_id": "ok"}]}'
    answer = client.post("/v1/records", content=raw, headers={"content-type": "application/json"})
    assert answer.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    stored = client.get("/v1/requests/s1").json()
    assert stored["session_id"].startswith("\ufffd~")
    assert stored["properties"]["agenttrace.repaired"] == "session_id"


@pytest.mark.parametrize(
    ("path", "params", "fragment"),
    [
        ("/v1/sessions", [("property", f"k{i}=v") for i in range(101)], "more than 100 conditions"),
        ("/v1/requests", [("property", f"k{i}=v") for i in range(101)], "more than 100 conditions"),
        ("/v1/requests", [("path", "/a" * 65)], "at most 64 are allowed"),
        ("/v1/sessions", [("offset", str(2**63))], "offset"),
        ("/v1/requests", [("limit", "1001")], "limit"),
        ("/v1/sessions", [("property", "=v")], "property"),
        ("/v1/sessions", [("since", "10000-01-01T00:00:00")], "since"),
        ("/v1/sessions", [("min_cost", "nan")], "min_cost"),
    ],
)
def test_query_parameters_over_the_limits_are_400(
    client: httpx.Client, path: str, params: list[tuple[str, str]], fragment: str
) -> None:
    """Filters too large, paths too deep, pages out of range: 400 naming the parameter."""
    answer = client.get(path, params=params)
    assert answer.status_code == 400, answer.text
    assert fragment in answer.json()["error"]


def test_helicone_filters_too_deep_or_too_large_are_400(client: httpx.Client) -> None:
    """A Helicone filter tree nested too deeply or with too many leaves gets 400 (a long
    chain of one operator is flattened, so it only counts leaves)."""
    leaf: Any = {"request_response_rmt": {"model": {"equals": "m"}}}
    deep = leaf
    for level in range(40):
        deep = {"left": deep, "operator": "and" if level % 2 else "or", "right": leaf}
    answer = client.post("/v1/request/query", json={"filter": deep})
    assert answer.status_code == 400
    assert answer.json()["data"] is None
    assert "levels" in answer.json()["error"]
    chain = leaf
    for _ in range(90):
        chain = {"left": chain, "operator": "or", "right": leaf}
    assert client.post("/v1/request/count/query", json={"filter": chain}).json()["data"] == 0
    balanced: list[Any] = [leaf] * 128
    while len(balanced) > 1:
        balanced = [
            {"left": balanced[i], "operator": "or", "right": balanced[i + 1]}
            for i in range(0, len(balanced), 2)
        ]
    answer = client.post("/v1/request/count/query", json={"filter": balanced[0]})
    assert answer.status_code == 400
    assert "more than 100 conditions" in answer.json()["error"]
    path_leaf = {"request_response_rmt": {"properties": {"Helicone-Session-Path": {
        "equals": "/a" * 65}}}}  # fmt: skip
    answer = client.post("/v1/request/query", json={"filter": path_leaf})
    assert answer.status_code == 400
    assert "at most 64" in answer.json()["error"]


def test_helicone_logs_over_the_limits_are_400(client: httpx.Client) -> None:
    """Helicone-shaped ingest applies the same per-record limits (400 naming them)."""
    log: dict[str, Any] = {
        "providerRequest": {"url": "https://x", "json": {"deep": _nested(9)}, "meta": {}},
        "providerResponse": {"json": {}, "status": 200, "headers": {}},
    }
    answer = client.post("/custom/v1/log", json=log, headers={"Helicone-Session-Id": "h"})
    assert answer.status_code == 400
    assert "max_body_depth" in answer.json()["error"]
    log["providerRequest"]["json"] = {}
    answer = client.post(
        "/custom/v1/log",
        json=log,
        headers={"Helicone-Session-Id": "h", "Helicone-Session-Path": "/a" * 65},
    )
    assert answer.status_code == 400
    assert "at most 64" in answer.json()["error"]
    answer = client.post("/custom/v1/log", json=log, headers={"Helicone-Property-Big": "v" * 1001})
    assert answer.status_code == 400
    assert "at most 1000" in answer.json()["error"]
