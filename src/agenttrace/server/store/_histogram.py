"""Percentiles from a log-bucket histogram, as the metrics endpoint computes them.

A latency ``v`` ms (> 0) falls in bucket ``floor(ln(v) / ln(GROWTH))``, so bucket ``i``
holds ``[GROWTH**i, GROWTH**(i+1))``; a latency of 0 (or below `SMALLEST_MS`) falls in
`ZERO_BUCKET`. The databases count requests per bucket (`bucket_sql`) and percentiles are
read from the counts: the values at the ranks around ``fraction * (n - 1)`` are taken to be
their buckets' geometric middles, clamped to the group's exact minimum and maximum, and
interpolated as PostgreSQL's ``percentile_cont`` does. So a reported
percentile is within ``sqrt(GROWTH) - 1`` (about 2.5 %) of a value at that rank, and
exact when the group's latencies are all equal; counts add up, so buckets of several
slots merge exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = [
    "GROWTH",
    "RELATIVE_ERROR",
    "SMALLEST_MS",
    "ZERO_BUCKET",
    "bucket_of",
    "bucket_sql",
    "histogram_percentile",
    "histogram_percentiles",
]

GROWTH = 1.05
RELATIVE_ERROR = math.sqrt(GROWTH) - 1
SMALLEST_MS = 0.001
ZERO_BUCKET = -1_000_000
_LOG_GROWTH = math.log(GROWTH)


def bucket_sql(expression: str) -> str:
    """SQL: the bucket of the latency ``expression`` (ms; NULL stays NULL)."""
    return (
        f"CASE WHEN ({expression}) IS NULL THEN NULL WHEN ({expression}) < {SMALLEST_MS} "
        f"THEN {ZERO_BUCKET} ELSE CAST(floor(ln({expression}) / {_LOG_GROWTH!r}) AS INTEGER) END"
    )


def bucket_of(value_ms: float) -> int:
    """The bucket of one latency, as `bucket_sql` computes it."""
    if value_ms < SMALLEST_MS:
        return ZERO_BUCKET
    return math.floor(math.log(value_ms) / _LOG_GROWTH)


def histogram_percentile(
    counts: Mapping[int, int], fraction: float, low: float, high: float
) -> float | None:
    """The ``fraction`` percentile of the latencies counted in ``counts`` (bucket ->
    requests), whose exact minimum and maximum are ``low`` and ``high``; None when empty.

    As PostgreSQL's ``percentile_cont``: the values at the two ranks around
    ``fraction * (n - 1)``, interpolated; each value is its bucket's middle (clamped)."""
    return histogram_percentiles(counts, (fraction,), low, high)[0]


def histogram_percentiles(
    counts: Mapping[int, int], fractions: Sequence[float], low: float, high: float
) -> list[float | None]:
    """`histogram_percentile` of each of ``fractions``, in one pass over the buckets."""
    total = sum(counts.values())
    if total == 0:
        return [None] * len(fractions)
    ranks = [fraction * (total - 1) for fraction in fractions]
    wanted = sorted({r for rank in ranks for r in (math.floor(rank), math.ceil(rank))})
    values: dict[int, float] = {}
    seen = 0
    for bucket in sorted(counts):
        seen += counts[bucket]
        while len(values) < len(wanted) and seen > wanted[len(values)]:
            middle = 0.0 if bucket == ZERO_BUCKET else math.exp((bucket + 0.5) * _LOG_GROWTH)
            values[wanted[len(values)]] = min(max(middle, low), high)
        if len(values) == len(wanted):
            break
    out: list[float | None] = []
    for rank in ranks:
        below = math.floor(rank)
        first, second = values[below], values[math.ceil(rank)]
        out.append(first + (rank - below) * (second - first))
    return out
