"""Fault injection for agenttrace's reliability tests (and the standalone soak).

* `CollectorProcess`: a real collector process that can be killed (-9), stopped, restarted;
* `TcpProxy`: a TCP proxy that can be cut, restored and slowed (collector or PostgreSQL);
* `AckLog`: an httpx transport recording what the collector acknowledged, attempt by attempt;
* `Workload`: deterministic records and what they must add up to in the database;
* `wait_until`: polling with a deadline, for what cannot be awaited;
* `read_database`: the ids and session rollups, read directly from SQLite or PostgreSQL;
* `run_soak`: the soak (steady emission under random faults), also run by
  ``benchmarks/soak.py``.

The package is imported with ``tests/reliability`` on ``sys.path`` (its conftest puts it
there; child processes get it through ``PYTHONPATH``).
"""

from __future__ import annotations

from faultkit.acks import AckLog, Attempt
from faultkit.collector import CollectorProcess, CollectorStartError, free_port
from faultkit.database import PROJECT, SessionTotals, StoredData, read_database
from faultkit.polling import wait_until
from faultkit.proxy import TcpProxy
from faultkit.soak import FAULTS, SoakConfig, SoakReport, run_soak
from faultkit.workload import T0, Verdict, Workload

__all__ = [
    "FAULTS",
    "PROJECT",
    "T0",
    "AckLog",
    "Attempt",
    "CollectorProcess",
    "CollectorStartError",
    "SessionTotals",
    "SoakConfig",
    "SoakReport",
    "StoredData",
    "TcpProxy",
    "Verdict",
    "Workload",
    "free_port",
    "read_database",
    "run_soak",
    "wait_until",
]
