"""Metrics per group of requests (`agenttrace.server.store.metrics`), shared by every SQL
backend.

The database does the heavy part: three grouped scans of the matching records, by local
time bucket (numbered in SQL, `agenttrace.server.store._time_buckets`), the group's keys
and a latency (or time-to-first-token) histogram bucket
(`agenttrace.server.store._histogram`), the distinct sessions per bucket and keys, and the
average of each numeric or boolean score on the group's requests and sessions
(`agenttrace.server.store._metrics_scores`).
Python then adds up the histogram rows of each group and reads the percentiles from them,
holding one small accumulator per group (at most `MetricsQuery.max_groups`).
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from agenttrace.core.text_repair import repair_text
from agenttrace.server.store._compile import compile_filter
from agenttrace.server.store._histogram import (
    RELATIVE_ERROR,
    bucket_sql,
    histogram_percentiles,
)
from agenttrace.server.store._metrics_rollup import (
    RollupPlan,
    decoded_sql,
    plan,
)
from agenttrace.server.store._metrics_scores import ScoreSums, score_queries
from agenttrace.server.store._rollup_cells import (
    BLOCK,
    Packed,
    count_bits,
    lane_counts,
    unpack,
)
from agenttrace.server.store._time_buckets import Bucketing, time_zone
from agenttrace.server.store.base import InvalidQueryError
from agenttrace.server.store.dialect import DbConnection, Dialect
from agenttrace.server.store.metrics import (
    Dimension,
    GroupKey,
    MetricsQuery,
    MetricsResult,
    MetricsRow,
    key_name,
)

__all__ = ["query_metrics"]

_FETCH = 10_000

_COLUMNS = {
    Dimension.MODEL: "r.model",
    Dimension.PROVIDER: "r.provider",
    Dimension.KIND: "r.kind",
    Dimension.STATUS: "r.status",
    Dimension.USER: "r.user_id",
    Dimension.SESSION_NAME: "r.session_name",
    Dimension.PATH: "r.path",
}


def _span(dialect: Dialect) -> str:
    """SQL: a record's end minus start in ms (NULL while it has not ended)."""
    if dialect.name == "postgresql":
        return "(r.end_us - r.start_us)::double precision / 1000.0::double precision"
    return "(r.end_us - r.start_us) / 1000.0"


def _latency(dialect: Dialect) -> str:
    """SQL: a request's latency in ms; NULL for a question to a human (a wait, not a
    latency) and for a request that has not ended."""
    return f"(CASE WHEN r.kind = 'human' THEN NULL ELSE {_span(dialect)} END)"


def _property(dialect: Dialect) -> str:
    """SQL: the value of the property named by the next parameter (NULL when unset)."""
    if dialect.name == "postgresql":
        return "(CAST(r.properties_json AS jsonb) ->> ?)"
    return "(SELECT j.value FROM json_each(r.properties_json) j WHERE j.key = ?)"


_Which = Literal["latency", "ttft", "wait"]
"""A `_Group`'s histograms."""


@dataclass(slots=True)
class _Histogram:
    """Counts per log bucket of some values, and their exact minimum and maximum; counts
    from the rollup come packed (`agenttrace.server.store._rollup_cells`) and add up as
    one integer until a percentile is read."""

    counts: dict[int, int] = field(default_factory=dict)
    low: float = float("inf")
    high: float = float("-inf")
    packed: int = 0

    def add(self, bucket: int, count: int, low: float, high: float) -> None:
        """Count ``count`` values of ``bucket``, the least ``low`` and the largest ``high``."""
        self.counts[bucket] = self.counts.get(bucket, 0) + count
        self.low, self.high = min(self.low, low), max(self.high, high)

    def add_packed(self, values: Packed) -> None:
        """Count a cell's packed histogram."""
        if values.counts:
            self.packed += values.counts
            self.low = min(self.low, values.low if values.low is not None else self.low)
            self.high = max(self.high, values.high if values.high is not None else self.high)

    def percentiles(self, *fractions: float) -> list[float | None]:
        """The values at ``fractions`` (`histogram_percentiles`); None without values."""
        if self.packed:
            for bucket, count in lane_counts(self.packed).items():
                self.counts[bucket] = self.counts.get(bucket, 0) + count
            self.packed = 0
        return histogram_percentiles(self.counts, fractions, self.low, self.high)


@dataclass(slots=True)
class _Group:
    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cache_read_tokens: int = 0
    reasoning_tokens: int = 0
    cost: float = 0.0
    cost_count: int = 0
    latency_count: int = 0
    latency_sum: float = 0.0
    latency: _Histogram = field(default_factory=_Histogram)
    ttft: _Histogram = field(default_factory=_Histogram)
    wait: _Histogram = field(default_factory=_Histogram)
    """Answered questions to a human: how long they waited (not latencies)."""
    sessions: int = 0
    session_blocks: dict[int, int] = field(default_factory=dict)
    """The rollup's sessions: per block of session numbers, a bitmap (see `_read_rollup`)."""
    unnumbered: set[str] = field(default_factory=set)
    """Sessions of the partial hours without a number (none of them is in a bitmap)."""
    scores: dict[str, float] = field(default_factory=dict)

    def add_session_bits(self, block: int, bits: int) -> None:
        """Count the sessions of a bitmap of block ``block``."""
        self.session_blocks[block] = self.session_blocks.get(block, 0) | bits


def _rows(conn: DbConnection, dialect: Dialect, sql: str, params: Sequence[Any]) -> Iterator[Any]:
    cursor = conn.execute(dialect.sql(sql), params)
    try:
        while rows := cursor.fetchmany(_FETCH):
            yield from rows
    finally:
        cursor.close()


class _Grouper:
    """Maps (bucket number, key values) of a database row to its group, within the limit."""

    def __init__(self, query: MetricsQuery, bucketing: Bucketing | None) -> None:
        self.query = query
        self.bucketing = bucketing
        self.groups: dict[tuple[Any, ...], _Group] = {}

    def group(self, number: Any, values: Sequence[Any]) -> _Group:
        start = self.bucketing.bucket_start(int(number)) if self.bucketing is not None else None
        key = (start, *values)
        found = self.groups.get(key)
        if found is None:
            if len(self.groups) >= self.query.max_groups:
                msg = (
                    f"the metrics have more than {self.query.max_groups} groups; narrow "
                    "since/until, use a longer bucket, group by fewer keys or filter more"
                )
                raise InvalidQueryError(msg)
            found = self.groups[key] = _Group()
        return found


def _add_main(grouper: _Grouper, rows: Iterator[Any], width: int) -> None:
    """Add the rows of the main scan (see `query_metrics`) to their groups."""
    for row in rows:
        group = grouper.group(row[0], row[1 : 1 + width])
        (lb, count, errors, inp, out, total, cache, reasoning, cost, costs, lats, lat_sum) = row[
            1 + width : 13 + width
        ]
        low, high = row[13 + width], row[14 + width]
        group.requests += int(count)
        group.errors += int(errors or 0)
        group.input_tokens += int(inp or 0)
        group.output_tokens += int(out or 0)
        group.total_tokens += int(total or 0)
        group.cache_read_tokens += int(cache or 0)
        group.reasoning_tokens += int(reasoning or 0)
        group.cost += float(cost or 0.0)
        group.cost_count += int(costs)
        if lats:
            group.latency_count += int(lats)
            group.latency_sum += float(lat_sum)
            group.latency.add(lb, int(lats), low, high)


def _time_range(conn: DbConnection, dialect: Dialect, project_id: str) -> tuple[int, int]:
    """The first and last request start of the project (its index answers at once)."""
    first = "SELECT {}(start_us) FROM records WHERE project_id = ?"  # one each: SQLite
    row = conn.execute(  # reads a min() or a max() alone from the index's end
        dialect.sql(f"SELECT ({first.format('min')}), ({first.format('max')})"),
        [project_id, project_id],
    ).fetchone()
    if row is None or row[0] is None:
        return 0, 0
    return int(row[0]), int(row[1])


def _check_buckets(query: MetricsQuery, bucketing: Bucketing | None) -> None:
    if bucketing is None or query.since is None:
        return
    until = query.until or datetime.now(UTC)
    count = bucketing.nominal_count(query.since, until)
    if count > query.max_groups:
        msg = (
            f"since to until spans about {count} {query.bucket.value} buckets, more than "
            f"{query.max_groups}; use a longer bucket or a shorter range"
        )
        raise InvalidQueryError(msg)


def query_metrics(
    conn: DbConnection, dialect: Dialect, project_id: str, query: MetricsQuery
) -> MetricsResult:
    """The metrics of ``query`` over the project's records (one read snapshot)."""
    zone = time_zone(query.tz)
    by_time = Dimension.TIME in query.group_by
    bucketing = Bucketing(query.bucket, zone) if by_time else None
    _check_buckets(query, bucketing)
    keys: list[GroupKey] = [key for key in query.group_by if key is not Dimension.TIME]
    expressions: list[str] = []
    key_params: list[Any] = []
    for key in keys:
        if isinstance(key, Dimension):
            expressions.append(_COLUMNS[key])
        else:
            expressions.append(_property(dialect))
            key_params.append(repair_text(key))
    number: str = "0"
    number_params: list[int] = []
    low = high = 0
    if bucketing is not None:
        low, high = _time_range(conn, dialect, project_id)
        number, number_params = bucketing.number_sql("r.start_us", low, high)
    condition, params = compile_filter(query.filter, "request", dialect, project_id)
    grouper = _Grouper(query, bucketing)
    scan = _Scan(
        dialect=dialect,
        number=number,
        number_params=number_params,
        expressions=expressions,
        key_params=key_params,
        where=f"r.project_id = ? AND ({condition})",
        where_params=[project_id, *params],
        project_id=project_id,
    )
    rollup = plan(query, bucketing, low, high) if query.use_rollup else None
    if rollup is not None and _asks_a_human(conn, dialect, project_id, rollup):
        rollup = None  # the rollup leaves questions to a human out: read the records
    if rollup is None:
        scan.read(conn, grouper, with_sessions=True)
    else:
        _read_rollup(
            conn,
            project_id=project_id,
            keys=keys,
            rollup=rollup,
            scan=scan,
            bucketing=(bucketing, low, high),
            grouper=grouper,
        )
    scan.read_scores(conn, grouper)
    rows = [_row(key, group, keys, bucketing) for key, group in grouper.groups.items()]
    rows.sort(key=_order)
    return MetricsResult(
        group_by=[key_name(key) for key in query.group_by],
        bucket=query.bucket if by_time else None,
        tz=query.tz,
        groups=rows,
        percentile_relative_error=RELATIVE_ERROR,
    )


def _asks_a_human(
    conn: DbConnection, dialect: Dialect, project_id: str, rollup: RollupPlan
) -> bool:
    """Whether a question to a human (kind human) started in the plan's hours (an index
    lookup: migration 6's ``records_questions``)."""
    sql = "SELECT 1 FROM records r WHERE r.project_id = ? AND r.kind = 'human'"
    params: list[Any] = [project_id]
    if rollup.first_hour_us is not None:
        sql += " AND r.start_us >= ?"
        params.append(rollup.first_hour_us)
    if rollup.end_hour_us is not None:
        sql += " AND r.start_us < ?"
        params.append(rollup.end_hour_us)
    return conn.execute(dialect.sql(sql + " LIMIT 1"), params).fetchone() is not None


@dataclass(frozen=True, slots=True)
class _Scan:
    """The three grouped scans of the matching records (see `query_metrics`)."""

    dialect: Dialect
    number: str
    number_params: list[int]
    expressions: list[str]
    key_params: list[Any]
    where: str
    where_params: list[Any]
    project_id: str

    def read(
        self,
        conn: DbConnection,
        grouper: _Grouper,
        *,
        with_sessions: bool,
        extra: tuple[str, list[Any]] = ("1 = 1", []),
    ) -> None:
        """Add the scans' rows (of the records also meeting ``extra``) to their groups."""
        dialect, width = self.dialect, len(self.expressions)
        select_keys = ", ".join([self.number, *self.expressions])
        positions = ", ".join(str(i) for i in range(1, width + 3))
        where = f"{self.where} AND {extra[0]}"
        bound = [*self.number_params, *self.key_params, *self.where_params, *extra[1]]
        latency = _latency(dialect)
        main = (
            f"SELECT {select_keys}, {bucket_sql(latency)}, count(*), "
            "sum(CASE WHEN r.status = 'error' THEN 1 ELSE 0 END), sum(r.input_tokens), "
            "sum(r.output_tokens), sum(r.total_tokens), sum(r.cache_read_tokens), "
            f"sum(r.reasoning_tokens), sum(r.cost_usd), count(r.cost_usd), count({latency}), "
            f"sum({latency}), min({latency}), max({latency}) "
            f"FROM records r WHERE {where} GROUP BY {positions}"
        )
        _add_main(grouper, _rows(conn, dialect, main, bound), width)
        ttft = (
            f"SELECT {select_keys}, {bucket_sql('r.ttft_ms')}, count(*), min(r.ttft_ms), "
            f"max(r.ttft_ms) FROM records r WHERE {where} AND r.ttft_ms IS NOT NULL "
            f"GROUP BY {positions}"
        )
        _add_histogram(grouper, _rows(conn, dialect, ttft, bound), width, "ttft")
        waited = _span(dialect)  # answered questions to a human: how long they waited
        waits = (
            f"SELECT {select_keys}, {bucket_sql(waited)}, count(*), min({waited}), "
            f"max({waited}) FROM records r WHERE {where} AND r.kind = 'human' "
            f"AND r.end_us IS NOT NULL GROUP BY {positions}"
        )
        _add_histogram(grouper, _rows(conn, dialect, waits, bound), width, "wait")
        if with_sessions:
            keys_only = ", ".join(str(i) for i in range(1, width + 2))
            sessions = (
                f"SELECT {select_keys}, count(DISTINCT r.session_id) FROM records r "
                f"WHERE {where} GROUP BY {keys_only}"
            )
            for row in _rows(conn, dialect, sessions, bound):
                grouper.group(row[0], row[1 : 1 + width]).sessions += int(row[1 + width])

    def read_scores(self, conn: DbConnection, grouper: _Grouper) -> None:
        """Each group's average of every numeric or boolean score on its requests and its
        sessions (`agenttrace.server.store._metrics_scores`), over the whole range at once:
        averages do not add up from parts."""
        width = len(self.expressions)
        sums: dict[int, tuple[_Group, ScoreSums]] = {}
        for sql, bound in score_queries(
            [self.number, *self.expressions],
            [*self.number_params, *self.key_params],
            self.where,
            self.where_params,
            self.project_id,
        ):
            found = _rows(conn, self.dialect, sql, bound)
            for number, keys, name, value, count in ScoreSums.rows(found, width):
                group = grouper.group(number, keys)
                sums.setdefault(id(group), (group, ScoreSums()))[1].add(name, value, count)
        for group, scores in sums.values():
            group.scores = scores.averages()


def _add_histogram(
    grouper: _Grouper,
    rows: Iterator[Any],
    width: int,
    which: _Which,
) -> None:
    """Add histogram rows (keys, bucket, count, minimum, maximum) to the ``which``
    histogram of their groups."""
    for row in rows:
        bucket, count, low, high = row[1 + width : 5 + width]
        histogram: _Histogram = getattr(grouper.group(row[0], row[1 : 1 + width]), which)
        histogram.add(bucket, int(count), low, high)


def _add_sums(grouper: _Grouper, rows: Iterator[Any], width: int) -> None:
    """Add the rollup's sums (keys, requests, errors, tokens, cost, latency count and sum)."""
    for row in rows:
        group = grouper.group(row[0], row[1 : 1 + width])
        (count, errors, inp, out, total, cache, reasoning, cost, costs, lats, lat_sum) = row[
            1 + width : 12 + width
        ]
        group.requests += int(count)
        group.errors += int(errors)
        group.input_tokens += int(inp)
        group.output_tokens += int(out)
        group.total_tokens += int(total)
        group.cache_read_tokens += int(cache)
        group.reasoning_tokens += int(reasoning)
        group.cost += float(cost or 0.0)
        group.cost_count += int(costs)
        group.latency_count += int(lats)
        group.latency_sum += float(lat_sum)


def _read_rollup(
    conn: DbConnection,
    *,
    project_id: str,
    keys: list[GroupKey],
    rollup: RollupPlan,
    scan: _Scan,
    bucketing: tuple[Bucketing | None, int, int],
    grouper: _Grouper,
) -> None:
    """Add the rollup's whole hours and the records of the partial ones to the groups."""
    dialect, width = scan.dialect, len(keys)
    number, number_params = "0", list[int]()
    if bucketing[0] is not None:
        number, number_params = bucketing[0].number_sql("r.hour_us", bucketing[1], bucketing[2])
    columns = [decoded_sql(key, "r") for key in keys if isinstance(key, Dimension)]
    select_keys = ", ".join([number, *columns])
    keys_only = ", ".join(str(i) for i in range(1, width + 2))
    hours, hour_params = rollup.hours_sql("r.hour_us")
    key_sql, key_values = rollup.keys_sql("r")
    where = f"r.project_id = ? AND {hours} AND {key_sql}"
    bound = [*number_params, project_id, *hour_params, *key_values]
    sums = (
        f"SELECT {select_keys}, sum(r.requests), sum(r.errors), sum(r.input_tokens), "
        "sum(r.output_tokens), sum(r.total_tokens), sum(r.cache_read_tokens), "
        "sum(r.reasoning_tokens), sum(r.cost_sum), sum(r.cost_count), sum(r.latency_count), "
        f"sum(r.latency_sum) FROM metrics_hourly r WHERE {where} GROUP BY {keys_only}"
    )
    _add_sums(grouper, _rows(conn, dialect, sums, bound), width)
    digests = (
        f"SELECT {select_keys}, r.latency_low, r.latency_counts, r.latency_min, "
        "r.latency_max, r.ttft_low, r.ttft_counts, r.ttft_min, r.ttft_max "
        f"FROM metrics_hourly_digests r WHERE {where}"
    )
    for row in _rows(conn, dialect, digests, bound):
        group = grouper.group(row[0], row[1 : 1 + width])
        group.latency.add_packed(Packed.of_row(row[1 + width : 5 + width]))
        group.ttft.add_packed(Packed.of_row(row[5 + width : 9 + width]))
    # Distinct sessions do not add up: each group ORs the bitmaps of its cells and sets the
    # bits of the sessions of the partial hours, then counts the bits.
    bits = (
        f"SELECT {select_keys}, r.block, r.bits_low, r.bits "
        f"FROM metrics_hourly_session_bits r WHERE {where}"
    )
    touched: dict[int, _Group] = {}
    for row in _rows(conn, dialect, bits, bound):
        group = grouper.group(row[0], row[1 : 1 + width])
        block, low, data = row[1 + width : 4 + width]
        group.add_session_bits(int(block), unpack(low, bytes(data), 8))
        touched[id(group)] = group
    edges = rollup.edges_sql("r.start_us")
    condition, params = compile_filter(rollup.keys_filter, "request", dialect, project_id)
    scan = replace(
        scan, where=f"r.project_id = ? AND ({condition})", where_params=[project_id, *params]
    )
    edge_keys = ", ".join([scan.number, *scan.expressions])
    for edge in edges:
        scan.read(conn, grouper, with_sessions=False, extra=edge)
        sessions = (
            f"SELECT DISTINCT {edge_keys}, r.session_id, n.number FROM records r "
            "LEFT JOIN metrics_session_numbers n ON n.project_id = r.project_id "
            f"AND n.session_id = r.session_id WHERE {scan.where} AND {edge[0]}"
        )
        bound_edge = [*scan.number_params, *scan.key_params, *scan.where_params, *edge[1]]
        for row in _rows(conn, dialect, sessions, bound_edge):
            group = grouper.group(row[0], row[1 : 1 + width])
            session_id, number = row[1 + width : 3 + width]
            if number is None:
                group.unnumbered.add(session_id)
            else:
                group.add_session_bits(int(number) // BLOCK, 1 << (int(number) % BLOCK))
            touched[id(group)] = group
    for group in touched.values():
        group.sessions += count_bits(group.session_blocks.values()) + len(group.unnumbered)
        group.session_blocks.clear()
        group.unnumbered.clear()


def _order(row: MetricsRow) -> tuple[Any, ...]:
    values = tuple((value is None, value or "") for value in row.key.values())
    start = row.bucket_start or datetime.min.replace(tzinfo=UTC)
    return (start, row.cost_usd is None, -(row.cost_usd or 0.0), values)


def _row(
    key: tuple[Any, ...], group: _Group, keys: list[GroupKey], bucketing: Bucketing | None
) -> MetricsRow:
    start = key[0]
    lat50, lat95, lat99 = group.latency.percentiles(0.5, 0.95, 0.99)
    first50, first95 = group.ttft.percentiles(0.5, 0.95)
    wait50, wait95 = group.wait.percentiles(0.5, 0.95)
    return MetricsRow(
        bucket_start=start,
        bucket_end=bucketing.end_of(start) if bucketing is not None and start is not None else None,
        key={key_name(k): v for k, v in zip(keys, key[1:], strict=True)},
        requests=group.requests,
        sessions=group.sessions,
        errors=group.errors,
        error_rate=group.errors / group.requests if group.requests else 0.0,
        input_tokens=group.input_tokens,
        output_tokens=group.output_tokens,
        total_tokens=group.total_tokens,
        cache_read_tokens=group.cache_read_tokens,
        reasoning_tokens=group.reasoning_tokens,
        cache_hit_rate=group.cache_read_tokens / group.input_tokens if group.input_tokens else None,
        cost_usd=group.cost if group.cost_count else None,
        latency_p50_ms=lat50,
        latency_p95_ms=lat95,
        latency_p99_ms=lat99,
        mean_latency_ms=group.latency_sum / group.latency_count if group.latency_count else None,
        ttft_p50_ms=first50,
        ttft_p95_ms=first95,
        human_wait_p50_ms=wait50,
        human_wait_p95_ms=wait95,
        scores=dict(sorted(group.scores.items())),
    )
