"""Per-key rate limit: a token bucket per key counted in records (a batch costs its number
of records, a query one), 429 with Retry-After beyond it, which the shipper waits out
before it retries."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper
from agenttrace.cli._serve import serve as cli_serve
from agenttrace.records import Record
from agenttrace.server._access import Access
from agenttrace.server._rate_limit import RateLimiter
from agenttrace.server.app import create_app
from agenttrace.server.store import RequestQuery
from agenttrace.server.testing import RunningCollector, running_collector

from .conftest import MakeRecord, bearer, keys_of

_JSON = {"Content-Type": "application/json"}


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
    assert limiter.describe() == "2 records/s (burst 3)"


def test_a_cost_takes_that_many_tokens_or_none() -> None:
    """A cost of N takes N tokens; a cost the bucket does not hold is refused, taking
    nothing; a cost above the burst passes from a full bucket and leaves it in debt."""
    clock = FakeClock()
    limiter = RateLimiter(rate=10.0, burst=20, clock=clock)
    assert limiter.acquire("k", 15) == 0.0
    assert limiter.acquire("k", 6) == pytest.approx(0.1)
    assert limiter.available_in("k", 5) == 0.0
    assert limiter.acquire("k", 5) == 0.0
    assert limiter.available_in("k") == pytest.approx(0.1)
    clock.now += 2.0
    assert limiter.acquire("k", 50) == 0.0
    assert limiter.acquire("k", 1) == pytest.approx(3.1)
    assert limiter.limited == 3


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
    assert "rate limit of 1 records/s (burst 2)" in refused.json()["error"]
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


def test_the_limit_counts_records_not_requests(database_url: str, record: MakeRecord) -> None:
    """With bursts of 10 records (and almost no refill), a batch of 6 records passes, the
    next batch of 6 gets 429 with Retry-After and a sentence naming the batch, and is not
    stored; a batch of 4 then passes: the refusal took nothing."""
    with running_collector(database_url, rate_limit=0.01, rate_burst=10) as collector:
        key = keys_of(collector).create_key("alpha").secret
        with httpx.Client(base_url=collector.url, headers=bearer(key), timeout=30) as client:
            answers = [
                client.post(
                    "/v1/records",
                    json={"records": [record(f"{name}-{i}", name) for i in range(size)]},
                )
                for name, size in (("first", 6), ("second", 6), ("third", 4))
            ]
        stored = collector.store.query_requests("alpha", RequestQuery(limit=100)).requests
    assert [answer.status_code for answer in answers] == [200, 429, 200]
    assert answers[0].json()["accepted"] == 6
    assert answers[2].json()["accepted"] == 4
    refused = answers[1]
    assert 1 <= int(refused.headers["retry-after"]) <= 200
    assert "rate limit of 0.01 records/s (burst 10)" in refused.json()["error"]
    assert "this batch holds 6 records" in refused.json()["error"]
    assert sorted({row.session_id for row in stored}) == ["first", "third"]
    assert len(stored) == 10


def test_a_helicone_log_costs_one_record(tmp_path: Path) -> None:
    """Helicone's manual logger sends one call per request: each costs one token, so
    bursts of 2 let two logs through and refuse the third with 429."""
    log = {
        "providerRequest": {"url": "https://api.openai.com/v1", "json": {"model": "m"}, "meta": {}},
        "providerResponse": {"json": {}, "status": 200, "headers": {}},
    }
    with running_collector(data_dir=tmp_path, rate_limit=0.01, rate_burst=2) as collector:
        key = keys_of(collector).create_key("alpha").secret
        with httpx.Client(base_url=collector.url, headers=bearer(key), timeout=30) as client:
            statuses = [client.post("/custom/v1/log", json=log).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_agenttrace_serve_defaults_are_the_collectors() -> None:
    """`agenttrace serve` (and `python -m agenttrace.server`, the same command) starts with
    the same rate limit, read timeout and connection limit as `create_app`."""
    app_defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(create_app).parameters.items()
    }
    cli_defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(cli_serve).parameters.items()
    }
    for name in ("rate_limit", "read_timeout", "max_connections"):
        assert cli_defaults[name] == app_defaults[name], name


def test_a_batch_that_cannot_be_read_still_costs_one(tmp_path: Path, record: MakeRecord) -> None:
    """Bodies that are not JSON are answered 400 and each still takes a token, so they
    cannot be sent without limit: with bursts of 2, the third request gets 429."""
    with running_collector(data_dir=tmp_path, rate_limit=0.01, rate_burst=2) as collector:
        key = keys_of(collector).create_key("alpha").secret
        with httpx.Client(base_url=collector.url, headers=bearer(key), timeout=30) as client:
            statuses = [
                client.post("/v1/records", content=b"{not json", headers=_JSON).status_code
                for _ in range(2)
            ]
            statuses.append(client.post("/v1/records", json={"records": [record("r")]}).status_code)
    assert statuses == [400, 400, 429]


def test_an_otlp_export_costs_one_token_per_span(tmp_path: Path) -> None:
    """OTLP ingest is counted as ``/v1/records`` is: with bursts of 45, an export of 30
    spans passes, a second one gets 429 with Retry-After and a sentence naming its spans,
    and an export of 12 spans then passes (the refusal took nothing)."""
    pytest.importorskip("opentelemetry.proto", reason="OTLP ingest needs opentelemetry-proto")
    fixtures = Path(__file__).resolve().parents[1] / "otlp" / "fixtures"
    exports = [
        (fixtures / name).read_bytes()
        for name in (
            "supervisor-openinference.pb",  # 30 spans
            "supervisor-openinference.pb",
            "human_in_the_loop-openinference.pb",  # 12 spans
        )
    ]
    with running_collector(data_dir=tmp_path, rate_limit=0.01, rate_burst=45) as collector:
        key = keys_of(collector).create_key("alpha").secret
        headers = {**bearer(key), "Content-Type": "application/x-protobuf"}
        with httpx.Client(base_url=collector.url, headers=headers, timeout=30) as client:
            answers = [client.post("/v1/traces", content=export) for export in exports]
    assert [answer.status_code for answer in answers] == [200, 429, 200]
    refused = answers[1]
    assert 1 <= int(refused.headers["retry-after"]) <= 2000
    assert "this batch holds 30 spans" in refused.json()["error"]
