"""SQLite ingest of records with three properties, with ``record_properties`` as migration 4
keeps it against the layout before it.

    uv run python benchmarks/record_properties_layout.py [--records 50000] [--rounds 5]

Migration 4 keeps one row per property under one key, (project, key, value, record), and
SQLite stores the table as that key (``WITHOUT ROWID``). Before it (migrations 1-3) each
row went into a rowid table, its primary key (project, record, key) and an index
(project, key, value). Both layouts (today's schema, the baseline with that table as
migrations 1-3 left it) run the collector's own ingest
(`ingest_records`, batches of 1000 records, one ``BEGIN IMMEDIATE`` ... ``COMMIT`` each,
WAL, ``synchronous=FULL``) over the same records into fresh SQLite files, taking turns in
each round, in this process with the collector's garbage-collector settings. Printed:
microseconds per record for each, round by round, then the medians and their ratio.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from shipper_throughput import calibration_ms
from store_ingest_postgres import _ingest_records

from agenttrace.records import Record
from agenttrace.server._gc import tune_for_ingest
from agenttrace.server.store._ingest import ingest_records
from agenttrace.server.store.dialect import Dialect
from agenttrace.server.store.migrations import MIGRATIONS, Migration, apply_migrations

BATCH = 1000
_LAYOUT_BEFORE_4 = Migration(
    version=MIGRATIONS[-1].version + 1,
    description="record_properties as migrations 1-3 made it (a rowid table and an index)",
    statements=(
        "DROP TABLE record_properties",
        # migration 1's own statements for the table and its index
        *(sql for sql in MIGRATIONS[0].statements if "record_properties" in sql),
    ),
)
"""Today's schema but for ``record_properties``, which gets migration 1's layout back: the
ingest of today's collector needs today's other tables (the rollups came later)."""

LAYOUTS: dict[str, tuple[Migration, ...]] = {
    "before migration 4 (baseline)": (*MIGRATIONS, _LAYOUT_BEFORE_4),
    "migration 4": MIGRATIONS,
}


def _us_per_record(path: Path, migrations: tuple[Migration, ...], records: list[Record]) -> float:
    """Ingest ``records`` into a new SQLite file at ``path`` migrated by ``migrations``."""
    dialect = Dialect()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("BEGIN IMMEDIATE")
        apply_migrations(conn, dialect, 0, migrations)
        conn.execute("COMMIT")
        started = time.perf_counter()
        for index in range(0, len(records), BATCH):
            conn.execute("BEGIN IMMEDIATE")
            ingest_records(conn, dialect, "default", records[index : index + BATCH], 0)
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    return elapsed / len(records) * 1e6


def main() -> int:
    """Run the comparison and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=50_000, help="records per run")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (each layout once)")
    args = parser.parse_args()
    records = _ingest_records(args.records, random.Random(11))
    tune_for_ingest()
    print(f"{args.records:,} records (three properties and a user each), batches of {BATCH}")
    print(f"CPU calibration (a fixed 1M-step Python loop): {calibration_ms():.1f} ms")
    timings: dict[str, list[float]] = {label: [] for label in LAYOUTS}
    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp:
        for round_number in range(1, args.rounds + 1):
            for index, (label, migrations) in enumerate(LAYOUTS.items()):
                path = Path(tmp) / f"round-{round_number}-{index}.db"
                timings[label].append(_us_per_record(path, migrations, records))
            line = ", ".join(f"{label} {values[-1]:.2f}" for label, values in timings.items())
            print(f"round {round_number} (us/record): {line}")
    baseline, current = (statistics.median(values) for values in timings.values())
    print(f"median us/record: before migration 4 {baseline:.2f}, migration 4 {current:.2f}")
    print(f"ratio records/s migration 4 / before: {baseline / current:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
