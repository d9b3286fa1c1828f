"""Per-key rate limit: a token bucket per key, 429 with Retry-After beyond it, which the
shipper waits out before it retries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper
from agenttrace.records import Record
from agenttrace.server._access import Access
from agenttrace.server._rate_limit import RateLimiter
from agenttrace.server.store import RequestQuery
from agenttrace.server.testing import RunningCollector, running_collector

from .conftest import bearer, keys_of


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    """Burst requests pass at once; the next waits 1/rate; tokens come back with time and
    never beyond the burst; each name has its own bucket."""
    clock = FakeClock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("k") == pytest.approx(0.5)
    assert limiter.acquire("other") == 0.0
    clock.now += 0.25
    assert limiter.acquire("k") == pytest.approx(0.25)
    clock.now += 0.25
    assert limiter.acquire("k") == 0.0
    clock.now += 60
    assert [limiter.acquire("k") for _ in range(4)][-1] == pytest.approx(0.5)
    assert limiter.limited == 3
    assert limiter.describe() == "2 requests/s (burst 3)"


@pytest.mark.parametrize(("rate", "burst"), [(0, None), (-1, None), (float("inf"), None), (1, 0)])
def test_a_limit_must_be_positive(rate: float, burst: float | None) -> None:
    """A zero, negative or infinite rate, or a burst under one request, is refused."""
    with pytest.raises(ValueError, match="rate limit"):
        RateLimiter(rate, burst)


@pytest.fixture
def limited(database_url: str) -> Iterator[tuple[RunningCollector, str, str]]:
    """A collector allowing 1 request/s per key in bursts of 2, with keys alpha and beta."""
    with running_collector(database_url, rate_limit=1.0, rate_burst=2) as collector:
        keys = keys_of(collector)
        yield collector, keys.create_key("alpha").secret, keys.create_key("beta").secret


def test_over_the_limit_is_429_with_retry_after(
    limited: tuple[RunningCollector, str, str],
) -> None:
    """The third quick request of a key gets 429, Retry-After and a sentence naming the
    limit; another key is not affected."""
    collector, alpha, beta = limited
    with httpx.Client(base_url=collector.url, headers=bearer(alpha)) as client:
        assert [client.get("/v1/sessions").status_code for _ in range(2)] == [200, 200]
        refused = client.get("/v1/sessions")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert "rate limit of 1 requests/s (burst 2)" in refused.json()["error"]
    assert "retry in 1 s" in refused.json()["error"]
    assert httpx.get(f"{collector.url}/v1/sessions", headers=bearer(beta)).status_code == 200
    access = collector.app.state.access
    assert isinstance(access, Access)
    assert access.limiter is not None
    assert access.limiter.limited == 1


def test_the_shipper_waits_for_retry_after(tmp_path: Path) -> None:
    """A shipper whose second batch gets 429 retries it once, after Retry-After, and the
    collector stores both batches: exactly one request was refused."""
    with running_collector(data_dir=tmp_path / "c", rate_limit=1.0, rate_burst=1) as collector:
        key = keys_of(collector).create_key("alpha").secret
        settings = Settings.from_env(
            collector.url, key, spool_dir=tmp_path / "spool", flush_interval=0.05
        )
        shipper = Shipper(settings)
        try:
            shipper.emit(Record(id="first", session_id="s"))
            assert shipper.flush(10.0)
            shipper.emit(Record(id="second", session_id="s"))
            assert shipper.flush(20.0)
        finally:
            shipper.shutdown(5.0)
        limiter = collector.app.state.access.limiter
        assert limiter.limited == 1
        assert shipper.stats.sent == 2
        assert shipper.stats.retries >= 1
        page = collector.store.query_requests("alpha", RequestQuery())
        assert sorted(row.id for row in page.requests) == ["first", "second"]
