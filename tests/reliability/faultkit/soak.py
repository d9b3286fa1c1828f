"""The soak: steady emission from several threads while random faults hit the collector.

A real collector process (SQLite) sits behind a `TcpProxy`; a `Shipper` in this process
sends through the proxy, with an `AckLog` under its HTTP client. Emitter threads produce
`Workload` records at a modest, steady rate. Meanwhile, until the time is up, a seeded
random schedule alternates healthy periods with one fault at a time:

* ``kill9``: ``kill -9`` the collector; while it is dead, check that every acknowledged
  record is in the database; restart it after a random pause;
* ``restart``: a graceful restart (SIGTERM, then start);
* ``slow``: every answer held 0.5 to 2 s for a few seconds;
* ``partition``: the proxy cut (connections dropped, new ones refused) for 1 to 3 s.

Faults come in rounds (each kind once per round, in random order). After each fault it
measures the time until the next acknowledged batch. At the end the emitters stop, the
shipper flushes, and the database must hold every emitted record exactly once with exact
session rollups. `run_soak` returns a `SoakReport` with the figures.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper, ShipperStats
from faultkit.acks import AckLog
from faultkit.collector import CollectorProcess
from faultkit.database import read_database
from faultkit.proxy import TcpProxy
from faultkit.workload import Verdict, Workload

__all__ = ["FAULTS", "SoakConfig", "SoakReport", "run_soak"]

FAULTS = ("kill9", "restart", "slow", "partition")
_RECOVERY_DEADLINE_S = 120.0
_POLL_S = 0.02


@dataclass(frozen=True, slots=True)
class SoakConfig:
    """What to run: duration, load, randomness, where to keep files."""

    seconds: float
    workdir: Path
    threads: int = 3
    rate_per_thread: float = 40.0
    """Records per second each emitter thread produces."""
    seed: int = 0
    flush_timeout: float = 300.0


@dataclass(slots=True)
class SoakReport:
    """What happened, in numbers."""

    seed: int
    seconds: float
    emitted: int = 0
    acknowledged: int = 0
    stored: int = 0
    stored_rows: int = 0
    duplicates_in_database: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    collector_starts: int = 0
    durability_checks: int = 0
    acknowledged_but_missing: int = 0
    """Acknowledged records absent from the database while the collector lay dead."""
    recovery_s: list[float] = field(default_factory=list)
    """Per fault: from its end to the next acknowledged batch."""
    emit_p50_ms: float = 0.0
    emit_p99_ms: float = 0.0
    emit_max_ms: float = 0.0
    final_flush_ok: bool = False
    final_flush_s: float = 0.0
    shipper: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        """Nothing lost, nothing duplicated, every check passed."""
        return not self.problems

    def summary(self) -> str:
        """The report as aligned ``name: value`` lines."""
        values = asdict(self)
        recovery = self.recovery_s
        values["recovery_s"] = (
            f"n={len(recovery)} median={statistics.median(recovery):.2f} max={max(recovery):.2f}"
            if recovery
            else "n=0"
        )
        return "\n".join(f"{name:>26}: {value}" for name, value in values.items())


class _Emitters:
    """Threads emitting workload records at a steady rate until stopped."""

    def __init__(self, shipper: Shipper, workload: Workload, config: SoakConfig) -> None:
        self.shipper = shipper
        self.workload = workload
        self.config = config
        self.stop = threading.Event()
        self.durations: list[list[float]] = [[] for _ in range(config.threads)]
        self.errors: list[BaseException] = []
        self.threads = [
            threading.Thread(target=self._run, args=(w,), name=f"soak-emitter-{w}", daemon=True)
            for w in range(config.threads)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def _run(self, worker: int) -> None:
        timings = self.durations[worker]
        interval = 1.0 / self.config.rate_per_thread
        started = time.monotonic()
        index = 0
        try:
            while not self.stop.is_set():
                record = self.workload.record(worker, index)
                self.workload.note(record)
                before = time.perf_counter()
                self.shipper.emit(record)
                timings.append(time.perf_counter() - before)
                index += 1
                # pacing, not waiting for a condition: the next record is due at this time
                self.stop.wait(max(started + index * interval - time.monotonic(), 0.0))
        except BaseException as exc:
            self.errors.append(exc)

    def all_durations(self) -> list[float]:
        return sorted(d for timings in self.durations for d in timings)


class _Soak:
    def __init__(self, config: SoakConfig, log: Callable[[str], None]) -> None:
        self.config = config
        self.log = log
        self.random = random.Random(config.seed)
        self.report = SoakReport(seed=config.seed, seconds=config.seconds)
        self.database_url = f"sqlite:///{(config.workdir / 'soak.db').resolve()}"
        self.collector = CollectorProcess(self.database_url, config.workdir / "logs")
        self.proxy = TcpProxy(self.collector.port)
        self.acks = AckLog()
        self.workload = Workload()
        self.faults: Counter[str] = Counter()

    def run(self) -> SoakReport:
        settings = Settings.from_env(
            self.proxy.url,
            spool_dir=self.config.workdir / "spool",
            queue_size=5_000,
            batch_size=200,
            flush_interval=0.1,
            request_timeout=5.0,
            retry_deadline=2.0,
            shutdown_timeout=10.0,
        )
        shipper: Shipper | None = None
        try:
            self.collector.start()
            shipper = Shipper(settings, transport=self.acks)
            emitters = _Emitters(shipper, self.workload, self.config)
            try:
                emitters.start()
                self._faults_until(time.monotonic() + self.config.seconds)
            finally:
                emitters.join()
            self._finish(shipper, emitters)
        finally:
            if shipper is not None:
                shipper.shutdown(10.0)  # a no-op after _finish; on failure, stops the worker
            self.proxy.close()
            self.collector.close()
        return self.report

    # -- faults ------------------------------------------------------------------------------

    def _schedule(self) -> Iterator[str]:
        """Faults in rounds: every kind once per round, in a random order."""
        while True:
            yield from self.random.sample(FAULTS, len(FAULTS))

    def _faults_until(self, deadline: float) -> None:
        for fault in self._schedule():
            healthy = self.random.uniform(1.0, 4.0)
            if time.monotonic() + healthy >= deadline:
                return
            time.sleep(healthy)  # a healthy period of the schedule, not a wait for a condition
            self.faults[fault] += 1
            self.log(f"soak: {fault} #{self.faults[fault]} ({self.workload.emitted} emitted)")
            getattr(self, f"_{fault}")()
            self._measure_recovery(time.monotonic())

    def _kill9(self) -> None:
        self.collector.kill()
        self._check_durability()
        time.sleep(self.random.uniform(0.5, 3.0))  # the outage itself
        self.collector.start()

    def _restart(self) -> None:
        self.collector.stop()
        self.collector.start()

    def _slow(self) -> None:
        self.proxy.slow(self.random.uniform(0.5, 2.0))
        time.sleep(self.random.uniform(2.0, 6.0))  # the slow period itself
        self.proxy.slow(0.0)

    def _partition(self) -> None:
        self.proxy.cut()
        time.sleep(self.random.uniform(1.0, 3.0))  # the partition itself
        self.proxy.restore()

    def _check_durability(self) -> None:
        """With the collector dead, every acknowledged record must already be committed."""
        acknowledged = self.acks.acknowledged()
        stored = read_database(self.database_url).distinct_ids
        missing = acknowledged - stored
        self.report.durability_checks += 1
        self.report.acknowledged_but_missing += len(missing)
        if missing:
            self.report.problems.append(
                f"{len(missing)} acknowledged record(s) not in the database after kill -9"
            )

    def _measure_recovery(self, fault_ended: float) -> None:
        deadline = fault_ended + _RECOVERY_DEADLINE_S
        while not self.acks.with_status(200, since=fault_ended):
            if time.monotonic() > deadline:
                self.report.problems.append(
                    f"no batch acknowledged within {_RECOVERY_DEADLINE_S} s after a fault"
                )
                return
            time.sleep(_POLL_S)
        first = min(a.ended for a in self.acks.with_status(200, since=fault_ended))
        self.report.recovery_s.append(round(first - fault_ended, 3))

    # -- the end -----------------------------------------------------------------------------

    def _finish(self, shipper: Shipper, emitters: _Emitters) -> None:
        report = self.report
        flush_started = time.monotonic()
        report.final_flush_ok = shipper.flush(self.config.flush_timeout)
        report.final_flush_s = round(time.monotonic() - flush_started, 3)
        stats: ShipperStats = shipper.stats
        shipper.shutdown(10.0)
        verdict: Verdict = self.workload.verify(read_database(self.database_url))
        durations = emitters.all_durations()
        if durations:
            report.emit_p50_ms = round(1000 * durations[len(durations) // 2], 3)
            report.emit_p99_ms = round(1000 * durations[int(len(durations) * 0.99)], 3)
            report.emit_max_ms = round(1000 * durations[-1], 3)
        report.emitted = self.workload.emitted
        report.acknowledged = len(self.acks.acknowledged())
        report.stored = verdict.stored_distinct
        report.stored_rows = verdict.stored_rows
        report.duplicates_in_database = verdict.duplicates
        report.faults = dict(sorted(self.faults.items()))
        report.collector_starts = self.collector.starts
        report.shipper = {k: v for k, v in asdict(stats).items() if k != "queued"}
        report.problems += verdict.problems
        report.problems += [f"emitter thread failed: {exc!r}" for exc in emitters.errors]
        if not report.final_flush_ok:
            report.problems.append(f"the final flush did not finish: {stats}")
        if stats.dropped:
            report.problems.append(f"the shipper dropped {stats.dropped} record(s)")
        if report.acknowledged != report.emitted:
            report.problems.append(
                f"{report.emitted - report.acknowledged} emitted record(s) never acknowledged"
            )


def run_soak(config: SoakConfig, log: Callable[[str], None] = lambda _: None) -> SoakReport:
    """Run the soak described in the module docstring; never raises on a failed check
    (the report's ``problems`` say what went wrong)."""
    config.workdir.mkdir(parents=True, exist_ok=True)
    return _Soak(config, log).run()
