"""compute_cost: genai-prices' figures, our token convention, None for the unknown."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
import pytest
from genai_prices import data_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from agenttrace.core import pricing
from agenttrace.core.pricing import compute_cost
from agenttrace.records import Usage

AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def genai(
    model: str,
    provider: str | None,
    *,
    at: datetime = AT,
    **counts: int,
) -> float:
    """genai-prices' own answer, the reference every figure is checked against."""
    price = genai_prices.calc_price(
        genai_prices.Usage(**counts), model, provider_id=provider, genai_request_timestamp=at
    )
    return float(price.total_price)


def test_known_model_costs_what_genai_prices_says() -> None:
    """gpt-4o at OpenAI: input and output tokens priced as genai-prices prices them."""
    usage = Usage(input_tokens=1000, output_tokens=200)
    expected = genai("gpt-4o", "openai", input_tokens=1000, output_tokens=200)
    assert expected > 0
    assert compute_cost("gpt-4o", "openai", usage, at=AT) == pytest.approx(expected, rel=1e-9)


def test_cached_input_tokens_are_part_of_input_tokens() -> None:
    """Our input_tokens include cache reads, as genai-prices' do: cached tokens are cheaper."""
    cached = compute_cost("gpt-4o", "openai", Usage(input_tokens=1000, cache_read_tokens=1000))
    uncached = compute_cost("gpt-4o", "openai", Usage(input_tokens=1000))
    assert cached is not None
    assert uncached is not None
    assert cached < uncached
    assert cached == pytest.approx(
        float(
            genai_prices.calc_price(
                genai_prices.Usage(input_tokens=1000, cache_read_tokens=1000),
                "gpt-4o",
                provider_id="openai",
            ).total_price
        ),
        rel=1e-9,
    )


def test_anthropic_cache_writes_are_priced() -> None:
    """Cache writes (priced above plain input at Anthropic) pass through to genai-prices."""
    usage = Usage(
        input_tokens=3000, cache_write_tokens=2000, cache_read_tokens=500, output_tokens=10
    )
    expected = genai(
        "claude-3-5-sonnet-latest",
        "anthropic",
        input_tokens=3000,
        cache_write_tokens=2000,
        cache_read_tokens=500,
        output_tokens=10,
    )
    cost = compute_cost("claude-3-5-sonnet-latest", "anthropic", usage, at=AT)
    assert cost == pytest.approx(expected, rel=1e-9)
    plain = compute_cost(
        "claude-3-5-sonnet-latest", "anthropic", Usage(input_tokens=3000, output_tokens=10), at=AT
    )
    assert plain is not None
    assert cost is not None
    assert cost != plain


def test_one_hour_cache_writes_are_priced_at_their_own_rate() -> None:
    """One-hour cache writes (a part of the cache writes) cost more than five-minute ones,
    as genai-prices' ``cache_write_1h_tokens`` prices them."""
    one_hour = Usage(
        input_tokens=3000, cache_write_tokens=2000, cache_write_1h_tokens=500, output_tokens=10
    )
    expected = genai(
        "claude-haiku-4-5",
        "anthropic",
        input_tokens=3000,
        cache_write_tokens=2000,
        cache_write_1h_tokens=500,
        output_tokens=10,
    )
    cost = compute_cost("claude-haiku-4-5", "anthropic", one_hour, at=AT)
    assert cost == pytest.approx(expected, abs=1e-12)
    five_minutes = compute_cost(
        "claude-haiku-4-5",
        "anthropic",
        one_hour.model_copy(update={"cache_write_1h_tokens": 0}),
        at=AT,
    )
    assert cost is not None
    assert five_minutes is not None
    assert cost > five_minutes


def test_tiered_prices_switch_above_the_threshold() -> None:
    """Above genai-prices' tier threshold (Claude Sonnet 4.5, 200k input) the tier price applies."""
    low = compute_cost("claude-sonnet-4-5", "anthropic", Usage(input_tokens=200_000), at=AT)
    high = compute_cost("claude-sonnet-4-5", "anthropic", Usage(input_tokens=200_001), at=AT)
    assert low == pytest.approx(genai("claude-sonnet-4-5", "anthropic", input_tokens=200_000))
    assert high == pytest.approx(genai("claude-sonnet-4-5", "anthropic", input_tokens=200_001))
    assert low is not None
    assert high is not None
    assert high / 200_001 > low / 200_000 * 1.5  # the whole input moves to the higher rate


def test_time_of_day_prices_follow_at() -> None:
    """DeepSeek's off-peak price applies at 17:00 UTC and not at 03:00 UTC, as in genai-prices."""
    usage = Usage(input_tokens=100_000, output_tokens=10_000)
    costs = {}
    for hour in (3, 17):
        at = datetime(2025, 6, 1, hour, 0, tzinfo=UTC)
        costs[hour] = compute_cost("deepseek-chat", "deepseek", usage, at=at)
        expected = genai(
            "deepseek-chat", "deepseek", at=at, input_tokens=100_000, output_tokens=10_000
        )
        assert costs[hour] == pytest.approx(expected, rel=1e-9)
    assert costs[3] != costs[17]


def test_reasoning_tokens_are_priced_when_the_model_prices_them() -> None:
    """A model with its own reasoning-token price gets it (reasoning is part of the output)."""
    priced = [
        (provider.id, model.id)
        for provider in data_snapshot.get_snapshot().providers
        for model in provider.models
        if not isinstance(model.prices, list)
        and getattr(model.prices, "output_reasoning_mtok", None) is not None
    ]
    assert priced, "genai-prices has no model with a reasoning price any more"
    provider_id, model_id = priced[0]
    usage = Usage(input_tokens=100, output_tokens=1000, reasoning_tokens=600)
    expected = genai(
        model_id, provider_id, input_tokens=100, output_tokens=1000, output_reasoning_tokens=600
    )
    assert compute_cost(model_id, provider_id, usage, at=AT) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("no-such-model-xyz", "openai"),
        ("no-such-model-xyz", None),
        ("llama3", "ollama"),  # a provider genai-prices does not know: not another's price
        ("meta-llama/Llama-3-8b", "openai"),  # an OpenAI-compatible server running Llama
        ("", "openai"),
        (None, "openai"),
    ],
)
def test_unknown_model_or_provider_costs_none(model: str | None, provider: str | None) -> None:
    """What genai-prices does not know has no cost (None, not 0), and nothing raises."""
    assert compute_cost(model, provider, Usage(input_tokens=10, output_tokens=5)) is None


def test_no_usage_costs_none() -> None:
    """Without usage, or with a usage that counts nothing, the cost is unknown."""
    assert compute_cost("gpt-4o", "openai", None) is None
    assert compute_cost("gpt-4o", "openai", Usage()) is None


def test_zero_tokens_cost_zero() -> None:
    """A call that used no tokens of a known model costs 0.0 (known, not unknown)."""
    assert compute_cost("gpt-4o", "openai", Usage(input_tokens=0, output_tokens=0)) == 0.0


def test_counts_against_the_convention_cost_none() -> None:
    """More cached tokens than input tokens breaks the convention: no figure is invented."""
    usage = Usage(input_tokens=10, cache_read_tokens=300, output_tokens=5)
    assert compute_cost("gpt-4o", "openai", usage) is None
    assert compute_cost("gpt-4o", "openai", Usage(output_tokens=5, reasoning_tokens=9)) is None


def test_missing_input_count_is_the_cached_tokens() -> None:
    """With only cache counts known, the input is taken to be those cached tokens."""
    cost = compute_cost("gpt-4o", "openai", Usage(cache_read_tokens=1000, output_tokens=0), at=AT)
    assert cost == pytest.approx(
        genai("gpt-4o", "openai", input_tokens=1000, cache_read_tokens=1000), rel=1e-9
    )


@pytest.mark.parametrize(
    ("model", "provider", "expected_model", "expected_provider"),
    [
        ("gemini-1.5-pro", "google_genai", "gemini-1.5-pro", "google"),
        ("gemini-1.5-pro", "google_vertexai", "gemini-1.5-pro", "google"),
        ("gpt-4o", None, "gpt-4o", "openai"),
        ("openai/gpt-4o", None, "gpt-4o", "openai"),
        ("gpt-4o-2024-08-06", "openai", "gpt-4o-2024-08-06", "openai"),
    ],
)
def test_provider_aliases_and_prefixes(
    model: str, provider: str | None, expected_model: str, expected_provider: str
) -> None:
    """LangChain's provider names and 'provider/model' refs find genai-prices' price."""
    usage = Usage(input_tokens=1000, output_tokens=100)
    expected = genai(expected_model, expected_provider, input_tokens=1000, output_tokens=100)
    assert compute_cost(model, provider, usage, at=AT) == pytest.approx(expected, rel=1e-9)


def test_new_price_data_drops_the_caches() -> None:
    """When genai-prices switches to other data (UpdatePrices), costs follow the new data."""
    usage = Usage(input_tokens=1_000_000)
    before = compute_cost("gpt-4o", "openai", usage, at=AT)
    snapshot = data_snapshot.get_snapshot()
    openai = next(p for p in snapshot.providers if p.id == "openai")
    gpt4o = next(m for m in openai.models if m.id == "gpt-4o")
    doubled = genai_prices.types.ModelPrice(input_mtok=Decimal(5), output_mtok=Decimal(20))
    changed_model = genai_prices.types.ModelInfo(id="gpt-4o", match=gpt4o.match, prices=doubled)
    changed_openai = genai_prices.types.Provider(
        id="openai", name="OpenAI", api_pattern=openai.api_pattern, models=[changed_model]
    )
    data_snapshot.set_custom_snapshot(
        data_snapshot.DataSnapshot(providers=[changed_openai], from_auto_update=True)
    )
    try:
        assert compute_cost("gpt-4o", "openai", usage, at=AT) == pytest.approx(5.0)
    finally:
        data_snapshot.set_custom_snapshot(None)
    assert compute_cost("gpt-4o", "openai", usage, at=AT) == before


def test_repeated_calls_do_not_ask_genai_prices_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """After the first call, a model's rates come from the cache, not from genai-prices."""
    usage = Usage(input_tokens=123, output_tokens=45)
    first = compute_cost("gpt-4o-mini", "openai", usage, at=AT)
    assert first is not None

    def unavailable(*args: object, **kwargs: object) -> None:
        raise AssertionError("genai-prices was asked again")

    monkeypatch.setattr(genai_prices, "calc_price", unavailable)
    monkeypatch.setattr(genai_prices.types.ModelPrice, "calc_price", unavailable)
    assert compute_cost("gpt-4o-mini", "openai", usage, at=AT) == first
    assert compute_cost("gpt-4o-mini", "openai", Usage(input_tokens=7), at=AT) is not None


def test_internal_failure_gives_none_outside_tests(
    log_mode: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An internal failure gives None and a log line, never an exception for the caller."""

    def broken(model: str, provider: str | None) -> None:
        raise RuntimeError("price data unreadable")

    monkeypatch.setattr(pricing, "_model_info", broken)
    assert compute_cost("gpt-4o", "openai", Usage(input_tokens=1)) is None
    assert "compute_cost" in caplog.text


def test_internal_failure_surfaces_under_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under pytest the same failure is raised, so that bugs are seen."""

    def broken(model: str, provider: str | None) -> None:
        raise RuntimeError("price data unreadable")

    monkeypatch.setattr(pricing, "_model_info", broken)
    with pytest.raises(RuntimeError, match="unreadable"):
        compute_cost("gpt-4o", "openai", Usage(input_tokens=1))


_MODELS = sorted(
    {
        (provider.id, model.id)
        for provider in data_snapshot.get_snapshot().providers
        for model in provider.models
    }
)


@settings(max_examples=150, deadline=None)
@given(
    pair=st.sampled_from(_MODELS),
    input_tokens=st.integers(0, 2_000_000),
    cached=st.floats(0, 1),
    written=st.floats(0, 1),
    output_tokens=st.integers(0, 100_000),
    reasoning=st.floats(0, 1),
    day=st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2027, 1, 1)),
)
def test_every_model_agrees_with_genai_prices(
    *,
    pair: tuple[str, str],
    input_tokens: int,
    cached: float,
    written: float,
    output_tokens: int,
    reasoning: float,
    day: datetime,
) -> None:
    """For any model genai-prices knows and any valid usage, the figure is genai-prices' own."""
    provider_id, model_id = pair
    cache_read = int(input_tokens * cached)
    cache_write = int((input_tokens - cache_read) * written)
    reasoning_tokens = int(output_tokens * reasoning)
    at = day.replace(tzinfo=UTC)
    usage = Usage(
        input_tokens=input_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=output_tokens,
        reasoning_tokens=reasoning_tokens,
    )
    try:
        expected: float | None = genai(
            model_id,
            provider_id,
            at=at,
            input_tokens=input_tokens,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            output_tokens=output_tokens,
            output_reasoning_tokens=reasoning_tokens,
        )
    except (LookupError, ValueError):
        expected = None
    got = compute_cost(model_id, provider_id, usage, at=at)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
