"""Versioned schema migrations, shared by every backend.

Migrations are numbered from 1 and never edited once released: a schema change is a new
`Migration` appended to `MIGRATIONS`. `apply_migrations` runs, inside the caller's write
transaction, the ones newer than the highest version in ``schema_version``, recording
each. Column types are written as ``{bigint}``, ``{real}`` and ``{text}``, and a table
stored as its primary key (SQLite's ``WITHOUT ROWID``; nothing on PostgreSQL) as
``{clustered}``, all filled in from the dialect. A backend where two processes can open one
database at once takes a lock first (`Dialect`-specific; SQLite's ``BEGIN IMMEDIATE``
already is one).

Every table carries ``project_id`` so that every query is scoped by project.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; no value is ever spliced in

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agenttrace.server.store._histogram import bucket_sql
from agenttrace.server.store.dialect import DbConnection, Dialect

__all__ = [
    "MIGRATIONS",
    "RECORD_COLUMNS",
    "Migration",
    "apply_migrations",
    "current_version",
]

RECORD_COLUMNS = (
    "project_id",
    "id",
    "kind",
    "session_id",
    "session_name",
    "path",
    "parent_id",
    "name",
    "model",
    "provider",
    "user_id",
    "start_us",
    "end_us",
    "ttft_ms",
    "status",
    "error_type",
    "error_message",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost_usd",
    "attempt",
    "branch_id",
    "properties_json",
    "request_json",
    "response_json",
    "received_us",
)
"""The columns of ``records`` (those the migrations below create), in the order the
ingest writes them; the readers (`agenttrace.server.store.query_rows`) select theirs from
this list."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: its number, what it does, its statements, and what it does in
    Python after them (when SQL alone cannot fill a table)."""

    version: int
    description: str
    statements: tuple[str, ...]
    then: Callable[[DbConnection, Dialect], None] | None = None


_V1 = Migration(
    version=1,
    description="records, record properties, session rollups, session properties and users",
    statements=(
        """CREATE TABLE records (
            project_id {text} NOT NULL,
            id {text} NOT NULL,
            kind {text} NOT NULL,
            session_id {text} NOT NULL,
            session_name {text},
            path {text} NOT NULL,
            parent_id {text},
            name {text} NOT NULL,
            model {text},
            provider {text},
            user_id {text},
            start_us {bigint} NOT NULL,
            end_us {bigint},
            ttft_ms {real},
            status {text} NOT NULL,
            error_type {text},
            error_message {text},
            input_tokens {bigint},
            output_tokens {bigint},
            total_tokens {bigint},
            cache_read_tokens {bigint},
            cache_write_tokens {bigint},
            reasoning_tokens {bigint},
            cost_usd {real},
            attempt {bigint} NOT NULL,
            branch_id {text},
            properties_json {text} NOT NULL,
            request_json {text},
            response_json {text},
            received_us {bigint} NOT NULL,
            PRIMARY KEY (project_id, id)
        )""",
        "CREATE INDEX records_by_session ON records (project_id, session_id, start_us)",
        "CREATE INDEX records_by_start ON records (project_id, start_us)",
        """CREATE TABLE record_properties (
            project_id {text} NOT NULL,
            record_id {text} NOT NULL,
            key {text} NOT NULL,
            value {text} NOT NULL,
            PRIMARY KEY (project_id, record_id, key)
        )""",
        "CREATE INDEX record_properties_by_pair ON record_properties (project_id, key, value)",
        """CREATE TABLE sessions (
            project_id {text} NOT NULL,
            session_id {text} NOT NULL,
            name {text},
            name_start_us {bigint},
            first_start_us {bigint} NOT NULL,
            last_end_us {bigint} NOT NULL,
            latest_start_us {bigint} NOT NULL,
            request_count {bigint} NOT NULL,
            error_count {bigint} NOT NULL,
            prompt_tokens {bigint} NOT NULL,
            completion_tokens {bigint} NOT NULL,
            total_tokens {bigint} NOT NULL,
            cost_usd {real},
            latency_sum_ms {real} NOT NULL,
            latency_count {bigint} NOT NULL,
            updated_us {bigint} NOT NULL,
            PRIMARY KEY (project_id, session_id)
        )""",
        "CREATE INDEX sessions_by_created ON sessions (project_id, first_start_us, session_id)",
        """CREATE TABLE session_properties (
            project_id {text} NOT NULL,
            session_id {text} NOT NULL,
            key {text} NOT NULL,
            value {text} NOT NULL,
            first_start_us {bigint} NOT NULL,
            PRIMARY KEY (project_id, session_id, key, value)
        )""",
        """CREATE INDEX session_properties_by_pair
            ON session_properties (project_id, key, value, session_id)""",
        """CREATE TABLE session_users (
            project_id {text} NOT NULL,
            session_id {text} NOT NULL,
            user_id {text} NOT NULL,
            PRIMARY KEY (project_id, session_id, user_id)
        )""",
        "CREATE INDEX session_users_by_user ON session_users (project_id, user_id, session_id)",
    ),
)

_V2 = Migration(
    version=2,
    description="API keys: one project per key, only the key's SHA-256 stored",
    statements=(
        """CREATE TABLE api_keys (
            key_id {text} NOT NULL,
            project_id {text} NOT NULL,
            name {text},
            key_hash {text} NOT NULL,
            created_us {bigint} NOT NULL,
            revoked_us {bigint},
            PRIMARY KEY (key_id)
        )""",
        "CREATE INDEX api_keys_by_project ON api_keys (project_id, created_us)",
    ),
)

_V3 = Migration(
    version=3,
    description="sessions by last activity, for retention (agenttrace db prune)",
    statements=("CREATE INDEX sessions_by_last_end ON sessions (last_end_us)",),
)

_V4 = Migration(
    version=4,
    description=(
        "record properties kept by their pair only: one index per property row instead of "
        "three (SQLite stores the table as that index)"
    ),
    statements=(
        "DROP INDEX record_properties_by_pair",
        "ALTER TABLE record_properties RENAME TO record_properties_v3",
        """CREATE TABLE record_properties (
            project_id {text} NOT NULL,
            key {text} NOT NULL,
            value {text} NOT NULL,
            record_id {text} NOT NULL,
            CONSTRAINT record_properties_by_pair PRIMARY KEY (project_id, key, value, record_id)
        ){clustered}""",
        """INSERT INTO record_properties (project_id, key, value, record_id)
            SELECT project_id, key, value, record_id FROM record_properties_v3""",
        "DROP TABLE record_properties_v3",
    ),
)

_V5 = Migration(
    version=5,
    description=(
        "otlp_spans: the structure of OpenTelemetry spans (parent, path segment, session), "
        "from which the paths of OTLP records are resolved in any arrival order"
    ),
    statements=(
        """CREATE TABLE otlp_spans (
            project_id {text} NOT NULL,
            span_id {text} NOT NULL,
            trace_id {text} NOT NULL,
            parent_span_id {text},
            segment {text},
            graph_node {text},
            graph_namespace {text},
            session_id {text},
            record_id {text},
            received_us {bigint} NOT NULL,
            PRIMARY KEY (project_id, span_id, trace_id)
        ){clustered}""",
        "CREATE INDEX otlp_spans_by_parent ON otlp_spans (project_id, parent_span_id)",
    ),
)

_V6 = Migration(
    version=6,
    description=(
        "questions to a human (kind human): the open ones by session (the sessions "
        "waiting for a human and since when), all of them by time (metrics)"
    ),
    statements=(
        """CREATE INDEX records_open_questions ON records (project_id, session_id, start_us)
            WHERE kind = 'human' AND end_us IS NULL""",
        # the metrics rollup leaves questions out: a range that has some is read from records
        """CREATE INDEX records_questions ON records (project_id, start_us)
            WHERE kind = 'human'""",
    ),
)


_V7 = Migration(
    version=7,
    description="records in the order they were stored, for the live feed (GET /v1/feed)",
    statements=("CREATE INDEX records_by_received ON records (project_id, received_us, id)",),
)

_HOUR = "(start_us - ((start_us % 3600000000) + 3600000000) % 3600000000)"
_CODED = "CASE WHEN {column} IS NULL THEN '' ELSE '=' || {column} END"
_ROLLUP_KEYS = (
    f"project_id, {_HOUR}, {_CODED.format(column='model')}, "
    f"{_CODED.format(column='provider')}, kind, status"
)
_LATENCY = "(CAST(end_us - start_us AS {real}) / 1000.0)"
_ROLLUP_KEY_COLUMNS = """
            project_id {text} NOT NULL,
            hour_us {bigint} NOT NULL,
            model {text} NOT NULL,
            provider {text} NOT NULL,
            kind {text} NOT NULL,
            status {text} NOT NULL,"""
_V8 = Migration(
    version=8,
    description=(
        "metrics rollup: per project, UTC hour, model, provider, kind and status, the sums, "
        "the latency and time-to-first-token histograms and the sessions, kept at "
        "ingest (GET /v1/metrics reads it for whole hours); filled from the records"
    ),
    statements=(
        """CREATE TABLE metrics_hourly ("""
        + _ROLLUP_KEY_COLUMNS
        + """
            requests {bigint} NOT NULL,
            errors {bigint} NOT NULL,
            input_tokens {bigint} NOT NULL,
            output_tokens {bigint} NOT NULL,
            total_tokens {bigint} NOT NULL,
            cache_read_tokens {bigint} NOT NULL,
            reasoning_tokens {bigint} NOT NULL,
            cost_count {bigint} NOT NULL,
            latency_count {bigint} NOT NULL,
            latency_sum {real} NOT NULL,
            cost_sum {real},
            PRIMARY KEY (project_id, hour_us, model, provider, kind, status)
        ){clustered}""",
        *(
            f"""CREATE TABLE {table} ("""
            + _ROLLUP_KEY_COLUMNS
            + """
            bucket {bigint} NOT NULL,
            requests {bigint} NOT NULL,
            value_min {real},
            value_max {real},
            PRIMARY KEY (project_id, hour_us, model, provider, kind, status, bucket)
        ){clustered}"""
            for table in ("metrics_hourly_latency", "metrics_hourly_ttft")
        ),
        """CREATE TABLE metrics_hourly_sessions ("""
        + _ROLLUP_KEY_COLUMNS
        + """
            session_id {text} NOT NULL,
            PRIMARY KEY (project_id, hour_us, model, provider, kind, status, session_id)
        ){clustered}""",
        "CREATE INDEX metrics_hourly_sessions_by_session "
        "ON metrics_hourly_sessions (project_id, session_id)",
        f"""INSERT INTO metrics_hourly SELECT {_ROLLUP_KEYS},
            count(*), sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END),
            coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),
            coalesce(sum(total_tokens), 0), coalesce(sum(cache_read_tokens), 0),
            coalesce(sum(reasoning_tokens), 0), count(cost_usd), count(end_us),
            coalesce(sum({_LATENCY}), 0), sum(cost_usd)
            FROM records WHERE kind <> 'human' GROUP BY 1, 2, 3, 4, 5, 6""",
        *(
            f"""INSERT INTO {table} SELECT {_ROLLUP_KEYS}, {bucket_sql(value)},
            count(*), min({value}), max({value})
            FROM records WHERE kind <> 'human' AND {value} IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5, 6, 7"""
            for table, value in (
                ("metrics_hourly_latency", _LATENCY),
                ("metrics_hourly_ttft", "ttft_ms"),
            )
        ),
        f"""INSERT INTO metrics_hourly_sessions SELECT DISTINCT {_ROLLUP_KEYS}, session_id
            FROM records WHERE kind <> 'human'""",
    ),
)

_V9 = Migration(
    version=9,
    description=(
        "scores: numeric, boolean or categorical feedback on a request or a session "
        "(agenttrace.server.store.scores)"
    ),
    statements=(
        """CREATE TABLE scores (
            project_id {text} NOT NULL,
            score_id {text} NOT NULL,
            target {text} NOT NULL,
            target_id {text} NOT NULL,
            session_id {text} NOT NULL,
            name {text} NOT NULL,
            kind {text} NOT NULL,
            value_num {real},
            value_text {text},
            source {text} NOT NULL,
            comment {text},
            created_us {bigint} NOT NULL,
            PRIMARY KEY (project_id, score_id)
        )""",
        "CREATE INDEX scores_by_target ON scores (project_id, target, target_id, created_us)",
        "CREATE INDEX scores_by_session ON scores (project_id, session_id, name)",
        "CREATE INDEX scores_by_name ON scores (project_id, name, session_id)",
    ),
)

_V10 = Migration(
    version=10,
    description=(
        "alerts: rules and budgets, their firing state, events, webhook deliveries and the "
        "evaluation lease (agenttrace.server.alerts)"
    ),
    statements=(
        """CREATE TABLE alert_rules (
            project_id {text} NOT NULL,
            rule_id {text} NOT NULL,
            spec_json {text} NOT NULL,
            created_us {bigint} NOT NULL,
            state {text} NOT NULL,
            value {real},
            changed_us {bigint},
            PRIMARY KEY (project_id, rule_id)
        )""",
        """CREATE TABLE alert_events (
            project_id {text} NOT NULL,
            event_id {text} NOT NULL,
            rule_id {text} NOT NULL,
            state {text} NOT NULL,
            value {real},
            threshold {real} NOT NULL,
            at_us {bigint} NOT NULL,
            PRIMARY KEY (project_id, event_id)
        )""",
        "CREATE INDEX alert_events_by_time ON alert_events (project_id, at_us)",
        """CREATE TABLE alert_deliveries (
            project_id {text} NOT NULL,
            event_id {text} NOT NULL,
            url {text} NOT NULL,
            status {text} NOT NULL,
            attempts {bigint} NOT NULL,
            last_error {text},
            next_us {bigint} NOT NULL,
            delivered_us {bigint},
            PRIMARY KEY (project_id, event_id)
        )""",
        "CREATE INDEX alert_deliveries_pending ON alert_deliveries (status, next_us)",
        """CREATE TABLE alert_lease (
            name {text} NOT NULL,
            holder {text} NOT NULL,
            expires_us {bigint} NOT NULL,
            PRIMARY KEY (name)
        )""",
    ),
)

_OTLP_SPAN_COLUMNS = (
    "project_id, span_id, trace_id, parent_span_id, segment, graph_node, graph_namespace, "
    "session_id, record_id, received_us"
)
_WAITING_FROM_SPANS = """INSERT INTO otlp_waiting (project_id, trace_id, missing_span_id, span_id)
WITH RECURSIVE up (project_id, trace_id, span_id, parent_span_id, depth) AS (
    SELECT project_id, trace_id, span_id, parent_span_id, 0 FROM otlp_spans
    WHERE parent_span_id IS NOT NULL
    UNION ALL
    SELECT up.project_id, up.trace_id, up.span_id, s.parent_span_id, up.depth + 1
    FROM up JOIN otlp_spans s ON s.project_id = up.project_id AND s.trace_id = up.trace_id
        AND s.span_id = up.parent_span_id
    WHERE s.parent_span_id IS NOT NULL AND up.depth < 1000
)
SELECT DISTINCT project_id, trace_id, parent_span_id, span_id FROM up
WHERE NOT EXISTS (SELECT 1 FROM otlp_spans s WHERE s.project_id = up.project_id
    AND s.trace_id = up.trace_id AND s.span_id = up.parent_span_id)"""
"""Each stored span whose chain of ancestors stops at a span not stored: that span's id."""

_V11 = Migration(
    version=11,
    description=(
        "otlp_spans keyed by trace first: the spans of one export (a few traces) are stored "
        "and looked up together, not spread over the whole table by their random span ids; "
        "otlp_waiting: the spans whose chain of ancestors stops at a missing span, by it "
        "(instead of an index of every span by its parent)"
    ),
    statements=(
        """CREATE TABLE otlp_spans_by_trace (
            project_id {text} NOT NULL,
            span_id {text} NOT NULL,
            trace_id {text} NOT NULL,
            parent_span_id {text},
            segment {text},
            graph_node {text},
            graph_namespace {text},
            session_id {text},
            record_id {text},
            received_us {bigint} NOT NULL,
            PRIMARY KEY (project_id, trace_id, span_id)
        ){clustered}""",
        f"INSERT INTO otlp_spans_by_trace ({_OTLP_SPAN_COLUMNS}) "
        f"SELECT {_OTLP_SPAN_COLUMNS} FROM otlp_spans",
        "DROP TABLE otlp_spans",
        "ALTER TABLE otlp_spans_by_trace RENAME TO otlp_spans",
        # no index by parent: the spans stored below a missing ancestor wait for it here
        """CREATE TABLE otlp_waiting (
            project_id {text} NOT NULL,
            trace_id {text} NOT NULL,
            missing_span_id {text} NOT NULL,
            span_id {text} NOT NULL,
            PRIMARY KEY (project_id, trace_id, missing_span_id, span_id)
        ){clustered}""",
        _WAITING_FROM_SPANS,
    ),
)


def _fill_rollup_cells(conn: DbConnection, dialect: Dialect) -> None:
    from agenttrace.server.store._rollup_cells import fill_from_rows  # it imports the dialect

    fill_from_rows(conn, dialect)


_V12 = Migration(
    version=12,
    description=(
        "metrics rollup, compact: per cell (project, UTC hour, model, provider, kind, "
        "status) one row of packed latency and time-to-first-token histograms and bitmaps "
        "of numbered sessions, replacing migration 8's rows per histogram bucket (GET "
        "/v1/metrics merges a week of cells in milliseconds); filled from migration 8's rows"
    ),
    statements=(
        """CREATE TABLE metrics_hourly_digests ("""
        + _ROLLUP_KEY_COLUMNS
        + """
            latency_low {bigint} NOT NULL,
            latency_counts {blob} NOT NULL,
            latency_min {real},
            latency_max {real},
            ttft_low {bigint} NOT NULL,
            ttft_counts {blob} NOT NULL,
            ttft_min {real},
            ttft_max {real},
            PRIMARY KEY (project_id, hour_us, model, provider, kind, status)
        ){clustered}""",
        """CREATE TABLE metrics_hourly_session_bits ("""
        + _ROLLUP_KEY_COLUMNS
        + """
            block {bigint} NOT NULL,
            bits_low {bigint} NOT NULL,
            bits {blob} NOT NULL,
            PRIMARY KEY (project_id, hour_us, model, provider, kind, status, block)
        ){clustered}""",
        """CREATE TABLE metrics_session_numbers (
            number {serial_key},
            project_id {text} NOT NULL,
            session_id {text} NOT NULL
        )""",
        "CREATE UNIQUE INDEX metrics_session_numbers_by_session "
        "ON metrics_session_numbers (project_id, session_id)",
        """INSERT INTO metrics_session_numbers (project_id, session_id)
            SELECT project_id, session_id FROM metrics_hourly_sessions
            GROUP BY project_id, session_id ORDER BY min(hour_us), project_id, session_id""",
    ),
    then=_fill_rollup_cells,
)

MIGRATIONS: tuple[Migration, ...] = (
    _V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10, _V11, _V12,
)  # fmt: skip

_CREATE_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version {bigint} PRIMARY KEY,
    description {text} NOT NULL,
    applied_us {bigint} NOT NULL
)"""


def current_version(conn: DbConnection, dialect: Dialect) -> int:
    """The highest migration applied (0 for a new database)."""
    row = conn.execute(dialect.sql("SELECT max(version) FROM schema_version")).fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def apply_migrations(
    conn: DbConnection,
    dialect: Dialect,
    now_us: int,
    migrations: tuple[Migration, ...] = MIGRATIONS,
) -> list[int]:
    """Apply the migrations newer than the database, in order; return their versions.

    Call inside a write transaction that the caller commits.
    """
    dialect.lock_migrations(conn)
    conn.execute(_CREATE_VERSION_TABLE.format(**dialect.schema_words))
    have = current_version(conn, dialect)
    newest = migrations[-1].version if migrations else 0
    if have > newest:
        msg = (
            f"the database is at schema version {have} but this agenttrace knows only up to "
            f"{newest}; upgrade agenttrace or point it at another database"
        )
        raise RuntimeError(msg)
    applied: list[int] = []
    for migration in migrations:
        if migration.version <= have:
            continue
        for statement in migration.statements:
            conn.execute(statement.format(**dialect.schema_words))
        if migration.then is not None:
            migration.then(conn, dialect)
        conn.execute(
            dialect.sql(
                "INSERT INTO schema_version (version, description, applied_us) VALUES (?, ?, ?)"
            ),
            (migration.version, migration.description, now_us),
        )
        applied.append(migration.version)
    return applied
