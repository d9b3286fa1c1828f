"""The cost of an LLM call in USD, from the prices that ship with ``genai-prices``.

``compute_cost(model, provider, usage, at=None)`` answers a float, or None when the cost is
unknown: no model, no token counts, a model or provider genai-prices does not know, or
token counts that contradict each other. It never raises (internal failures go to
`report_internal_error`). There is no price table here: every figure comes from
genai-prices.

Token convention: agenttrace's ``input_tokens`` includes cache read and cache write tokens
and ``output_tokens`` includes reasoning tokens. genai-prices uses the same convention (its
``cache_read_tokens`` are a part of ``input_tokens``), so counts pass through unchanged;
``reasoning_tokens`` is passed as genai-prices' ``output_reasoning_tokens`` and
``cache_write_1h_tokens`` (a part of ``cache_write_tokens``) as its
``cache_write_1h_tokens``, which it prices at the model's one-hour cache-write rate (the
rest of the writes at the five-minute rate, ``cache_write_mtok``). When
``input_tokens`` is missing but cache counts are known, the input is taken to be only the
cached tokens.

Provider: genai-prices' own aliases apply (``google_genai`` and ``google_vertexai`` are
Google, ``bedrock`` is AWS, ``mistralai`` is Mistral, ...). A provider it does not know
(``ollama``) gives None rather than another provider's price, and so does a model the given
provider does not list (an OpenAI-compatible server running Llama is not priced as any
Llama host). Without a provider the model name decides; ``"openai/gpt-4o"`` is also tried as
provider ``openai`` and model ``gpt-4o``.

Speed: genai-prices' ``calc_price`` takes about 100 µs a call. Its prices are linear in the
token counts between tier thresholds (tiers are cliffs on the total input tokens), so for
each price it resolves we derive per-token rates once, by asking genai-prices itself for
the price of a few probe usages, check them against one more probe, and from then on a
call is two dictionary look-ups and a few multiplications. A price that does not pass the
check is computed by genai-prices on every call. The caches follow genai-prices' data
snapshot (they are dropped when ``genai_prices.UpdatePrices`` installs new data).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
from genai_prices import data_snapshot
from genai_prices.types import ModelInfo, ModelPrice, TieredPrices

from agenttrace.core.internal_errors import report_internal_error
from agenttrace.records import Usage

__all__ = ["compute_cost"]

_PROBE = 1_000_000
"""Token count of the probe usages (genai-prices prices per million tokens)."""

_MAX_LOOKUPS = 4096
"""Distinct (model, provider) pairs remembered before the cache starts over."""

_CHECK_TOLERANCE = Decimal("1e-12")


@dataclass(frozen=True, slots=True)
class _Rates:
    """USD per token within one range of input token counts (``input_tokens <= upper``)."""

    upper: int | None
    per_request: float
    input: float
    cache_read: float
    cache_write: float
    cache_write_1h: float
    output: float
    reasoning: float


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to price one genai-prices `ModelPrice`: linear rates, or genai-prices itself."""

    model_price: ModelPrice  # kept so that the id() key stays unique while cached
    ranges: tuple[_Rates, ...] | None


_lock = threading.Lock()
_snapshot: object = None
_models: dict[tuple[str, str | None], ModelInfo | None] = {}
_plans: dict[int, _Plan] = {}


def compute_cost(
    model: str | None,
    provider: str | None,
    usage: Usage | None,
    *,
    at: datetime | None = None,
) -> float | None:
    """The cost in USD of a call to ``model`` at ``provider`` that used ``usage``.

    ``at`` is when the call was made (prices change over time and some depend on the time
    of day); now when omitted. Answers None when the cost is unknown, never 0 for unknown.
    """
    if usage is None or not model:
        return None
    try:
        counts = _counts(usage)
        if counts is None:
            return None
        info = _model_info(model, provider)
        if info is None:
            return None
        model_price = _model_price(info, at)
        plan = _plans.get(id(model_price))
        if plan is None or plan.model_price is not model_price:
            plan = _make_plan(model_price)
        if plan.ranges is None:
            return _genai_cost(model_price, counts)
        return _linear_cost(plan.ranges, counts)
    except Exception as exc:  # noqa: BLE001 - a price must never break the traced program
        report_internal_error("compute_cost", exc)
        return None


_Counts = tuple[int, int, int, int, int, int]
"""(input, cache_read, cache_write, cache_write_1h, output, reasoning) token counts."""


def _counts(usage: Usage) -> _Counts | None:
    """(input, cache_read, cache_write, cache_write_1h, output, reasoning), or None if
    unusable."""
    cache_read = usage.cache_read_tokens or 0
    cache_write_1h = usage.cache_write_1h_tokens or 0
    cache_write = max(usage.cache_write_tokens or 0, cache_write_1h)
    reasoning = usage.reasoning_tokens or 0
    input_tokens = usage.input_tokens
    output_tokens = usage.output_tokens
    if input_tokens is None:
        if output_tokens is None and not cache_read and not cache_write:
            return None  # nothing was counted: the cost is unknown, not zero
        input_tokens = cache_read + cache_write
    if output_tokens is None:
        output_tokens = reasoning
    if cache_read + cache_write > input_tokens or reasoning > output_tokens:
        return None  # counts break the convention (cached tokens are part of the input)
    return input_tokens, cache_read, cache_write, cache_write_1h, output_tokens, reasoning


def _linear_cost(ranges: tuple[_Rates, ...], counts: _Counts) -> float:
    input_tokens, cache_read, cache_write, cache_write_1h, output_tokens, reasoning = counts
    rates = ranges[-1]
    for candidate in ranges:
        if candidate.upper is None or input_tokens <= candidate.upper:
            rates = candidate
            break
    cost = (
        rates.per_request
        + rates.input * input_tokens
        + rates.cache_read * cache_read
        + rates.cache_write * cache_write
        + rates.cache_write_1h * cache_write_1h
        + rates.output * output_tokens
        + rates.reasoning * reasoning
    )
    return round(cost, 12) if cost > 0 else 0.0


def _check_snapshot() -> None:
    """Drop the caches when genai-prices has switched to other data."""
    global _snapshot  # noqa: PLW0603 - module-level caches, reset together
    snapshot = data_snapshot.get_snapshot()
    if snapshot is not _snapshot:
        with _lock:
            _models.clear()
            _plans.clear()
            _snapshot = snapshot


def _model_info(model: str, provider: str | None) -> ModelInfo | None:
    _check_snapshot()
    key = (model, provider)
    try:
        return _models[key]
    except KeyError:
        pass
    info = _find_model(model.strip(), provider.strip() if provider else None)
    with _lock:
        if len(_models) >= _MAX_LOOKUPS:
            _models.clear()
        _models[key] = info
    return info


def _find_model(model: str, provider: str | None) -> ModelInfo | None:
    found = _lookup(model, provider)
    if found is None and provider is None and "/" in model:
        prefix, _, rest = model.partition("/")
        found = _lookup(rest, prefix)
    return found


def _lookup(model: str, provider: str | None) -> ModelInfo | None:
    if not model:
        return None
    try:
        calculation = genai_prices.calc_price(genai_prices.Usage(), model, provider_id=provider)
    except LookupError:
        return None
    info: ModelInfo = calculation.model
    return info


def _model_price(info: ModelInfo, at: datetime | None) -> ModelPrice:
    prices = info.prices
    if isinstance(prices, ModelPrice):
        return prices
    resolved: ModelPrice = info.get_prices(at if at is not None else datetime.now(UTC))
    return resolved


def _make_plan(model_price: ModelPrice) -> _Plan:
    try:
        ranges: tuple[_Rates, ...] | None = _derive_rates(model_price)
    except (ValueError, ArithmeticError):
        ranges = None  # genai-prices rejected a probe: let it price every call itself
    plan = _Plan(model_price, ranges)
    with _lock:
        _plans[id(model_price)] = plan
    return plan


def _genai_price(
    model_price: ModelPrice,
    input_tokens: int,
    *,
    cache_read: int = 0,
    cache_write: int = 0,
    cache_write_1h: int = 0,
    output_tokens: int = 0,
    reasoning: int = 0,
) -> Decimal:
    usage = genai_prices.Usage(
        input_tokens=input_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=cache_write_1h,
        output_tokens=output_tokens,
        output_reasoning_tokens=reasoning,
    )
    total: Decimal = model_price.calc_price(usage)["total_price"]
    return total


def _genai_cost(model_price: ModelPrice, counts: _Counts) -> float | None:
    input_tokens, cache_read, cache_write, cache_write_1h, output_tokens, reasoning = counts
    try:
        price = _genai_price(
            model_price,
            input_tokens,
            cache_read=cache_read,
            cache_write=cache_write,
            cache_write_1h=cache_write_1h,
            output_tokens=output_tokens,
            reasoning=reasoning,
        )
    except ValueError:
        return None  # genai-prices found the counts inconsistent for this price
    return round(float(price), 12)


def _thresholds(model_price: ModelPrice) -> list[int]:
    starts: set[int] = set()
    for value in vars(model_price).values():
        if isinstance(value, TieredPrices):
            starts.update(tier.start for tier in value.tiers)
    return sorted(starts)


def _derive_rates(model_price: ModelPrice) -> tuple[_Rates, ...] | None:
    """Per-token rates for each range of input counts, checked; None if not linear."""
    thresholds = _thresholds(model_price)
    ranges: list[_Rates] = []
    lower = 0
    for upper in [*thresholds, None]:
        if upper is not None and upper <= lower:
            return None  # a range too narrow to probe
        rates = _rates_between(model_price, lower, upper)
        if rates is None:
            return None
        ranges.append(rates)
        if upper is not None:
            lower = upper + 1
    return tuple(ranges)


def _rates_between(model_price: ModelPrice, lower: int, upper: int | None) -> _Rates | None:
    """Rates valid for ``lower <= input_tokens <= upper``, from probes inside that range."""
    step = _PROBE if upper is None else min(_PROBE, upper - lower)
    a, b = lower, lower + step
    at_a = _genai_price(model_price, a)
    at_b = _genai_price(model_price, b)
    per_input = (at_b - at_a) / step
    per_request = at_a - per_input * a
    per_cache_read = (_genai_price(model_price, b, cache_read=step) - at_b) / step
    with_write = _genai_price(model_price, b, cache_write=step)
    per_cache_write = (with_write - at_b) / step
    per_cache_write_1h = (
        _genai_price(model_price, b, cache_write=step, cache_write_1h=step) - with_write
    ) / step
    with_output = _genai_price(model_price, a, output_tokens=step)
    per_output = (with_output - at_a) / step
    per_reasoning = (
        _genai_price(model_price, a, output_tokens=step, reasoning=step) - with_output
    ) / step

    # One more probe, off the points above, must agree with the linear model.
    cache_read, cache_write, cache_write_1h = step // 2, step // 4, step // 8
    output_tokens = 3 * step
    expected = (
        per_request
        + per_input * b
        + per_cache_read * cache_read
        + per_cache_write * cache_write
        + per_cache_write_1h * cache_write_1h
        + per_output * output_tokens
        + per_reasoning * step
    )
    checked = _genai_price(
        model_price,
        b,
        cache_read=cache_read,
        cache_write=cache_write,
        cache_write_1h=cache_write_1h,
        output_tokens=output_tokens,
        reasoning=step,
    )
    if abs(checked - expected) > _CHECK_TOLERANCE:
        return None
    return _Rates(
        upper=upper,
        per_request=float(per_request),
        input=float(per_input),
        cache_read=float(per_cache_read),
        cache_write=float(per_cache_write),
        cache_write_1h=float(per_cache_write_1h),
        output=float(per_output),
        reasoning=float(per_reasoning),
    )
