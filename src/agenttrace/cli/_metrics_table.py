"""The metrics table of ``agenttrace metrics``: a row per group, figures that give way."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from agenttrace.cli import _format as fmt
from agenttrace.cli._fit import Column
from agenttrace.query import MetricsResult, MetricsRow

__all__ = ["metrics_table"]


def _percent(value: float | None) -> str:
    return fmt.NONE if value is None else f"{value:.1%}"


def metrics_table(result: MetricsResult) -> list[Column]:
    """One line per group: its bucket and keys, then the figures."""
    rows: Sequence[MetricsRow] = result.groups
    columns: list[Column] = []
    if result.bucket is not None:
        shape = {"minute": "%Y-%m-%d %H:%M", "hour": "%Y-%m-%d %H:%M", "day": "%Y-%m-%d"}
        pattern = shape.get(result.bucket, "%Y-%m-%d %H:%M")
        columns.append(
            Column(
                f"{result.bucket.capitalize()} ({result.tz})",
                [r.bucket_start.strftime(pattern) if r.bucket_start else fmt.NONE for r in rows],
            )
        )
    columns.extend(
        Column(name, [r.key.get(name) or fmt.NONE for r in rows])
        for name in result.group_by
        if name != "time"
    )
    errors = [
        Text(f"{fmt.count(r.errors)} ({_percent(r.error_rate)})", style="red" if r.errors else "")
        for r in rows
    ]
    columns += [
        Column("Requests", [fmt.count(r.requests) for r in rows], 0, "right"),
        Column("Sessions", [fmt.count(r.sessions) for r in rows], 6, "right"),
        Column("Errors", errors, 1, "right"),
        Column("In", [fmt.tokens(r.input_tokens) for r in rows], 7, "right"),
        Column("Out", [fmt.tokens(r.output_tokens) for r in rows], 7, "right"),
        Column("Cache hit", [_percent(r.cache_hit_rate) for r in rows], 8, "right"),
        Column("Cost", [fmt.cost(r.cost_usd) for r in rows], 0, "right"),
        Column("p50", [fmt.duration(r.latency_p50_ms) for r in rows], 3, "right"),
        Column("p95", [fmt.duration(r.latency_p95_ms) for r in rows], 2, "right"),
        Column("p99", [fmt.duration(r.latency_p99_ms) for r in rows], 4, "right"),
        Column("TTFT p50", [fmt.duration(r.ttft_p50_ms) for r in rows], 5, "right"),
    ]
    return columns
