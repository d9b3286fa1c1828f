"""Metrics computed from a set of requests: per-path aggregates and the session tree.

Shared by every backend; the SQL only fetches `Sample` rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from agenttrace.server.store.dialect import Dialect
from agenttrace.server.store.rows import PathRow, TreeNode

__all__ = ["Sample", "build_tree", "path_rows"]


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

    @property
    def latency_ms(self) -> float | None:
        """End minus start in ms; None while the end is unknown."""
        return None if self.end_us is None else (self.end_us - self.start_us) / 1000.0

    @property
    def last_us(self) -> int:
        """The end, or the start for a request that has not ended."""
        return self.start_us if self.end_us is None else self.end_us


def _cost_sum(samples: Iterable[Sample]) -> float | None:
    costs = [s.cost_usd for s in samples if s.cost_usd is not None]
    return math.fsum(costs) if costs else None  # exact: the same whatever the row order


def path_rows(samples: Sequence[Sample], dialect: Dialect) -> list[PathRow]:
    """One row per distinct path, sorted by path."""
    by_path: dict[str, list[Sample]] = {}
    for sample in samples:
        by_path.setdefault(sample.path, []).append(sample)
    rows = []
    for path in sorted(by_path):
        group = by_path[path]
        latencies = sorted(lat for s in group if (lat := s.latency_ms) is not None)
        rows.append(
            PathRow(
                path=path,
                request_count=len(group),
                error_count=sum(s.is_error for s in group),
                total_cost=_cost_sum(group),
                prompt_tokens=sum(s.prompt_tokens for s in group),
                completion_tokens=sum(s.completion_tokens for s in group),
                total_tokens=sum(s.total_tokens for s in group),
                avg_latency=sum(latencies) / len(latencies) if latencies else None,
                p50_latency_ms=dialect.percentile(latencies, 0.5),
                p95_latency_ms=dialect.percentile(latencies, 0.95),
                duration_ms=(max(s.last_us for s in group) - min(s.start_us for s in group))
                / 1000.0,
                session_count=len({s.session_id for s in group}),
            )
        )
    return rows


@dataclass(slots=True)
class _Folder:
    name: str
    path: str
    children: dict[str, _Folder] = field(default_factory=dict)
    own: list[Sample] = field(default_factory=list)

    def child(self, segment: str) -> _Folder:
        found = self.children.get(segment)
        if found is None:
            prefix = "" if self.path == "/" else self.path
            found = self.children[segment] = _Folder(segment, f"{prefix}/{segment}")
        return found

    def freeze(self) -> tuple[TreeNode, list[Sample]]:
        """The node and every sample under it."""
        frozen = [child.freeze() for child in self.children.values()]
        frozen.sort(key=lambda pair: (min(s.start_us for s in pair[1]), pair[0].name))
        everything = list(self.own)
        for _, under in frozen:
            everything.extend(under)
        node = TreeNode(
            name=self.name,
            path=self.path,
            request_count=len(everything),
            error_count=sum(s.is_error for s in everything),
            total_cost=_cost_sum(everything),
            total_tokens=sum(s.total_tokens for s in everything),
            duration_ms=(max(s.last_us for s in everything) - min(s.start_us for s in everything))
            / 1000.0
            if everything
            else 0.0,
            children=[child for child, _ in frozen],
            request_ids=[s.request_id for s in sorted(self.own, key=lambda s: s.start_us)],
        )
        return node, everything


def build_tree(samples: Sequence[Sample]) -> TreeNode:
    """The tree of paths: a folder per segment, each request at its exact path.

    Every node rolls up count, errors, cost, tokens and duration over its subtree;
    children are ordered by their first request's start.
    """
    root = _Folder("", "/")
    for sample in samples:
        folder = root
        for segment in sample.path.split("/"):
            if segment:
                folder = folder.child(segment)
        folder.own.append(sample)
    node, _ = root.freeze()
    return node
