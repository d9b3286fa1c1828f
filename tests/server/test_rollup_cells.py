"""The rollup's packed histograms and session bitmaps (`_rollup_cells`): packed counts add
and subtract as the counts do, and read back bucket for bucket; taken-out values narrow the
minimum and maximum to what is left; several percentiles are read in one pass."""

from __future__ import annotations

import random

import pytest

from agenttrace.server.store._histogram import (
    GROWTH,
    RELATIVE_ERROR,
    ZERO_BUCKET,
    bucket_of,
    histogram_percentiles,
)
from agenttrace.server.store._rollup_cells import (
    BLOCK,
    Packed,
    count_bits,
    lane_counts,
    pack,
    session_bits,
    unpack,
)
from agenttrace.server.store.dialect import percentile


def _counts(values: list[float]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for value in values:
        counts[bucket_of(value)] = counts.get(bucket_of(value), 0) + 1
    return counts


@pytest.mark.parametrize("seed", range(4))
def test_packed_histograms_add_up_bucket_for_bucket(seed: int) -> None:
    """Cells packed apart and added as integers give the histogram of all their values,
    zero and sub-microsecond latencies and days-long ones included."""
    rng = random.Random(seed)
    cells = [
        [rng.choice([0.0, 0.0004, 86_400_000.0 * 3, rng.lognormvariate(6, 2)]) for _ in range(50)]
        for _ in range(20)
    ]
    total = 0
    for values in cells:
        packed = Packed.of_counts(_counts(values), min(values), max(values))
        stored = Packed.of_row(packed.row())  # through the stored columns
        assert stored == packed
        total += stored.counts
    everything = [value for values in cells for value in values]
    assert lane_counts(total) == dict(sorted(_counts(everything).items()))


def test_taking_values_out_narrows_the_minimum_and_maximum() -> None:
    """What is left keeps its counts; its minimum and maximum are kept within the bounds
    of its lowest and highest buckets; all taken out leaves nothing."""
    kept, gone = [100.0, 120.0], [0.0, 5000.0]
    everything = Packed.of_counts(_counts(kept + gone), 0.0, 5000.0)
    left = everything.merged(Packed.of_counts(_counts(gone), 0.0, 5000.0), -1)
    assert lane_counts(left.counts) == _counts(kept)
    assert left.low == pytest.approx(GROWTH ** bucket_of(100.0))
    assert left.high == pytest.approx(GROWTH ** (bucket_of(120.0) + 1))
    assert left.low is not None
    assert left.high is not None
    assert left.low <= 100.0
    assert left.high >= 120.0
    assert left.merged(left, -1) == Packed()
    zeros = Packed.of_counts({ZERO_BUCKET: 2, bucket_of(50.0): 1}, 0.0, 50.0)
    assert zeros.merged(Packed.of_counts({bucket_of(50.0): 1}, 50.0, 50.0), -1).high == 0.001


def test_bitmaps_pack_per_block() -> None:
    """Session numbers fall in their block's bitmap; packed from the lowest byte, a
    bitmap reads back the same; the bits count the sessions."""
    numbers = [5, 6, 700, BLOCK + 3, 3 * BLOCK - 1]
    bits = session_bits(("cell", n) for n in numbers)
    assert sorted(bits) == [("cell", 0), ("cell", 1), ("cell", 2)]
    for value in bits.values():
        assert unpack(*pack(value, 8), 8) == value
    assert count_bits(bits.values()) == len(numbers)
    assert pack(0, 8) == (0, b"")


def test_several_percentiles_at_once_are_the_exact_ones_within_the_error() -> None:
    """`histogram_percentiles`, fractions in any order and repeated, answers each within
    RELATIVE_ERROR of the exact percentile."""
    rng = random.Random(7)
    values = sorted(rng.lognormvariate(5, 1.5) for _ in range(999))
    fractions = (0.99, 0.0, 0.5, 0.95, 1.0, 0.5)
    got = histogram_percentiles(_counts(values), fractions, values[0], values[-1])
    for fraction, value in zip(fractions, got, strict=True):
        assert value == pytest.approx(percentile(values, fraction), rel=RELATIVE_ERROR)
    assert histogram_percentiles({}, fractions, 0.0, 0.0) == [None] * len(fractions)
