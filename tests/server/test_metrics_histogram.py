"""Histogram percentiles stay within the documented relative error of the exact ones."""

from __future__ import annotations

import random

import pytest

from agenttrace.server.store._histogram import RELATIVE_ERROR, bucket_of, histogram_percentile
from agenttrace.server.store.dialect import percentile


@pytest.mark.parametrize("seed", range(5))
def test_percentiles_are_within_the_relative_error(seed: int) -> None:
    """Log-normal latencies: p50 / p95 / p99 within RELATIVE_ERROR of the exact values."""
    rng = random.Random(seed)
    values = sorted(rng.lognormvariate(5, 1.5) for _ in range(2000))
    counts: dict[int, int] = {}
    for value in values:
        counts[bucket_of(value)] = counts.get(bucket_of(value), 0) + 1
    for fraction in (0.5, 0.95, 0.99):
        exact = percentile(values, fraction)
        assert exact is not None
        got = histogram_percentile(counts, fraction, values[0], values[-1])
        assert got == pytest.approx(exact, rel=RELATIVE_ERROR)


def test_zero_latencies_and_empty_histograms() -> None:
    """Zero latencies answer 0; no latencies answer None."""
    assert histogram_percentile({bucket_of(0.0): 3}, 0.5, 0.0, 0.0) == 0.0
    assert histogram_percentile({}, 0.5, 0.0, 0.0) is None
