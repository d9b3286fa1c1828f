"""Metrics computed from a stream of requests: per-path aggregates and the session tree.

Shared by every backend; the SQL only streams `Sample` rows. `PathTotals` keeps, per
distinct path, a few counters, an exact running cost sum and the latencies as 8-byte
floats (exact percentiles need them all), so the memory a query holds grows with its
paths, not with the rows it reads. The tree lists at most `TREE_REQUEST_IDS` request ids
per node (the earliest); the node's `PathRow` has the full count.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from agenttrace.records import RecordKind, Status
from agenttrace.server.store.dialect import Dialect
from agenttrace.server.store.query_rows import PathRow, TreeNode

__all__ = [
    "SAMPLE_COLUMNS",
    "TREE_REQUEST_IDS",
    "PathTotals",
    "Sample",
    "build_tree",
    "path_rows",
    "sample_from_row",
    "sample_position",
    "sorted_latencies",
    "totals_by_path",
]

TREE_REQUEST_IDS = 100
"""Request ids a tree node lists at most: the earliest of those at exactly its path."""


@dataclass(frozen=True, slots=True)
class Sample:
    """The numbers of one request that the metrics need."""

    request_id: str
    session_id: str
    path: str
    start_us: int
    end_us: int | None
    is_error: bool
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_usd: float | None
    is_human: bool = False
    """A question to a human: its duration is a wait, not a latency."""

    @property
    def latency_ms(self) -> float | None:
        """End minus start in ms; None while the end is unknown."""
        return None if self.end_us is None else (self.end_us - self.start_us) / 1000.0

    @property
    def last_us(self) -> int:
        """The end, or the start for a request that has not ended."""
        return self.start_us if self.end_us is None else self.end_us


# The columns of `records` a Sample is read from (the store streams them).
_SAMPLE_FIELDS = (
    "id",
    "session_id",
    "path",
    "start_us",
    "end_us",
    "status",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cost_usd",
    "kind",
)
SAMPLE_COLUMNS = ", ".join(f"r.{name}" for name in _SAMPLE_FIELDS)
_SAMPLE_ID = _SAMPLE_FIELDS.index("id")
_SAMPLE_START = _SAMPLE_FIELDS.index("start_us")


def sample_from_row(row: Sequence[Any]) -> Sample:
    """A metrics Sample from a ``SAMPLE_COLUMNS`` row."""
    request_id, session_id, path, start_us, end_us, status, prompt, completion, total = row[:9]
    cost, kind = row[9], row[10]
    return Sample(
        request_id=request_id,
        session_id=session_id,
        path=path,
        start_us=start_us,
        end_us=end_us,
        is_error=status == Status.ERROR,
        prompt_tokens=prompt or 0,
        completion_tokens=completion or 0,
        total_tokens=total or 0,
        cost_usd=cost,
        is_human=kind == RecordKind.HUMAN,
    )


def sample_position(row: Sequence[Any]) -> tuple[int, str]:
    """``(start_us, id)`` of a ``SAMPLE_COLUMNS`` row."""
    return int(row[_SAMPLE_START]), str(row[_SAMPLE_ID])


def _add_exact(partials: list[float], value: float) -> None:
    """Add ``value`` to the non-overlapping ``partials`` whose exact sum they keep
    (Shewchuk's algorithm, as `math.fsum` runs it): ``fsum(partials)`` is then the
    correctly rounded sum of every value added, in whatever order they came."""
    i = 0
    for other in partials:  # only entries already passed are overwritten
        high, low = (value, other) if abs(value) >= abs(other) else (other, value)
        total = high + low
        error = low - (total - high)
        if error:
            partials[i] = error
            i += 1
        value = total
    partials[i:] = [value]


@dataclass(slots=True)
class PathTotals:
    """What the metrics keep of the requests at one path."""

    request_count: int = 0
    error_count: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    first_start_us: int = 0
    last_us: int = 0
    cost_count: int = 0
    cost_partials: list[float] = field(default_factory=list)
    latencies: array[float] = field(default_factory=lambda: array("d"))
    human_count: int = 0
    human_waits: array[float] = field(default_factory=lambda: array("d"))
    sessions: set[str] = field(default_factory=set)
    request_ids: list[str] = field(default_factory=list)
    """The first `TREE_REQUEST_IDS` request ids added (the earliest, when samples come in
    start order)."""

    def add(self, sample: Sample) -> None:
        """Count one request."""
        start_us, end_us = sample.start_us, sample.end_us
        last_us = start_us if end_us is None else end_us
        if not self.request_count:
            self.first_start_us, self.last_us = start_us, last_us
        else:
            self.first_start_us = min(self.first_start_us, start_us)
            self.last_us = max(self.last_us, last_us)
        self.request_count += 1
        self.error_count += sample.is_error
        self.prompt_tokens += sample.prompt_tokens
        self.completion_tokens += sample.completion_tokens
        self.total_tokens += sample.total_tokens
        if sample.cost_usd is not None:
            self.cost_count += 1
            _add_exact(self.cost_partials, sample.cost_usd)
        if sample.is_human:
            self.human_count += 1
            if end_us is not None:
                self.human_waits.append((end_us - start_us) / 1000.0)
        elif end_us is not None:
            self.latencies.append((end_us - start_us) / 1000.0)
        self.sessions.add(sample.session_id)
        if len(self.request_ids) < TREE_REQUEST_IDS:
            self.request_ids.append(sample.request_id)


def totals_by_path(samples: Iterable[Sample]) -> dict[str, PathTotals]:
    """The samples folded into one `PathTotals` per distinct path."""
    totals: dict[str, PathTotals] = {}
    for sample in samples:
        found = totals.get(sample.path)
        if found is None:
            found = totals[sample.path] = PathTotals()
        found.add(sample)
    return totals


def _cost_sum(group: Iterable[PathTotals]) -> float | None:
    items = list(group)
    if not any(item.cost_count for item in items):
        return None
    return math.fsum(chain.from_iterable(item.cost_partials for item in items))


def sorted_latencies(group: Iterable[PathTotals]) -> list[float]:
    """Every latency of ``group`` in ascending order."""
    return sorted(chain.from_iterable(item.latencies for item in group))


def path_rows(totals: Mapping[str, PathTotals], dialect: Dialect) -> list[PathRow]:
    """One row per distinct path, sorted by path."""
    rows = []
    for path in sorted(totals):
        group = totals[path]
        latencies = sorted_latencies([group])
        waits = sorted(group.human_waits)
        rows.append(
            PathRow(
                path=path,
                request_count=group.request_count,
                error_count=group.error_count,
                cost_usd=_cost_sum([group]),
                input_tokens=group.prompt_tokens,
                output_tokens=group.completion_tokens,
                total_tokens=group.total_tokens,
                mean_latency_ms=sum(latencies) / len(latencies) if latencies else None,
                p50_latency_ms=dialect.percentile(latencies, 0.5),
                p95_latency_ms=dialect.percentile(latencies, 0.95),
                duration_ms=(group.last_us - group.first_start_us) / 1000.0,
                session_count=len(group.sessions),
                human_count=group.human_count,
                human_wait_p50_ms=dialect.percentile(waits, 0.5),
                human_wait_p95_ms=dialect.percentile(waits, 0.95),
            )
        )
    return rows


@dataclass(slots=True)
class _Folder:
    name: str
    path: str
    children: dict[str, _Folder] = field(default_factory=dict)
    own: list[PathTotals] = field(default_factory=list)

    def child(self, segment: str) -> _Folder:
        found = self.children.get(segment)
        if found is None:
            prefix = "" if self.path == "/" else self.path
            found = self.children[segment] = _Folder(segment, f"{prefix}/{segment}")
        return found

    def freeze(self) -> tuple[TreeNode, list[PathTotals]]:
        """The node and the totals of every path under it."""
        frozen = [child.freeze() for child in self.children.values()]
        frozen.sort(key=lambda pair: (min(t.first_start_us for t in pair[1]), pair[0].name))
        everything = list(self.own)
        for _, under in frozen:
            everything.extend(under)
        count = sum(t.request_count for t in everything)
        node = TreeNode(
            name=self.name,
            path=self.path,
            request_count=count,
            error_count=sum(t.error_count for t in everything),
            cost_usd=_cost_sum(everything),
            total_tokens=sum(t.total_tokens for t in everything),
            duration_ms=(
                max(t.last_us for t in everything) - min(t.first_start_us for t in everything)
            )
            / 1000.0
            if count
            else 0.0,
            children=[child for child, _ in frozen],
            request_ids=[rid for t in self.own for rid in t.request_ids][:TREE_REQUEST_IDS],
        )
        return node, everything


def build_tree(totals: Mapping[str, PathTotals]) -> TreeNode:
    """The tree of paths: a folder per segment, each path's requests at its folder.

    Every node rolls up count, errors, cost, tokens and duration over its subtree;
    children are ordered by their first request's start.
    """
    root = _Folder("", "/")
    for path, group in totals.items():
        folder = root
        for segment in path.split("/"):
            if segment:
                folder = folder.child(segment)
        folder.own.append(group)
    node, _ = root.freeze()
    return node
