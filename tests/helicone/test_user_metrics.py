"""Helicone's user metrics (``POST /v1/user/metrics/query``) against a real collector on
SQLite and PostgreSQL: per-user figures worked out by hand, filters, time window, sort,
paging, project scoping and bad bodies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from agenttrace.server.store import open_store
from agenttrace.server.testing import running_collector

DAY1 = datetime(2025, 3, 1, 22, 30, tzinfo=UTC)  # 17:30 in New York (UTC-5)
URL = "/v1/user/metrics/query"


def _record(record_id: str, start: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": record_id,
        "session_id": "s-1",
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(seconds=1)).isoformat(),
        **fields,
    }


RECORDS = [
    # alice: three requests on two UTC days (DAY1 22:30, DAY1 23:45, DAY2 10:00)
    _record("a1", DAY1, user_id="alice", model="gpt-4o", cost_usd=0.5,
            usage={"input_tokens": 100, "output_tokens": 20}),
    _record("a2", DAY1 + timedelta(minutes=75), user_id="alice", model="gpt-4o-mini",
            cost_usd=0.25, usage={"input_tokens": 50, "output_tokens": 10}),
    _record("a3", DAY1 + timedelta(hours=11, minutes=30), user_id="alice", model="gpt-4o",
            usage={"input_tokens": 30, "output_tokens": 0}),
    # bob: one request, the costliest
    _record("b1", DAY1 + timedelta(hours=1), user_id="bob", model="gpt-4o", cost_usd=2.0,
            usage={"input_tokens": 10, "output_tokens": 5}),
    # no user: left out
    _record("n1", DAY1, model="gpt-4o", cost_usd=9.0),
]  # fmt: skip


@pytest.fixture
def clients(store_factory: Any) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Clients of projects "team-a" (holding RECORDS) and "team-b" (one other user)."""
    store = open_store(store_factory.database_url)
    try:
        keys = [store.key_store().create_key(p).secret for p in ("team-a", "team-b")]  # type: ignore[attr-defined]
    finally:
        store.close()
    with running_collector(store_factory.database_url) as collector:
        a, b = (
            httpx.Client(base_url=collector.url, headers={"Authorization": f"Bearer {key}"})
            for key in keys
        )
        with a, b:
            assert a.post("/v1/records", json={"records": RECORDS}).json()["accepted"] == 5
            other = _record("z1", DAY1, user_id="zed", cost_usd=1.0)
            assert b.post("/v1/records", json={"records": [other]}).json()["accepted"] == 1
            yield a, b


def _users(client: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = client.post(URL, json={"filter": "all", "offset": 0, "limit": 10, **body})
    assert answer.status_code == 200, answer.text
    envelope = answer.json()
    assert envelope["error"] is None
    return dict(envelope["data"])


def test_each_user_with_days_requests_tokens_and_cost(clients: Any) -> None:
    """Figures per user, the last active first; requests without a user are left out."""
    a, _ = clients
    data = _users(a)
    assert (data["count"], data["hasUsers"]) == (2, True)
    alice, bob = data["users"]
    assert alice == {
        "id": "alice",
        "user_id": "alice",
        "active_for": 2,
        "first_active": "2025-03-01T22:30:00Z",
        "last_active": "2025-03-02T10:00:00Z",
        "total_requests": 3,
        "average_requests_per_day_active": 1.5,
        "average_tokens_per_request": 70.0,
        "total_completion_tokens": 30,
        "total_prompt_tokens": 180,
        "cost": 0.75,
    }
    assert (bob["user_id"], bob["total_requests"], bob["cost"]) == ("bob", 1, 2.0)


def test_local_days_follow_the_zone_difference(clients: Any) -> None:
    """In New York (300 minutes west of UTC) alice's requests fall on two local days,
    twelve hours west on one."""
    a, _ = clients
    new_york = _users(a, timeZoneDifferenceMinutes=300)["users"]
    assert new_york[0]["active_for"] == 2
    far_west = _users(a, timeZoneDifferenceMinutes=720)["users"]  # UTC-12: one local day
    assert far_west[0]["active_for"] == 1


def test_filter_time_window_sort_and_paging(clients: Any) -> None:
    """A Helicone filter tree and a time window narrow the requests; sort and paging
    work as Helicone's."""
    a, _ = clients
    model = {"request_response_rmt": {"model": {"equals": "gpt-4o"}}}
    only_4o = _users(a, filter=model, sort={"cost": "desc"})
    assert [(u["user_id"], u["total_requests"]) for u in only_4o["users"]] == [
        ("bob", 1),
        ("alice", 2),
    ]
    start = int(DAY1.timestamp())
    window = {"startTimeUnixSeconds": start, "endTimeUnixSeconds": start + 5400}
    early = _users(a, timeFilter=window)  # exclusive: a1 at the start is out
    counts = [(u["user_id"], u["total_requests"]) for u in early["users"]]
    assert counts == [("alice", 1), ("bob", 1)]  # a2 at 23:45, b1 at 23:30
    page = _users(a, sort={"user_id": "asc"}, offset=1, limit=1)
    assert ([u["user_id"] for u in page["users"]], page["count"]) == (["bob"], 2)


def test_a_key_sees_its_project_only(clients: Any) -> None:
    """team-b sees its one user; team-a never sees zed."""
    a, b = clients
    assert [u["user_id"] for u in _users(b)["users"]] == ["zed"]
    assert "zed" not in [u["user_id"] for u in _users(a)["users"]]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"filter": "all", "offset": 0}, "lacks limit"),
        ({"filter": "all", "offset": 0, "limit": 10, "sort": {"rate": "asc"}}, "sort by"),
        ({"filter": "all", "offset": 0, "limit": 0}, "limit"),
        (
            {"filter": "all", "offset": 0, "limit": 5, "timeFilter": {"startTimeUnixSeconds": 9,
             "endTimeUnixSeconds": 1}},
            "swap them",
        ),
        ({"filter": {"user_metrics": {"cost": {"gt": 1}}}, "offset": 0, "limit": 5}, "table"),
    ],
)  # fmt: skip
def test_bad_bodies_are_400_in_the_envelope(clients: Any, body: Any, fragment: str) -> None:
    """A body Helicone would refuse (or a filter table agenttrace does not keep) is a 400
    with a sentence in Helicone's envelope."""
    a, _ = clients
    answer = a.post(URL, json=body)
    assert answer.status_code == 400
    assert answer.json()["data"] is None
    assert fragment in answer.json()["error"]
