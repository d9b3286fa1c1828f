"""`PostgresStore`: several collectors (processes, machines) against one PostgreSQL database.

The SQL, the rollups and the metrics are the shared ones (`agenttrace.server.store.sql`);
this module supplies connections and the PostgreSQL `Dialect`:

* a psycopg 3 connection pool (``pool_min`` .. ``pool_max`` connections), each connection
  checked before use and replaced when the server went away, with
  ``synchronous_commit = on`` so that a committed (acknowledged) batch is on disk;
* writes in ``READ COMMITTED`` transactions: ingest inserts with ``ON CONFLICT DO NOTHING
  RETURNING`` and rolls the new rows into ``sessions`` with atomic upserts
  (``x = sessions.x + excluded.x``), in sorted key order, so collectors ingesting into one
  session at once neither lose an update nor deadlock; many-row INSERTs go in as COPY
  or as one statement over arrays (`agenttrace.server.store.postgres_bulk`);
* reads in ``REPEATABLE READ READ ONLY`` transactions (one snapshot per call); sorting
  sessions by p50/p95 latency ranks them in the database with ``percentile_cont``, which
  gives the very floats the shared Python percentile gives;
* migrations on open under ``pg_advisory_xact_lock`` (keyed by schema), so collectors
  starting together against an empty database apply each migration once;
* when the server cannot be reached, every method raises `StoreUnavailableError` (the
  collector answers 503 with ``Retry-After``) after at most ``timeout`` seconds, and the
  pool reconnects in the background once the server is back;
* text is stored with the "C" collation, so sorting and matching agree with SQLite; a NUL
  character, which PostgreSQL text cannot hold, is stored as U+FFFD.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import IsolationLevel
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.errors import DeadlockDetected, SerializationFailure, TransactionRollback
from psycopg_pool import ConnectionPool, PoolTimeout

from agenttrace.exceptions import ConfigurationError, UserError
from agenttrace.records import Record
from agenttrace.server.store._ingest import ingest_records
from agenttrace.server.store.base import IngestCounts, SessionQuery, StoreUnavailableError
from agenttrace.server.store.dialect import DbConnection
from agenttrace.server.store.filters import SortOrder
from agenttrace.server.store.migrations import apply_migrations
from agenttrace.server.store.postgres_bulk import BulkInserts
from agenttrace.server.store.postgres_dialect import LATENCY_MS, POSTGRESQL, PostgresQuery
from agenttrace.server.store.sql import SqlStore

__all__ = ["PostgresStore", "postgres_conninfo"]

_EXAMPLE = "postgresql://user:password@host:5432/database"
_INGEST_ATTEMPTS = 3  # a deadlock or serialization failure is retried this many times
_BULK_MIN_PARAMETERS = 64  # fewer parameters: not worth looking for a many-row INSERT
_RETRYABLE = (TransactionRollback, DeadlockDetected, SerializationFailure)
_PERCENTILES = {"p50_latency_ms": 0.5, "p95_latency_ms": 0.95}


def postgres_conninfo(url: str) -> tuple[str, str]:
    """A libpq connection string for ``url`` and a password-free name for messages.

    Accepts ``postgresql://``, ``postgres://`` and SQLAlchemy's ``postgresql+psycopg://``;
    adds ``connect_timeout=5`` and ``application_name=agenttrace`` unless the URL sets them.
    """
    text = url.strip()
    if text.startswith("postgresql+psycopg://"):
        text = "postgresql://" + text[len("postgresql+psycopg://") :]
    if not text.startswith(("postgresql://", "postgres://")):
        msg = f"a PostgreSQL URL starts with postgresql://; use something like {_EXAMPLE}"
        raise ConfigurationError(msg)
    try:
        params = conninfo_to_dict(text)
    except psycopg.ProgrammingError as exc:
        msg = f"the PostgreSQL URL is not valid ({str(exc).strip()}); use something like {_EXAMPLE}"
        raise ConfigurationError(msg) from None
    params.setdefault("connect_timeout", 5)
    params.setdefault("application_name", "agenttrace")
    user = f"{params['user']}@" if params.get("user") else ""
    where = f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"
    display = f"{user}{where}/{params.get('dbname') or ''}"
    return make_conninfo("", **params), display


def _clean(parameters: Sequence[Any]) -> Sequence[Any]:
    """``parameters`` with NUL characters (which PostgreSQL text cannot hold) as U+FFFD."""
    if not any(type(p) is str and "\x00" in p for p in parameters):
        return parameters
    return [p.replace("\x00", "\ufffd") if type(p) is str else p for p in parameters]


def _as_is(parameters: Sequence[Any]) -> Sequence[Any]:
    return parameters


class _Connection:
    """A psycopg connection as the shared store code uses it (`DbConnection`).

    Many-row INSERTs run as COPY or over arrays (`BulkInserts`). With ``clean``, text
    parameters have their NUL characters replaced (PostgreSQL text cannot hold them).
    """

    __slots__ = ("bulk", "clean", "raw")

    def __init__(
        self, raw: psycopg.Connection[Any], bulk: BulkInserts | None = None, *, clean: bool = True
    ) -> None:
        self.raw = raw
        self.bulk = bulk
        self.clean: Callable[[Sequence[Any]], Sequence[Any]] = _clean if clean else _as_is

    def execute(self, sql: str, parameters: Sequence[Any] | None = None, /) -> psycopg.Cursor[Any]:
        """Run one statement; converted SQL always gets parameters (maybe none), raw
        SQL (migrations' DDL) none, so that ``%`` reads right in both."""
        if parameters is None:
            return self.raw.execute(sql, () if isinstance(sql, PostgresQuery) else None)
        if self.bulk is not None and len(parameters) > _BULK_MIN_PARAMETERS:
            cursor = self.bulk.run_values(self.raw, sql, parameters, self.clean)
            if cursor is not None:
                return cursor
        return self.raw.execute(sql, self.clean(parameters))

    def executemany(
        self, sql: str, seq_of_parameters: Iterable[Sequence[Any]], /
    ) -> psycopg.Cursor[Any]:
        """Run one statement once per parameter row (as one statement when it is an
        INSERT, see `BulkInserts`; else pipelined by psycopg)."""
        rows = list(seq_of_parameters)
        if self.bulk is not None:
            cursor = self.bulk.run(self.raw, sql, rows, self.clean)
            if cursor is not None:
                return cursor
        cursor = self.raw.cursor()
        if rows:
            cursor.executemany(sql, [self.clean(row) for row in rows])
        return cursor


_COLUMN_TYPES = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
    AND a.attnum > 0 AND NOT a.attisdropped
"""


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Session settings of every new connection: commits wait for the disk; notices (such
    as "staging table already exists") are not sent."""
    conn.autocommit = True
    conn.execute("SET synchronous_commit = on")
    conn.execute("SET client_min_messages = warning")
    conn.autocommit = False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _now_us() -> int:
    return time.time_ns() // 1000


class PostgresStore(SqlStore):
    """A store in a PostgreSQL database; thread-safe, and safe for several collectors."""

    dialect = POSTGRESQL

    def __init__(
        self,
        url: str,
        *,
        pool_min: int = 1,
        pool_max: int = 10,
        timeout: float = 5.0,
        retry_after: float = 2.0,
    ) -> None:
        """Connect, migrate, and open a pool of ``pool_min`` to ``pool_max`` connections.

        ``timeout``: seconds a call waits for a working connection before it raises
        `StoreUnavailableError` (which tells clients to come back in ``retry_after`` s).
        """
        if not 0 <= pool_min <= pool_max or pool_max < 1:
            msg = f"need 0 <= pool_min <= pool_max and pool_max >= 1; got {pool_min}, {pool_max}"
            raise ConfigurationError(msg)
        if timeout <= 0:
            msg = f"timeout must be a positive number of seconds; got {timeout}"
            raise ConfigurationError(msg)
        self._conninfo, self.display_name = postgres_conninfo(url)
        self._timeout = timeout
        self._retry_after = retry_after
        self._closed = False
        self._close_lock = threading.Lock()
        self._migrate()
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            self._conninfo,
            min_size=pool_min,
            max_size=pool_max,
            kwargs={"autocommit": False},
            configure=_configure,
            check=ConnectionPool.check_connection,
            timeout=timeout,
            # Give up a failing reconnection soon: the next call starts a fresh one, rather
            # than waiting out the pool's backoff (minutes) after the server is back.
            reconnect_timeout=max(2 * timeout, 5.0),
            name=f"agenttrace {self.display_name}",
            open=False,
        )
        self._pool.open(wait=False)

    def __repr__(self) -> str:
        return f"PostgresStore({self.display_name!r})"

    @property
    def location(self) -> str:
        """``postgresql://user@host:port/database``: the URL without its password."""
        return f"postgresql://{self.display_name}"

    # -- connections --------------------------------------------------------------------

    def _unavailable(self, exc: BaseException) -> StoreUnavailableError:
        if isinstance(exc, PoolTimeout):
            reason = (
                f"no working connection within {self._timeout:g} s: the server is unreachable "
                f"or all {self._pool.max_size} connections are busy"
            )
        else:
            reason = _first_line(exc)
        return StoreUnavailableError(
            f"PostgreSQL at {self.display_name} is unavailable ({reason}); the collector "
            f"reconnects by itself, retry in {self._retry_after:g} s",
            retry_after=self._retry_after,
        )

    def _check_open(self) -> None:
        if self._closed:
            msg = f"{self!r} is closed; open a new store to keep using {self.display_name}"
            raise UserError(msg)

    def _migrate(self) -> None:
        """Apply pending migrations on one direct connection, under the advisory lock."""
        try:
            conn = psycopg.connect(self._conninfo, autocommit=False)
        except psycopg.OperationalError as exc:
            reason = _first_line(exc).rpartition(" failed: ")[2]  # libpq: "... port N failed: X"
            msg = (
                f"cannot connect to PostgreSQL at {self.display_name}: {reason}; check that "
                "the server runs and that the URL (user, password, database) is right"
            )
            raise StoreUnavailableError(msg, retry_after=self._retry_after) from exc
        try:
            _configure(conn)
            with conn.transaction():  # apply_migrations takes the dialect's advisory lock
                self.applied_migrations = apply_migrations(
                    _Connection(conn), self.dialect, _now_us()
                )
                types = {(t, c): sql_type for t, c, sql_type in conn.execute(_COLUMN_TYPES)}
            self._bulk = BulkInserts(types)
        except psycopg.OperationalError as exc:
            raise self._unavailable(exc) from exc
        finally:
            conn.close()

    @contextmanager
    def _transaction(self, *, read_only: bool, clean: bool = True) -> Iterator[_Connection]:
        self._check_open()
        try:
            with self._pool.connection(timeout=self._timeout) as conn:
                conn.read_only = read_only
                conn.isolation_level = (
                    IsolationLevel.REPEATABLE_READ if read_only else IsolationLevel.READ_COMMITTED
                )
                # the pool commits when the block ends, or rolls back if it raised
                yield _Connection(conn, self._bulk, clean=clean)
        except PoolTimeout as exc:
            raise self._unavailable(exc) from exc
        except _RETRYABLE as exc:
            if not read_only:
                raise  # `ingest` retries these
            raise self._unavailable(exc) from exc
        except psycopg.OperationalError as exc:
            raise self._unavailable(exc) from exc

    @contextmanager
    def _write(self) -> Iterator[DbConnection]:
        with self._transaction(read_only=False) as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[DbConnection]:
        with self._transaction(read_only=True) as conn:
            yield conn

    def close(self) -> None:
        """Close the pool's connections. Safe to call twice."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._pool.close()

    # -- what differs from the shared code ----------------------------------------------

    def ingest(self, project_id: str, records: Sequence[Record]) -> IngestCounts:
        """Store new records and roll them up in one transaction (see `BulkInserts`);
        returns after the commit. A deadlock or serialization failure is retried."""
        if not records:
            return IngestCounts(accepted=0, duplicates=0)
        # the shared ingest repairs NUL as SQLite's does (text_repair): no parameter holds one
        return self._write_batch(
            lambda conn: ingest_records(conn, self.dialect, project_id, records, _now_us()),
            repaired=True,
        )

    def _write_batch(
        self, work: Callable[[DbConnection], IngestCounts], *, repaired: bool = False
    ) -> IngestCounts:
        """``work`` (an ingest: `ingest`, `ingest_spans`) in a write transaction, run again
        (in a new one) after a deadlock or a serialization failure, at most
        `_INGEST_ATTEMPTS` times in all; then 'unavailable'. ``repaired``: no value holds a
        NUL (the connection does not look for one)."""
        for attempt in range(1, _INGEST_ATTEMPTS + 1):
            try:
                with self._transaction(read_only=False, clean=not repaired) as conn:
                    return work(conn)
            except _RETRYABLE as exc:
                if attempt == _INGEST_ATTEMPTS:
                    msg = (
                        f"PostgreSQL at {self.display_name} could not commit the batch "
                        f"({_first_line(exc)}) in {attempt} attempts; retry in "
                        f"{self._retry_after:g} s"
                    )
                    raise StoreUnavailableError(msg, retry_after=self._retry_after) from exc
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _ids_by_percentile(
        self, conn: DbConnection, where: str, params: list[Any], query: SessionQuery
    ) -> list[str]:
        """The page's session ids by a latency percentile, computed and sorted in the
        database with ``percentile_cont`` (the definition the shared code uses)."""
        fraction = _PERCENTILES[str(query.sort)]
        direction = "DESC" if query.order is SortOrder.DESC else "ASC"
        sql = (
            "SELECT session_id FROM (SELECT s.session_id AS session_id, "
            f"percentile_cont(?) WITHIN GROUP (ORDER BY {LATENCY_MS}) AS p "
            "FROM sessions s LEFT JOIN records r ON r.project_id = s.project_id "
            f"AND r.session_id = s.session_id AND r.end_us IS NOT NULL "
            f"AND r.kind <> 'human' WHERE {where} "
            "GROUP BY s.session_id) AS by_percentile "
            f"ORDER BY p IS NULL, p {direction}, session_id {direction} LIMIT ? OFFSET ?"
        )
        found = self._sql(conn, sql, [fraction, *params, query.limit, query.offset])
        return [row[0] for row in found]
