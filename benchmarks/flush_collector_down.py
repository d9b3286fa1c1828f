"""How long the README's Quick start waits in ``agenttrace.flush()`` when the collector is down.

    uv run python benchmarks/flush_collector_down.py [--rounds 3] [--compare-ref 3ccd279]

Each round runs the Quick start (a ``ManualLogger()`` call in an ``agenttrace.session``,
then ``agenttrace.flush()``) in a fresh Python process with default settings (a 30 s retry
deadline) and a spool directory of its own, and times ``flush()``:

* baseline: a real collector answers (``python -m agenttrace.server`` over a fresh SQLite
  file, started once);
* down: ``AGENTTRACE_ENDPOINT`` names a port where nothing listens (connections refused).

It prints the median time of each, the ratio down / baseline, what ``flush()`` returned,
the warning lines the process printed and the records left in the spool. With
``--compare-ref`` the down case is run again against that git revision's ``src`` (exported
with ``git archive`` to a temporary directory and put first on ``PYTHONPATH``), to show the
time before a change in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from _collector import collector_process, free_port

ROOT = Path(__file__).resolve().parent.parent

QUICK_START = """
import json, time
import agenttrace
from agenttrace import ManualLogger

logger = ManualLogger()

def search(recorder):
    hits = ["hotel a", "hotel b"]
    recorder.append_results({"documents": hits})
    return hits

with agenttrace.session(name="trip-planner", properties={"env": "dev"}):
    hits = logger.log_request(
        {"_type": "vector_db", "operation": "search", "text": "Lisbon hotels"},
        search,
        {"Helicone-Session-Path": "/research/search"},
    )
started = time.perf_counter()
ok = agenttrace.flush()
print(json.dumps({"ok": ok, "seconds": time.perf_counter() - started}))
"""


@dataclass(frozen=True)
class Run:
    """One Quick start process."""

    ok: bool
    seconds: float
    warnings: list[str]
    spooled: int


@contextmanager
def collector() -> Iterator[str]:
    """A real collector in its own process over a fresh SQLite file."""
    with (
        tempfile.TemporaryDirectory(prefix="flush-bench-db-") as data_dir,
        collector_process(Path(data_dir)) as url,
    ):
        yield url


@contextmanager
def source_of(ref: str) -> Iterator[Path]:
    """``src`` of git revision ``ref``, exported to a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="flush-bench-src-") as target:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", target], input=archive.stdout, check=True)
        yield Path(target) / "src"


def quick_start(endpoint: str, src: Path | None) -> Run:
    """Run the Quick start once against ``endpoint`` (with ``src`` first on the path)."""
    with tempfile.TemporaryDirectory(prefix="flush-bench-spool-") as spool:
        env = {**os.environ, "AGENTTRACE_ENDPOINT": endpoint, "AGENTTRACE_SPOOL_DIR": spool}
        for name in ("AGENTTRACE_RETRY_DEADLINE", "AGENTTRACE_API_KEY", "PYTHONPATH"):
            env.pop(name, None)
        if src is not None:
            env["PYTHONPATH"] = str(src)
        done = subprocess.run(
            [sys.executable, "-c", QUICK_START],
            check=False,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            msg = f"the Quick start failed:\n{done.stderr}"
            raise RuntimeError(msg)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        spooled = sum(
            len(json.loads(path.read_bytes())["records"]) for path in Path(spool).glob("*.json")
        )
        warnings = [line for line in done.stderr.splitlines() if line.startswith("agenttrace:")]
        return Run(bool(result["ok"]), float(result["seconds"]), warnings, spooled)


def measure(label: str, endpoint: str, src: Path | None, rounds: int) -> float:
    """Run ``rounds`` times, print a line per case, return the median seconds."""
    runs = [quick_start(endpoint, src) for _ in range(rounds)]
    median = statistics.median(run.seconds for run in runs)
    last = runs[-1]
    print(
        f"{label:<34} flush() {median:8.3f} s (median of {rounds})  returned {last.ok!s:<5}  "
        f"spooled {last.spooled}  warning lines {len(last.warnings)}"
    )
    for line in last.warnings:
        print(f"{'':<36}| {line}")
    return median


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare-ref", help="also run the down case on this git revision")
    args = parser.parse_args()
    down = f"http://127.0.0.1:{free_port()}"
    with collector() as url:
        baseline = measure("baseline: collector answers", url, None, args.rounds)
    now = measure("down: connections refused", down, None, args.rounds)
    print(f"ratio down / baseline: {now / baseline:.1f}x")
    if args.compare_ref:
        with source_of(args.compare_ref) as src:
            before = measure(f"down, at {args.compare_ref}", down, src, args.rounds)
        print(f"ratio down at {args.compare_ref} / baseline: {before / baseline:.1f}x")
        print(f"ratio down at {args.compare_ref} / down now: {before / now:.1f}x")


if __name__ == "__main__":
    main()
