"""The rollup's compact cells (migration 12): what a metrics query merges per cell (project,
UTC hour, model, provider, kind, status) without the database grouping many rows.

* ``metrics_hourly_digests``: one row per cell with its latency and time-to-first-token
  histograms (`agenttrace.server.store._histogram` buckets), each *packed*: the counts as
  64-bit lanes of one integer (lane 0 the zero bucket, lane ``b - FIRST_BUCKET + 1`` bucket
  ``b``), stored from its lowest non-zero lane (``*_low``) as little-endian bytes, and the
  exact minimum and maximum. Histograms of many cells add up as plain integers.
* ``metrics_session_numbers``: a number per session, given by the database in the order
  sessions first come (so the sessions of one hour have nearby numbers).
* ``metrics_hourly_session_bits``: per cell and block of `BLOCK` session numbers, the
  sessions with a request there as a bitmap (bit ``number % BLOCK``), stored from its
  lowest non-zero byte. Distinct sessions over many cells are the bits of their OR.

A row is rewritten whole, so a writer reads it under a row lock (`Dialect.lock_rows`),
after making sure it exists (``INSERT ... ON CONFLICT DO NOTHING``): concurrent PostgreSQL
writers wait for each other per cell and lose no update. Rows are visited in key order, as
the rest of ingest, so they cannot deadlock.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agenttrace.server.store._histogram import GROWTH, SMALLEST_MS, ZERO_BUCKET, bucket_of
from agenttrace.server.store.dialect import DbConnection, Dialect

__all__ = [
    "BLOCK",
    "FIRST_BUCKET",
    "BitChanges",
    "Digest",
    "Packed",
    "change_bits",
    "count_bits",
    "fill_from_rows",
    "lane_counts",
    "number_sessions",
    "pack",
    "rewrite_bits",
    "rewrite_digests",
    "session_bits",
    "unpack",
]

FIRST_BUCKET = bucket_of(SMALLEST_MS)
"""The lowest bucket of a value that is not in the zero bucket."""
BLOCK = 1 << 16
"""Session numbers per bitmap row (a row holds at most 8 KiB of bits)."""
_LANE = 64
_KEY_COLUMNS = ("project_id", "hour_us", "model", "provider", "kind", "status")
_KEYS = ", ".join(_KEY_COLUMNS)
_MATCH = " AND ".join(f"{column} = ?" for column in _KEY_COLUMNS)

Key = tuple[Any, ...]
"""A cell: project, hour, coded model and provider, kind, status."""


def _lane(bucket: int) -> int:
    return 0 if bucket == ZERO_BUCKET else bucket - FIRST_BUCKET + 1


def _bucket(lane: int) -> int:
    return ZERO_BUCKET if lane == 0 else lane + FIRST_BUCKET - 1


def pack(value: int, unit: int) -> tuple[int, bytes]:
    """``value`` (at least 0) as its lowest non-zero ``unit``-bit unit and the
    little-endian bytes from that unit up."""
    if value <= 0:
        return 0, b""
    low = ((value & -value).bit_length() - 1) // unit
    rest = value >> (low * unit)
    units = -(-rest.bit_length() // unit)
    return low, rest.to_bytes(units * unit // 8, "little")


def unpack(low: int, data: bytes, unit: int) -> int:
    """The integer `pack` made ``(low, data)`` of."""
    return int.from_bytes(data, "little") << (int(low) * unit) if data else 0


def lane_counts(packed: int) -> dict[int, int]:
    """The histogram (bucket -> count) of a packed one."""
    if packed <= 0:
        return {}
    low, data = pack(packed, _LANE)
    lanes = array("Q")
    lanes.frombytes(data)
    return {_bucket(low + i): count for i, count in enumerate(lanes) if count}


def count_bits(blocks: Iterable[int]) -> int:
    """How many sessions the bitmaps ``blocks`` hold."""
    return sum(bits.bit_count() for bits in blocks)


@dataclass(slots=True)
class Packed:
    """One histogram of a cell: packed counts, exact minimum and maximum (None: empty)."""

    counts: int = 0
    low: float | None = None
    high: float | None = None

    @classmethod
    def of_counts(cls, counts: Mapping[int, int], low: float | None, high: float | None) -> Packed:
        """A histogram from its counts (bucket -> count), minimum and maximum."""
        packed = sum(count << (_LANE * _lane(bucket)) for bucket, count in counts.items())
        return cls(packed, low, high)

    def merged(self, other: Packed, sign: int) -> Packed:
        """This histogram with ``other``'s counts added (``sign`` 1) or taken out (-1).
        Taken out, the minimum and maximum cannot be known again: they are narrowed to
        the bounds of the lowest and highest buckets left."""
        counts = self.counts + sign * other.counts
        if counts <= 0:
            return Packed()
        if sign > 0:
            lows = [v for v in (self.low, other.low) if v is not None]
            highs = [v for v in (self.high, other.high) if v is not None]
            return Packed(counts, min(lows, default=None), max(highs, default=None))
        buckets = lane_counts(counts)
        first, last = min(buckets), max(buckets)
        low, high = self.low, self.high
        if low is not None and first != ZERO_BUCKET:
            low = max(low, GROWTH**first)
        if high is not None:
            high = min(high, SMALLEST_MS if last == ZERO_BUCKET else GROWTH ** (last + 1))
        return Packed(counts, low, high)

    def row(self) -> tuple[Any, ...]:
        """The stored columns: lowest lane, lanes, minimum, maximum."""
        return (*pack(self.counts, _LANE), self.low, self.high)

    @classmethod
    def of_row(cls, row: Sequence[Any]) -> Packed:
        """A histogram from its stored columns (see `row`)."""
        return cls(unpack(row[0], bytes(row[1]), _LANE), row[2], row[3])


@dataclass(slots=True)
class Digest:
    """A cell's latency and time-to-first-token histograms."""

    latency: Packed
    ttft: Packed

    @classmethod
    def empty(cls) -> Digest:
        """A digest with no value."""
        return cls(Packed(), Packed())


_LOCK_CHUNK = 200


def _read_locked(
    conn: DbConnection,
    dialect: Dialect,
    table: str,
    values: str,
    keys: Sequence[tuple[Any, ...]],
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The ``values`` of the rows of ``table`` at ``keys`` (a cell's columns, then any
    more key columns, all of one project), locked until commit; one statement a chunk."""
    found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    if not keys:
        return found
    extra = ["block"] if len(keys[0]) > len(_KEY_COLUMNS) else []
    columns = [*_KEY_COLUMNS[1:], *extra]
    joined = " AND ".join(f"t.{c} = v.column{i}" for i, c in enumerate(columns, start=1))
    row_marks = "(" + ", ".join(["?"] * len(columns)) + ")"
    for start in range(0, len(keys), _LOCK_CHUNK):
        chunk = keys[start : start + _LOCK_CHUNK]
        sql = (  # from the keys to the rows: both databases seek the primary key per key
            f"SELECT {', '.join('t.' + c for c in columns)}, {values} "
            f"FROM (VALUES {', '.join([row_marks] * len(chunk))}) AS v JOIN {table} t "
            f"ON t.project_id = ? AND {joined} "
            f"ORDER BY {', '.join('t.' + c for c in columns)}{dialect.lock_rows('t')}"
        )
        params = [*(value for key in chunk for value in key[1:]), chunk[0][0]]
        for row in conn.execute(dialect.sql(sql), params).fetchall():
            found[(chunk[0][0], *row[: len(columns)])] = tuple(row[len(columns) :])
    return found


_DIGEST_VALUES = (
    "latency_low, latency_counts, latency_min, latency_max, "
    "ttft_low, ttft_counts, ttft_min, ttft_max"
)
_ENSURE_DIGEST = (
    f"INSERT INTO metrics_hourly_digests ({_KEYS}, {_DIGEST_VALUES}) "
    "VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL, NULL, 0, ?, NULL, NULL) "
    f"ON CONFLICT ({_KEYS}) DO NOTHING"
)
_WRITE_DIGEST = (
    "UPDATE metrics_hourly_digests SET latency_low = ?, latency_counts = ?, latency_min = ?, "
    "latency_max = ?, ttft_low = ?, ttft_counts = ?, ttft_min = ?, ttft_max = ? "
    f"WHERE {_MATCH}"
)
_DROP_DIGEST = f"DELETE FROM metrics_hourly_digests WHERE {_MATCH}"


def rewrite_digests(
    conn: DbConnection, dialect: Dialect, changes: Mapping[Key, Digest], sign: int
) -> None:
    """Add (``sign`` 1) or take out (-1) the cells' histograms ``changes``; a cell left
    without a value loses its row."""
    keys = sorted(changes)
    if not keys:
        return
    if sign > 0:
        conn.executemany(dialect.sql(_ENSURE_DIGEST), [(*key, b"", b"") for key in keys])
    writes, drops = [], []
    rows: dict[Key, tuple[Any, ...]] = {}
    for project_keys in _by_project(keys):
        rows.update(
            _read_locked(conn, dialect, "metrics_hourly_digests", _DIGEST_VALUES, project_keys)
        )
    for key in keys:
        row = rows.get(key)
        if row is None:
            continue  # taking out of a cell that is gone: nothing left to take
        change = changes[key]
        latency = Packed.of_row(row[:4]).merged(change.latency, sign)
        ttft = Packed.of_row(row[4:]).merged(change.ttft, sign)
        if latency.counts or ttft.counts or sign > 0:
            writes.append((*latency.row(), *ttft.row(), *key))
        else:
            drops.append(key)
    conn.executemany(dialect.sql(_WRITE_DIGEST), writes)
    conn.executemany(dialect.sql(_DROP_DIGEST), drops)


def _by_project(keys: Sequence[Key]) -> list[list[Key]]:
    """``keys`` (sorted) in runs of one project."""
    runs: list[list[Key]] = []
    for key in keys:
        if not runs or runs[-1][0][0] != key[0]:
            runs.append([])
        runs[-1].append(key)
    return runs


_NUMBERS_CHUNK = 500


def number_sessions(
    conn: DbConnection, dialect: Dialect, project_id: str, session_ids: Iterable[str]
) -> dict[str, int]:
    """The numbers of ``session_ids`` of the project, giving new sessions theirs."""
    wanted = sorted(set(session_ids))
    numbers: dict[str, int] = {}
    for start in range(0, len(wanted), _NUMBERS_CHUNK):
        chunk = wanted[start : start + _NUMBERS_CHUNK]
        _read_numbers(conn, dialect, project_id, chunk, numbers)
        missing = [session_id for session_id in chunk if session_id not in numbers]
        if missing:  # inserted only when missing: PostgreSQL spends a number on a conflict
            conn.executemany(
                dialect.sql(
                    "INSERT INTO metrics_session_numbers (project_id, session_id) VALUES (?, ?) "
                    "ON CONFLICT (project_id, session_id) DO NOTHING"
                ),
                [(project_id, session_id) for session_id in missing],
            )
            _read_numbers(conn, dialect, project_id, missing, numbers)
    return numbers


def _read_numbers(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    session_ids: Sequence[str],
    out: dict[str, int],
) -> None:
    marks = ", ".join(["(?)"] * len(session_ids))
    rows = conn.execute(  # from the ids to the rows: an index lookup each, whatever plan a
        dialect.sql(  # prepared statement settles on (an IN list's may scan the table)
            f"SELECT n.session_id, n.number FROM (VALUES {marks}) AS v "
            "JOIN metrics_session_numbers n ON n.project_id = ? AND n.session_id = v.column1"
        ),
        [*session_ids, project_id],
    ).fetchall()
    out.update((str(session_id), int(number)) for session_id, number in rows)


def session_bits(pairs: Iterable[tuple[Key, int]]) -> dict[tuple[Key, int], int]:
    """The bitmaps (per cell and block) of ``pairs`` (cell, session number)."""
    bits: dict[tuple[Key, int], int] = {}
    for key, number in pairs:
        block = (key, number // BLOCK)
        bits[block] = bits.get(block, 0) | (1 << (number % BLOCK))
    return bits


_ENSURE_BITS = (
    f"INSERT INTO metrics_hourly_session_bits ({_KEYS}, block, bits_low, bits) "
    f"VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT ({_KEYS}, block) DO NOTHING"
)
_WRITE_BITS = (
    f"UPDATE metrics_hourly_session_bits SET bits_low = ?, bits = ? WHERE {_MATCH} AND block = ?"
)
_DROP_BITS = f"DELETE FROM metrics_hourly_session_bits WHERE {_MATCH} AND block = ?"


def rewrite_bits(
    conn: DbConnection,
    dialect: Dialect,
    *,
    clear: Mapping[tuple[Key, int], int],
    add: Mapping[tuple[Key, int], int],
) -> None:
    """Clear the bits ``clear``, then set the bits ``add`` (both per cell and block); a
    block left empty loses its row."""
    blocks = sorted(set(clear) | set(add))
    if not blocks:
        return
    conn.executemany(dialect.sql(_ENSURE_BITS), [(*key, block, b"") for key, block in sorted(add)])
    writes, drops = [], []
    rows: dict[Key, tuple[Any, ...]] = {}
    flat = [(*key, block) for key, block in blocks]
    for project_keys in _by_project(flat):
        rows.update(
            _read_locked(
                conn, dialect, "metrics_hourly_session_bits", "bits_low, bits", project_keys
            )
        )
    for key, block in blocks:
        row = rows.get((*key, block))
        if row is None:
            continue  # clearing a block that is gone
        bits = unpack(row[0], bytes(row[1]), 8) & ~clear.get((key, block), 0)
        bits |= add.get((key, block), 0)
        if bits:
            writes.append((*pack(bits, 8), *key, block))
        else:
            drops.append((*key, block))
    conn.executemany(dialect.sql(_WRITE_BITS), writes)
    conn.executemany(dialect.sql(_DROP_BITS), drops)


@dataclass(slots=True)
class BitChanges:
    """Changes to the session bitmaps gathered over a transaction and written at its end
    in one `rewrite_bits` (rows in key order): a writer that changes bitmaps in several
    steps (OTLP ingest: its new records', then the moved records') would otherwise lock
    their rows in two sorted runs, which another such writer could cross (a deadlock)."""

    clear: dict[tuple[Key, int], int] = field(default_factory=dict)
    add: dict[tuple[Key, int], int] = field(default_factory=dict)

    def then(
        self, clear: Mapping[tuple[Key, int], int], add: Mapping[tuple[Key, int], int]
    ) -> None:
        """Follow the changes so far by `rewrite_bits` of ``clear`` and ``add``."""
        for block, mask in clear.items():
            self.clear[block] = self.clear.get(block, 0) | mask
            kept = self.add.pop(block, 0) & ~mask
            if kept:
                self.add[block] = kept
        for block, mask in add.items():
            self.add[block] = self.add.get(block, 0) | mask

    def write(self, conn: DbConnection, dialect: Dialect) -> None:
        """`rewrite_bits` of every change gathered (then none is left)."""
        rewrite_bits(conn, dialect, clear=self.clear, add=self.add)
        self.clear, self.add = {}, {}


def change_bits(
    conn: DbConnection,
    dialect: Dialect,
    changes: BitChanges | None,
    *,
    clear: Mapping[tuple[Key, int], int],
    add: Mapping[tuple[Key, int], int],
) -> None:
    """`rewrite_bits` now, or, given ``changes``, later with them."""
    if changes is None:
        rewrite_bits(conn, dialect, clear=clear, add=add)
    else:
        changes.then(clear, add)


_FILL_DAYS_US = 7 * 86400 * 1_000_000


def fill_from_rows(conn: DbConnection, dialect: Dialect) -> None:
    """Migration 12's step after its statements: the digests and bitmaps from migration 8's
    rows (a histogram row per cell and bucket, a session row per cell and session), a week
    of hours at a time; then migration 8's histogram tables are dropped."""
    span = conn.execute("SELECT min(hour_us), max(hour_us) FROM metrics_hourly").fetchone()
    if span is not None and span[0] is not None:
        for since in range(int(span[0]), int(span[1]) + 1, _FILL_DAYS_US):
            hours = (since, since + _FILL_DAYS_US)
            digests: dict[Key, Digest] = {}
            for which, table in enumerate(("metrics_hourly_latency", "metrics_hourly_ttft")):
                rows = conn.execute(
                    dialect.sql(
                        f"SELECT {_KEYS}, bucket, requests, value_min, value_max FROM {table} "
                        "WHERE hour_us >= ? AND hour_us < ?"
                    ),
                    hours,
                ).fetchall()
                for row in rows:
                    key = tuple(row[:6])
                    digest = digests.setdefault(key, Digest.empty())
                    packed = (digest.latency, digest.ttft)[which]
                    one = Packed.of_counts({int(row[6]): int(row[7])}, row[8], row[9])
                    merged = packed.merged(one, 1)
                    packed.counts, packed.low, packed.high = merged.counts, merged.low, merged.high
            rewrite_digests(conn, dialect, digests, 1)
            pairs = conn.execute(
                dialect.sql(
                    f"SELECT {', '.join('s.' + c for c in _KEY_COLUMNS)}, n.number "
                    "FROM metrics_hourly_sessions s JOIN metrics_session_numbers n "
                    "ON n.project_id = s.project_id AND n.session_id = s.session_id "
                    "WHERE s.hour_us >= ? AND s.hour_us < ?"
                ),
                hours,
            ).fetchall()
            added = session_bits((tuple(row[:6]), int(row[6])) for row in pairs)
            rewrite_bits(conn, dialect, clear={}, add=added)
    conn.execute("DROP TABLE metrics_hourly_latency")
    conn.execute("DROP TABLE metrics_hourly_ttft")
