"""Deterministic records for the fault tests, and what the database must hold afterwards.

``Workload.record(worker, index)`` always builds the same record for the same arguments, so a
test can tell which records a child process emitted without asking it. Records of every
worker are spread over a few shared sessions (several agents writing one session), with
tokens, a cost (an exact binary fraction, so sums do not depend on the order of addition),
a latency and now and then an error. ``Workload.note`` adds an emitted record to the
expected ids and per-session totals; `Workload.verify` compares them with the database.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from agenttrace.records import Record, RecordKind, Status, Usage
from faultkit.database import SessionTotals, StoredData

__all__ = ["T0", "Verdict", "Workload"]

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
_NAMESPACE = uuid.UUID("6f1b2c51-8a0e-4f7e-9a59-0d6b1c1d2e3f")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1)


@dataclass(slots=True)
class _Sums:
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float = 0.0
    first_start_us: int | None = None
    last_end_us: int | None = None

    def add(self, record: Record) -> None:
        start = _us(record.start_time)
        end = _us(record.end_time) if record.end_time is not None else start
        self.requests += 1
        self.errors += record.status is Status.ERROR
        usage = record.usage or Usage()
        self.prompt_tokens += usage.input_tokens or 0
        self.completion_tokens += usage.output_tokens or 0
        self.total_tokens += usage.total_tokens or 0
        self.cost_usd += record.cost_usd or 0.0
        self.first_start_us = (
            start if self.first_start_us is None else min(self.first_start_us, start)
        )
        self.last_end_us = end if self.last_end_us is None else max(self.last_end_us, end)

    def totals(self) -> SessionTotals:
        return SessionTotals(
            requests=self.requests,
            errors=self.errors,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.total_tokens,
            cost_usd=self.cost_usd,
            first_start_us=self.first_start_us or 0,
            last_end_us=self.last_end_us or 0,
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """How the database compares with what was emitted."""

    expected: int
    stored_rows: int
    stored_distinct: int
    missing: int
    unexpected: int
    duplicates: int
    rolled_up_requests: int
    problems: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        """Every emitted record stored once, and every session's figures right."""
        return not self.problems


class Workload:
    """Builds the records of one run and keeps what they must add up to. Thread-safe."""

    def __init__(self, run_id: str | None = None, sessions: int = 8) -> None:
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.session_ids = [f"{self.run_id}-session-{k}" for k in range(sessions)]
        self._lock = threading.Lock()
        self._ids: set[str] = set()
        self._sums: dict[str, _Sums] = {}

    def record_id(self, worker: int, index: int) -> str:
        """The id of ``record(worker, index)``."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.run_id}/{worker}/{index}"))

    def record(self, worker: int, index: int) -> Record:
        """Record ``index`` of ``worker``: the same fields every time."""
        start = T0 + timedelta(milliseconds=10 * index, microseconds=worker)
        failed = index % 97 == 0
        return Record(
            id=self.record_id(worker, index),
            kind=RecordKind.LLM,
            session_id=self.session_ids[(7 * worker + index) % len(self.session_ids)],
            session_name="reliability",
            session_path=f"/worker-{worker}/agent",
            name="chat",
            model="gpt-4o-mini",
            provider="openai",
            start_time=start,
            end_time=start + timedelta(milliseconds=5 + 3 * (index % 11)),
            status=Status.ERROR if failed else Status.OK,
            usage=Usage(input_tokens=20 + index % 13, output_tokens=5 + index % 7),
            cost_usd=(index % 8) / 1024,
            request={"messages": [{"role": "user", "content": f"question {worker}/{index}"}]},
            response={"content": "an answer of a few words"},
        )

    def note(self, record: Record) -> None:
        """Count ``record`` as emitted."""
        with self._lock:
            self._ids.add(record.id)
            self._sums.setdefault(record.session_id, _Sums()).add(record)

    def note_range(self, worker: int, indexes: range) -> None:
        """Count ``record(worker, i)`` for every ``i`` as emitted (by another process)."""
        for index in indexes:
            self.note(self.record(worker, index))

    @property
    def emitted(self) -> int:
        """Records counted so far."""
        with self._lock:
            return len(self._ids)

    def ids(self) -> set[str]:
        """The ids counted so far."""
        with self._lock:
            return set(self._ids)

    def expected_sessions(self) -> dict[str, SessionTotals]:
        """Per session, what the counted records add up to."""
        with self._lock:
            return {sid: sums.totals() for sid, sums in sorted(self._sums.items())}

    def verify(self, stored: StoredData) -> Verdict:
        """Compare the database with the counted records: ids once each, rollups exact."""
        wanted = self.ids()
        have = stored.distinct_ids
        problems: list[str] = []
        missing, unexpected = wanted - have, have - wanted
        if missing:
            problems.append(f"{len(missing)} emitted record(s) not stored, e.g. {min(missing)}")
        if unexpected:
            problems.append(f"{len(unexpected)} stored record(s) never emitted")
        if stored.duplicates:
            problems.append(f"{stored.duplicates} duplicate row(s)")
        expected = self.expected_sessions()
        for name, figures in (("session rollup", stored.rollups), ("records sum", stored.sums)):
            if set(figures) != set(expected):
                problems.append(f"{name}: sessions {sorted(figures)} != {sorted(expected)}")
                continue
            for session_id, totals in expected.items():
                if figures[session_id] != totals:
                    problems.append(f"{name} of {session_id}: {figures[session_id]} != {totals}")
        return Verdict(
            expected=len(wanted),
            stored_rows=len(stored.ids),
            stored_distinct=len(have),
            missing=len(missing),
            unexpected=len(unexpected),
            duplicates=stored.duplicates,
            rolled_up_requests=stored.rolled_up_requests,
            problems=problems,
        )
