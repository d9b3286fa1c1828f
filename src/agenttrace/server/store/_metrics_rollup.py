"""The hourly metrics rollup (migrations 8 and 12): what ``GET /v1/metrics`` reads instead
of the records when it can, so a week of a million requests by day x model is a few thousand
rows.

Its tables are keyed by *cell*: project, UTC hour, model, provider, kind and status, and
maintained in the ingest transaction:

* ``metrics_hourly``: the request count, errors, token sums, cost sum and count, and the
  latency count and sum (additive upserts, so concurrent PostgreSQL writers never lose an
  update);
* ``metrics_hourly_digests`` and ``metrics_hourly_session_bits``
  (`agenttrace.server.store._rollup_cells`): per cell, its latency and time-to-first-token
  histograms packed in one row, and the sessions with a request there as bitmaps of
  session numbers (distinct sessions do not add up; bitmaps OR together);
* ``metrics_hourly_sessions``: the same sessions as rows, indexed by session, so that a
  pruned or re-placed session is found in the cells that hold it.

Model and provider are kept coded (`code`: ``''`` for none, ``'=' + value`` otherwise) so
that a key column is never NULL and an empty name stays apart from none.

A metrics query takes the rollup (`plan`) when it groups by nothing but time (hour or
day buckets), model, provider, kind and status, filters on nothing but those and the time
range, and its time zone's offsets and their changes fall on whole hours over the
project's records (every zone but a few such as Asia/Kolkata). The whole hours of its
range come from the rollup, the partial hours at either end from the records.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from agenttrace.core.text_repair import repair_text
from agenttrace.records import Record, RecordKind, Status
from agenttrace.server.store._histogram import bucket_of
from agenttrace.server.store._rollup_cells import (
    BitChanges,
    Digest,
    Packed,
    change_bits,
    number_sessions,
    rewrite_bits,
    rewrite_digests,
    session_bits,
)
from agenttrace.server.store._time_buckets import Bucketing, BucketUnit
from agenttrace.server.store.dialect import DbConnection, Dialect, to_us
from agenttrace.server.store.filters import And, Cmp, Field, Filter, Op, and_
from agenttrace.server.store.metrics import Dimension, MetricsQuery
from agenttrace.server.store.migrations import RECORD_COLUMNS

__all__ = [
    "HOUR_US",
    "ITEM_FIELDS",
    "ROLLUP_DIMENSIONS",
    "RollupPlan",
    "add_rows_to_rollup",
    "add_to_rollup",
    "code",
    "decode",
    "decoded_sql",
    "forget_sessions",
    "plan",
    "recount_sessions",
    "remember_moved",
    "remove_from_rollup",
]

HOUR_US = 3_600_000_000

ROLLUP_DIMENSIONS = (Dimension.MODEL, Dimension.PROVIDER, Dimension.KIND, Dimension.STATUS)
_KEYS = "project_id, hour_us, model, provider, kind, status"


def code(value: str | None) -> str:
    """A model or provider as the rollup keeps it."""
    return "" if value is None else f"={value}"


def decode(value: str) -> str | None:
    """A coded model or provider back as the record had it."""
    return value[1:] if value else None


def hour_of(start_us: int) -> int:
    """The first microsecond of the UTC hour holding ``start_us``."""
    return start_us - start_us % HOUR_US


# --- ingest -----------------------------------------------------------------------------


def _plus(columns: Iterable[str], table: str) -> list[str]:
    return [f"{c} = {table}.{c} + excluded.{c}" for c in columns]


_SUMS = (
    "requests",
    "errors",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_tokens",
    "reasoning_tokens",
    "cost_count",
    "latency_count",
    "latency_sum",
)
_UPSERT_HOURLY = (
    f"INSERT INTO metrics_hourly ({_KEYS}, {', '.join(_SUMS)}, cost_sum) "
    f"VALUES ({', '.join(['?'] * (6 + len(_SUMS) + 1))}) "
    f"ON CONFLICT ({_KEYS}) DO UPDATE SET "
    + ", ".join(
        [
            *_plus(_SUMS, "metrics_hourly"),
            "cost_sum = CASE WHEN metrics_hourly.cost_sum IS NULL THEN excluded.cost_sum "
            "WHEN excluded.cost_sum IS NULL THEN metrics_hourly.cost_sum "
            "ELSE metrics_hourly.cost_sum + excluded.cost_sum END",
        ]
    )
)
_INSERT_SESSION = (
    f"INSERT INTO metrics_hourly_sessions ({_KEYS}, session_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
    f"ON CONFLICT ({_KEYS}, session_id) DO NOTHING"
)


ITEM_FIELDS = (
    "start_us, end_us, ttft_ms, model, provider, kind, status, input_tokens, output_tokens, "
    "total_tokens, cache_read_tokens, reasoning_tokens, cost_usd, session_id"
)
"""The columns of a stored record the rollup counts, in the order of a rollup item."""

Item = tuple[Any, ...]


def record_item(record: Record) -> Item:
    """What the rollup counts of ``record``, as `ITEM_FIELDS` has it stored."""
    usage = record.usage
    return (
        to_us(record.start_time),
        to_us(record.end_time) if record.end_time is not None else None,
        record.time_to_first_token_ms,
        repair_text(record.model) if record.model is not None else None,
        repair_text(record.provider) if record.provider is not None else None,
        str(record.kind),
        str(record.status),
        *(
            (usage.input_tokens, usage.output_tokens, usage.total_tokens,
             usage.cache_read_tokens, usage.reasoning_tokens)
            if usage is not None else (None,) * 5
        ),
        record.cost_usd,
        record.session_id,
    )  # fmt: skip


@dataclass(slots=True)
class _Values:
    """Values of one cell as they are counted: per histogram bucket, minimum, maximum."""

    counts: dict[int, int] = field(default_factory=dict)
    low: float | None = None
    high: float | None = None

    def add(self, value: float) -> None:
        bucket = bucket_of(value)
        self.counts[bucket] = self.counts.get(bucket, 0) + 1
        self.low = value if self.low is None else min(self.low, value)
        self.high = value if self.high is None else max(self.high, value)

    def packed(self) -> Packed:
        return Packed.of_counts(self.counts, self.low, self.high)


@dataclass(slots=True)
class _Counts:
    hourly: dict[tuple[Any, ...], list[Any]]
    values: dict[tuple[Any, ...], tuple[_Values, _Values]]
    """Per cell, its latencies and times to first token."""
    sessions: set[tuple[Any, ...]]

    def digests(self) -> dict[tuple[Any, ...], Digest]:
        return {
            key: Digest(latency.packed(), ttft.packed())
            for key, (latency, ttft) in self.values.items()
        }


def _count(project_id: str, items: Iterable[Item]) -> _Counts:
    counts = _Counts({}, {}, set())
    for item in items:
        start_us, end_us, first, model, provider, kind, status = item[:7]
        if kind == RecordKind.HUMAN.value:
            continue  # questions to a human: their waits are not latencies (see `plan`)
        tokens, cost, session_id = item[7:12], item[12], item[13]
        key = (project_id, hour_of(start_us), code(model), code(provider), kind, status)
        sums = counts.hourly.setdefault(key, [0] * len(_SUMS) + [None])
        sums[0] += 1
        sums[1] += status == Status.ERROR.value
        for index, value in enumerate(tokens, start=2):
            sums[index] += value or 0
        if cost is not None:
            sums[7] += 1
            sums[10] = cost if sums[10] is None else sums[10] + cost
        if end_us is not None or first is not None:
            latencies, firsts = counts.values.setdefault(key, (_Values(), _Values()))
            if end_us is not None:
                latency = (end_us - start_us) / 1000.0
                sums[8] += 1
                sums[9] += latency
                latencies.add(latency)
            if first is not None:
                firsts.add(first)
        counts.sessions.add((*key, session_id))
    return counts


def add_to_rollup(
    conn: DbConnection, dialect: Dialect, project_id: str, records: Sequence[Record]
) -> None:
    """Count ``records`` (newly stored) in the rollup, in ``conn``'s transaction. Rows are
    written in key order, as the rest of ingest, so concurrent writers cannot deadlock."""
    _add_items(conn, dialect, project_id, map(record_item, records))


_ROW_ITEM = itemgetter(*(RECORD_COLUMNS.index(name) for name in ITEM_FIELDS.split(", ")))


def add_rows_to_rollup(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    rows: Iterable[Sequence[Any]],
    bits: BitChanges | None = None,
) -> None:
    """`add_to_rollup` of records given as the rows ingest has just written
    (`RECORD_COLUMNS`; their text already repaired); the session bitmaps' changes are
    written now, or gathered in ``bits``."""
    _add_items(conn, dialect, project_id, map(_ROW_ITEM, rows), bits)


def _add_items(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    items: Iterable[Item],
    bits: BitChanges | None = None,
) -> None:
    counts = _count(project_id, items)
    hourly = sorted(counts.hourly.items(), key=_by_key)
    conn.executemany(dialect.sql(_UPSERT_HOURLY), [(*k, *v) for k, v in hourly])
    rewrite_digests(conn, dialect, counts.digests(), 1)
    conn.executemany(dialect.sql(_INSERT_SESSION), sorted(counts.sessions))
    numbers = number_sessions(conn, dialect, project_id, (row[-1] for row in counts.sessions))
    added = session_bits((tuple(row[:-1]), numbers[row[-1]]) for row in counts.sessions)
    change_bits(conn, dialect, bits, clear={}, add=added)


_PK = "project_id = ? AND hour_us = ? AND model = ? AND provider = ? AND kind = ? AND status = ?"
_SUBTRACT_HOURLY = (
    "UPDATE metrics_hourly SET "
    + ", ".join(f"{c} = {c} - ?" for c in _SUMS)
    # the right-hand sides read the row as it was: cost_count = ? means none is left
    + f", cost_sum = CASE WHEN cost_count = ? THEN NULL ELSE cost_sum - ? END WHERE {_PK}"
)
_DROP_EMPTY_HOURLY = f"DELETE FROM metrics_hourly WHERE {_PK} AND requests <= 0"


def remove_from_rollup(
    conn: DbConnection, dialect: Dialect, project_id: str, items: Sequence[Item]
) -> None:
    """Take deleted records (`ITEM_FIELDS` rows) out of the rollup's sums and histograms,
    in ``conn``'s transaction; rows left with no request are dropped. Minimums and
    maximums stay as they were (they cannot be taken back): the percentiles of what is
    left may be clamped to a slightly wider range. The sessions' sets are the caller's
    (`forget_sessions`)."""
    if not items:
        return
    counts = _count(project_id, items)
    hourly = sorted(counts.hourly.items(), key=_by_key)
    conn.executemany(
        dialect.sql(_SUBTRACT_HOURLY),
        [(*v[: len(_SUMS)], v[7], v[10] or 0.0, *k) for k, v in hourly],
    )
    conn.executemany(dialect.sql(_DROP_EMPTY_HOURLY), [k for k, _ in hourly])
    rewrite_digests(conn, dialect, counts.digests(), -1)


_FORGET = (
    f"DELETE FROM metrics_hourly_sessions WHERE project_id = ? AND session_id = ? RETURNING {_KEYS}"
)
_REMEMBER = (
    f"INSERT INTO metrics_hourly_sessions ({_KEYS}, session_id) "
    f"SELECT DISTINCT r.project_id, r.start_us - ((r.start_us % {HOUR_US}) + {HOUR_US}) % "
    f"{HOUR_US}, CASE WHEN r.model IS NULL THEN '' ELSE '=' || r.model END, "
    "CASE WHEN r.provider IS NULL THEN '' ELSE '=' || r.provider END, r.kind, r.status, "
    "r.session_id FROM records r WHERE r.project_id = ? AND r.session_id = ? "
    f"AND r.kind <> 'human' RETURNING {_KEYS}"
)
_DROP_NUMBER = "DELETE FROM metrics_session_numbers WHERE project_id = ? AND session_id = ?"


def _cells(conn: DbConnection, sql: str, project_id: str, session_id: str) -> list[Any]:
    return [tuple(row) for row in conn.execute(sql, (project_id, session_id)).fetchall()]


def forget_sessions(conn: DbConnection, dialect: Dialect, keys: Sequence[tuple[str, str]]) -> None:
    """Drop the sessions ``keys`` (project, session) from the rollup's sets and bitmaps,
    and their numbers."""
    forget = dialect.sql(_FORGET)
    for project_id, session_id in sorted(keys):
        cells = _cells(conn, forget, project_id, session_id)
        if not cells:
            continue
        number = number_sessions(conn, dialect, project_id, [session_id])[session_id]
        rewrite_bits(conn, dialect, clear=session_bits((c, number) for c in cells), add={})
    conn.executemany(dialect.sql(_DROP_NUMBER), sorted(keys))


def recount_sessions(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    session_ids: Sequence[str],
    bits: BitChanges | None = None,
) -> None:
    """Make the rollup's sets and bitmaps of ``session_ids`` match their records again
    (after records moved from one session to another); the bitmaps' changes are written
    now, or gathered in ``bits``."""
    forget, remember = dialect.sql(_FORGET), dialect.sql(_REMEMBER)
    moved = {
        session_id: (
            _cells(conn, forget, project_id, session_id),
            _cells(conn, remember, project_id, session_id),
        )
        for session_id in sorted(session_ids)
    }
    counted = [session_id for session_id, (old, new) in moved.items() if old or new]
    numbers = number_sessions(conn, dialect, project_id, counted)
    cleared = [(cell, numbers[s]) for s in counted for cell in moved[s][0]]
    added = [(cell, numbers[s]) for s in counted for cell in moved[s][1]]
    change_bits(conn, dialect, bits, clear=session_bits(cleared), add=session_bits(added))
    emptied = [(project_id, s) for s in counted if not moved[s][1]]
    conn.executemany(dialect.sql(_DROP_NUMBER), emptied)  # in no cell: numbered anew


def remember_moved(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    moved: Iterable[tuple[str, int, str | None, str | None, str, str]],
    bits: BitChanges | None = None,
) -> None:
    """Add stored records that just moved into sessions (``moved``: their new session id,
    start µs, model, provider, kind and status, as stored) to the rollup's sets and
    bitmaps of those sessions: what `recount_sessions` would add, without reading the
    sessions' other records (a session that only gained records keeps every key it had).
    The bitmaps' changes are written now, or gathered in ``bits``."""
    rows = {
        (project_id, hour_of(start_us), code(model), code(provider), kind, status, session_id)
        for session_id, start_us, model, provider, kind, status in moved
        if kind != RecordKind.HUMAN.value
    }
    conn.executemany(dialect.sql(_INSERT_SESSION), sorted(rows))
    numbers = number_sessions(conn, dialect, project_id, (row[-1] for row in rows))
    added = session_bits((row[:-1], numbers[row[-1]]) for row in rows)
    change_bits(conn, dialect, bits, clear={}, add=added)


def _by_key(item: tuple[tuple[Any, ...], Any]) -> tuple[Any, ...]:
    return item[0]


# --- queries ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RollupPlan:
    """How a metrics query reads the rollup: the hours ``[first_hour_us, end_hour_us)``
    from it (None: unbounded), the rest of ``[since_us, until_us]`` from the records, and
    the conditions on the keys (``column = ?`` on the rollup's coded values)."""

    since_us: int | None
    until_us: int | None
    first_hour_us: int | None
    end_hour_us: int | None
    conditions: tuple[tuple[str, str], ...]
    keys_filter: Filter | None = None
    """The query's filter without its time range, for the partial hours' scans (whose own
    range is then the only one on the start index)."""

    def hours_sql(self, column: str) -> tuple[str, list[Any]]:
        """SQL: ``column`` (µs) within the rollup's hours, and its parameters."""
        parts, params = [], []
        if self.first_hour_us is not None:
            parts.append(f"{column} >= ?")
            params.append(self.first_hour_us)
        if self.end_hour_us is not None:
            parts.append(f"{column} < ?")
            params.append(self.end_hour_us)
        return " AND ".join(parts) or "1 = 1", params

    def edges_sql(self, column: str) -> list[tuple[str, list[Any]]]:
        """SQL: each stretch of the range outside the rollup's hours (a partial hour at
        either end), as a plain range on ``column`` that the start index answers."""
        edges: list[tuple[str, list[Any]]] = []
        first, since = self.first_hour_us, self.since_us
        if first is not None and since is not None and since < first:
            edges.append((f"{column} >= ? AND {column} < ?", [since, first]))
        end, until = self.end_hour_us, self.until_us
        if end is not None and until is not None and end <= until:
            edges.append((f"{column} >= ? AND {column} <= ?", [end, until]))
        return edges

    def keys_sql(self, alias: str) -> tuple[str, list[Any]]:
        """SQL: the key conditions on the rollup table ``alias``."""
        if not self.conditions:
            return "1 = 1", []
        sql = " AND ".join(f"{alias}.{column} = ?" for column, _ in self.conditions)
        return sql, [value for _, value in self.conditions]


_KEY_FIELDS: dict[Field, tuple[str, Callable[[str], str]]] = {
    Field.MODEL: ("model", code),
    Field.PROVIDER: ("provider", code),
    Field.KIND: ("kind", str),
    Field.STATUS: ("status", str),
}


def _conditions(node: Filter | None, out: list[tuple[str, str]], times: list[Cmp]) -> bool:
    """Collect the key conditions and time comparisons of ``node``; False when it tests
    anything the rollup does not keep."""
    if node is None:
        return True
    if isinstance(node, And):
        return all(_conditions(item, out, times) for item in node.items)
    if not isinstance(node, Cmp) or not isinstance(node.field, Field):
        return False
    if node.field is Field.CREATED_AT:
        times.append(node)
        return node.op in (Op.GTE, Op.LTE) and isinstance(node.value, datetime)
    column = _KEY_FIELDS.get(node.field)
    if column is None or node.op is not Op.EQ or not isinstance(node.value, str):
        return False
    out.append((column[0], column[1](repair_text(node.value))))
    return True


def _bound(times: list[Cmp], op: Op) -> list[int]:
    return [to_us(c.value) for c in times if c.op is op and isinstance(c.value, datetime)]


def _whole_hours(bucketing: Bucketing | None, low_us: int, high_us: int) -> bool:
    """Whether every local bucket is a union of whole UTC hours over the project's times."""
    if bucketing is None:
        return True
    if bucketing.unit is BucketUnit.MINUTE:
        return False
    segments = bucketing.offset_segments(low_us, high_us)
    return all(offset % HOUR_US == 0 for _, offset in segments) and all(
        start % HOUR_US == 0 for start, _ in segments[1:]
    )


def plan(
    query: MetricsQuery, bucketing: Bucketing | None, low_us: int, high_us: int
) -> RollupPlan | None:
    """How to read ``query`` from the rollup, or None when it cannot be."""
    if any(
        not isinstance(key, Dimension) or key not in (Dimension.TIME, *ROLLUP_DIMENSIONS)
        for key in query.group_by
    ):
        return None
    conditions: list[tuple[str, str]] = []
    times: list[Cmp] = []
    if not _conditions(query.filter, conditions, times):
        return None
    if not _whole_hours(bucketing, low_us, high_us):
        return None
    since = max(_bound(times, Op.GTE), default=None)
    until = min(_bound(times, Op.LTE), default=None)
    first = None if since is None else -(-since // HOUR_US) * HOUR_US
    end = None if until is None else hour_of(until + 1)
    if first is not None and end is not None and first >= end:
        return None  # less than an hour: the records answer at once
    keys_filter = and_(*(item for item in _items(query.filter) if item not in times))
    return RollupPlan(since, until, first, end, tuple(conditions), keys_filter)


def _items(node: Filter | None) -> list[Filter]:
    if node is None:
        return []
    if isinstance(node, And):
        return [leaf for item in node.items for leaf in _items(item)]
    return [node]


def decoded_sql(key: Dimension, alias: str) -> str:
    """SQL: the group key ``key`` of the rollup table ``alias`` as the records have it."""
    column = f"{alias}.{ROLLUP_COLUMNS[key]}"
    if key in (Dimension.MODEL, Dimension.PROVIDER):
        return f"CASE WHEN {column} = '' THEN NULL ELSE substr({column}, 2) END"
    return column


ROLLUP_COLUMNS = {key: key.value for key in ROLLUP_DIMENSIONS}
"""The rollup column of each group key it keeps."""
RECORD_CODED = {
    Dimension.MODEL: "CASE WHEN r.model IS NULL THEN '' ELSE '=' || r.model END",
    Dimension.PROVIDER: "CASE WHEN r.provider IS NULL THEN '' ELSE '=' || r.provider END",
    Dimension.KIND: "r.kind",
    Dimension.STATUS: "r.status",
}
"""A record's group key values coded as the rollup keeps them (for a union of both)."""
