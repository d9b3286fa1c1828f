"""`SQLiteStore`: the embedded, zero-set-up store.

WAL journal with ``synchronous=FULL`` (a committed, acknowledged batch survives a power
cut), one writer connection guarded by a lock, and one read connection per thread (WAL
lets them read while the writer writes). Migrations run on open inside ``BEGIN IMMEDIATE``,
which also keeps two processes opening one file at once from racing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agenttrace.exceptions import UserError
from agenttrace.server.store.dialect import SQLITE, DbConnection
from agenttrace.server.store.sql import SqlStore

__all__ = ["SQLiteStore"]

_BUSY_TIMEOUT_S = 30.0


class SQLiteStore(SqlStore):
    """A store in one SQLite file; thread-safe."""

    dialect = SQLITE

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if str(self.path) == ":memory:":
            msg = "SQLite :memory: databases cannot be shared between threads; pass a file path"
            raise UserError(msg)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create the directory {self.path.parent} for the SQLite store: {exc}"
            raise UserError(msg) from exc
        self._closed = False
        self._write_lock = threading.Lock()
        self._readers_lock = threading.Lock()
        self._readers: list[sqlite3.Connection] = []
        self._local = threading.local()
        self._writer = self._connect()
        self._migrate()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=_BUSY_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            msg = f"cannot open the SQLite store at {self.path}: {exc}"
            raise UserError(msg) from exc
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _check_open(self) -> None:
        if self._closed:
            msg = f"{self!r} is closed; open a new store to keep using {self.path}"
            raise UserError(msg)

    @contextmanager
    def _write(self) -> Iterator[DbConnection]:
        with self._write_lock:
            self._check_open()
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[DbConnection]:
        self._check_open()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=ON")
            with self._readers_lock:
                self._check_open()
                self._readers.append(conn)
            self._local.conn = conn
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection. Safe to call twice."""
        with self._write_lock, self._readers_lock:
            if self._closed:
                return
            self._closed = True
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self._writer.close()
