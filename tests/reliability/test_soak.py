"""The soak: steady emission under random faults, then an exact count (`faultkit.soak`).

``AGENTTRACE_SOAK_SECONDS`` sets how long it emits (default 30); ``AGENTTRACE_SOAK_SEED``
replays a fault schedule (default: a new random seed, printed with the report). For a long
run outside pytest: ``uv run python benchmarks/soak.py --seconds 900``.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from faultkit import run_soak
from faultkit.soak import SoakConfig

SOAK_SECONDS = float(os.environ.get("AGENTTRACE_SOAK_SECONDS", "30"))


@pytest.mark.slow
@pytest.mark.timeout(SOAK_SECONDS + 420)
def test_soak_under_random_faults_stores_every_record_once(tmp_path: Path) -> None:
    """Emitting from 3 threads while the collector is killed, restarted, slowed and cut
    off at random: every acknowledged record survives each kill -9, and at the end every
    emitted record is stored exactly once with exact session rollups."""
    seed = int(os.environ.get("AGENTTRACE_SOAK_SEED") or random.SystemRandom().randrange(10**6))
    report = run_soak(SoakConfig(seconds=SOAK_SECONDS, workdir=tmp_path, seed=seed), log=print)
    print(f"\nsoak ({SOAK_SECONDS:g} s, AGENTTRACE_SOAK_SEED={seed}):\n{report.summary()}")
    assert report.problems == [], f"seed {seed}: {report.problems}"
    assert report.emitted == report.acknowledged == report.stored == report.stored_rows > 0
    assert report.duplicates_in_database == 0
    assert sum(report.faults.values()) >= 1
