"""Typed results of `QueryClient.metrics`: figures per group of requests over time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from agenttrace.query._frames import rows_to_frame

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MetricsResult", "MetricsRow"]

_RESULT = ConfigDict(frozen=True, extra="ignore")


class MetricsRow(BaseModel):
    """The figures of one group of requests (latencies in ms, cost in USD)."""

    model_config = _RESULT

    bucket_start: datetime | None = None
    """Start of the local time bucket, with the zone's offset (grouped by time)."""
    bucket_end: datetime | None = None
    key: dict[str, str | None] = Field(default_factory=dict)
    """The group's value of each group_by key but time (None: not set)."""
    requests: int
    sessions: int = 0
    errors: int = 0
    error_rate: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cache_read_tokens: int = 0
    reasoning_tokens: int = 0
    cache_hit_rate: float | None = None
    cost_usd: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    mean_latency_ms: float | None = None
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    human_wait_p50_ms: float | None = None
    """Time humans took to answer questions (kind human), apart from the latencies."""
    human_wait_p95_ms: float | None = None
    scores: dict[str, float] = {}
    """Average of each numeric or boolean score (true = 1) on the group's requests."""


class MetricsResult(BaseModel):
    """Metrics per group, ordered by bucket, then costliest first (iterate over it)."""

    model_config = _RESULT

    group_by: list[str] = Field(default_factory=list)
    bucket: str | None = None
    tz: str = "UTC"
    groups: list[MetricsRow]
    percentile_relative_error: float = 0.0
    """Percentiles come from a log histogram, each within this fraction of the exact value."""

    def __iter__(self) -> Iterator[MetricsRow]:  # type: ignore[override]  # rows, not fields
        return iter(self.groups)

    def __len__(self) -> int:
        return len(self.groups)

    def __getitem__(self, index: int) -> MetricsRow:
        return self.groups[index]

    def to_pandas(self) -> pd.DataFrame:
        """One row per group; each group_by key becomes a column of its own."""
        frame = rows_to_frame(self.groups, MetricsRow)
        for name in self.group_by:
            if name != "time":
                frame[name] = [row.key.get(name) for row in self.groups]
        return frame.drop(columns=["key"])
