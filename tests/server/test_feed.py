"""The live feed (``GET /v1/feed``) against a real collector on SQLite and PostgreSQL:
records posted while a client follows the cursor appear once, in the order stored, with
the filters applied and only the key's project visible."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from agenttrace.server.store import open_store
from agenttrace.server.testing import RunningCollector, running_collector

START = datetime(2025, 3, 1, 10, tzinfo=UTC)


def _record(record_id: str, seconds: float, **fields: Any) -> dict[str, Any]:
    start = START + timedelta(seconds=seconds)
    return {
        "id": record_id,
        "session_id": fields.pop("session_id", "s-1"),
        "session_name": fields.pop("session_name", "researcher"),
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(seconds=1)).isoformat(),
        **fields,
    }


@pytest.fixture
def keyed(store_factory: Any) -> Iterator[tuple[RunningCollector, dict[str, str]]]:
    """A collector with a key for project "team-a" and one for "team-b"."""
    store = open_store(store_factory.database_url)
    try:
        keys = {p: store.key_store().create_key(p).secret for p in ("team-a", "team-b")}  # type: ignore[attr-defined]
    finally:
        store.close()
    with running_collector(store_factory.database_url) as collector:
        yield collector, keys


def _client(collector: RunningCollector, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=collector.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def _post(client: httpx.Client, *records: dict[str, Any]) -> None:
    answer = client.post("/v1/records", json={"records": list(records)})
    answer.raise_for_status()
    assert answer.json()["accepted"] == len(records), answer.text


def _follow(
    client: httpx.Client, cursor: str, wanted: int, params: dict[str, Any] | None = None
) -> tuple[list[str], str]:
    """Poll the feed from ``cursor`` until ``wanted`` requests came (10 s at most)."""
    seen: list[str] = []
    deadline = time.monotonic() + 10
    while len(seen) < wanted and time.monotonic() < deadline:
        page = client.get("/v1/feed", params={**(params or {}), "after": cursor}).json()
        seen += [row["id"] for row in page["requests"]]
        cursor = page["cursor"]
        if not page["more"] and len(seen) < wanted:
            time.sleep(0.2)  # a poll, as the dashboard does: the feed has no push
    return seen, cursor


def test_records_posted_while_following_appear_once_with_filters(keyed: Any) -> None:
    """The first page holds the newest matching requests; later ones come in the order
    stored (not their start order), once, and only those matching the filters."""
    collector, keys = keyed
    with _client(collector, keys["team-a"]) as client:
        _post(client, *[_record(f"old-{i}", i) for i in range(5)])
        time.sleep(1.1)  # the feed shows requests stored at least a second ago
        first = client.get("/v1/feed", params={"limit": 3})
        assert first.status_code == 200, first.text
        assert [r["id"] for r in first.json()["requests"]] == ["old-2", "old-3", "old-4"]
        cursor = first.json()["cursor"]

        _post(client, _record("late-b", 100, model="gpt-4o"))
        _post(client, _record("late-a", 1, model="gpt-4o"))  # earlier start, stored later
        _post(client, _record("other", 2, model="other-model"))
        seen, cursor = _follow(client, cursor, 2, {"model": "gpt-4o"})
        assert seen == ["late-b", "late-a"]
        again = client.get("/v1/feed", params={"after": cursor, "model": "gpt-4o"}).json()
        assert again["requests"] == []


def test_limit_pages_and_more(keyed: Any) -> None:
    """A backlog larger than limit comes in pages, more=true until the last."""
    collector, keys = keyed
    with _client(collector, keys["team-a"]) as client:
        start = client.get("/v1/feed").json()["cursor"]
        _post(client, *[_record(f"r-{i:02d}", i) for i in range(7)])
        time.sleep(1.1)  # the feed shows requests stored at least a second ago
        first = client.get("/v1/feed", params={"after": start, "limit": 4}).json()
        assert (len(first["requests"]), first["more"]) == (4, True)
        rest = client.get("/v1/feed", params={"after": first["cursor"], "limit": 4}).json()
        assert (len(rest["requests"]), rest["more"]) == (3, False)
        ids = [r["id"] for r in first["requests"] + rest["requests"]]
        assert sorted(ids) == [f"r-{i:02d}" for i in range(7)]


def test_the_feed_is_project_scoped(keyed: Any) -> None:
    """A key sees only its project's requests."""
    collector, keys = keyed
    with _client(collector, keys["team-a"]) as a, _client(collector, keys["team-b"]) as b:
        cursor_b = b.get("/v1/feed").json()["cursor"]
        _post(a, _record("a-only", 1))
        _post(b, _record("b-only", 1))
        seen, _ = _follow(b, cursor_b, 1)
        time.sleep(1.1)
        seen += [r["id"] for r in b.get("/v1/feed").json()["requests"]]
        assert set(seen) == {"b-only"}
        assert b.get("/v1/feed").status_code == 200
        assert httpx.get(f"{collector.url}/v1/feed").status_code == 401


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"after": "nope"}, "after is not one this collector made"),
        ({"after": "f1.bm9wZQ"}, "after is not one this collector made"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
    ],
)
def test_bad_parameters_are_400_naming_them(
    keyed: Any, params: dict[str, Any], fragment: str
) -> None:
    """A cursor not made here, or a limit out of range, is refused with a sentence."""
    collector, keys = keyed
    with _client(collector, keys["team-a"]) as client:
        answer = client.get("/v1/feed", params=params)
    assert answer.status_code in (400, 422)
    assert fragment in answer.text


def test_two_property_filters_narrow_the_feed_and_the_metrics(keyed: Any) -> None:
    """Exactly two ``property=`` filters on /v1/feed and /v1/metrics answered 500: the two
    texts were taken for one (key, value) pair. Both must hold now, on both endpoints."""
    collector, keys = keyed
    with _client(collector, keys["team-a"]) as client:
        _post(
            client,
            _record("both", 1, properties={"env": "prod", "team": "a"}),
            _record("env-only", 2, properties={"env": "prod", "team": "b"}),
            _record("neither", 3, properties={"env": "dev"}),
        )
        time.sleep(1.2)  # the feed shows a request a second after it is stored
        filters = [("property", "env=prod"), ("property", "team=a")]
        feed = client.get("/v1/feed", params=filters)
        metrics = client.get("/v1/metrics", params=filters)
    assert feed.status_code == 200, feed.text
    assert [row["id"] for row in feed.json()["requests"]] == ["both"]
    assert metrics.status_code == 200, metrics.text
    assert [group["requests"] for group in metrics.json()["groups"]] == [1]
