"""`SQLiteStore`: the embedded, zero-set-up store.

WAL journal with ``synchronous=FULL`` (a committed, acknowledged batch survives a power
cut), one writer connection guarded by a lock, and one read connection per thread (WAL
lets them read while the writer writes). Migrations run on open inside ``BEGIN IMMEDIATE``,
which also keeps two processes opening one file at once from racing.

One writer at a time also means that a long ingest makes every other wait: `ingest_parts`
stores a batch part by part in one transaction and commits early when another writer is
waiting (`agenttrace.server._fair_ingest`).

Several processes may write one file (``agenttrace serve --workers N``). SQLite makes a
writer that finds the file locked poll (sleeping 1, 2, 5, 10, ... ms between tries), which
leaves the lock idle for milliseconds after each commit; so where the platform has
``fcntl``, writers of all processes first queue on an advisory lock of a side file
(``<database>.writer-lock``), which wakes the next one as soon as the lock is released.

The sessions are private: a directory the store creates is ``0700``, and the database file
is created ``0600`` before SQLite opens it (SQLite gives its ``-wal`` and ``-shm`` files the
database's mode). Existing directories and files keep the mode they have.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's own polling serialises writers
    fcntl = None  # type: ignore[assignment]

from agenttrace.exceptions import UserError
from agenttrace.records import Record
from agenttrace.server.store._ingest import ingest_records
from agenttrace.server.store.base import IngestCounts
from agenttrace.server.store.dialect import SQLITE, DbConnection
from agenttrace.server.store.sql import SqlStore

__all__ = ["PRIVATE_DIRECTORY_MODE", "PRIVATE_FILE_MODE", "SQLiteStore"]

_BUSY_TIMEOUT_S = 30.0

PRIVATE_DIRECTORY_MODE = 0o700
"""The mode of a directory the store creates: its owner's only."""
PRIVATE_FILE_MODE = 0o600
"""The mode of the files the store creates (the database, its lock side file)."""


def _create_private_file(path: Path, what: str) -> None:
    """Create ``path`` empty with `PRIVATE_FILE_MODE` unless it exists (an empty file is a
    valid SQLite database); UserError if it cannot be created."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    except OSError as exc:
        msg = f"cannot create {path} for {what}: {exc}"
        raise UserError(msg) from exc
    os.close(descriptor)


class SQLiteStore(SqlStore):
    """A store in one SQLite file; thread-safe."""

    dialect = SQLITE

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if str(self.path) == ":memory:":
            msg = "SQLite :memory: databases cannot be shared between threads; pass a file path"
            raise UserError(msg)
        try:
            self.path.parent.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create the directory {self.path.parent} for the SQLite store: {exc}"
            raise UserError(msg) from exc
        _create_private_file(self.path, "the SQLite store")
        self._closed = False
        self._write_lock = threading.Lock()
        self._readers_lock = threading.Lock()
        self._readers: list[sqlite3.Connection] = []
        self._local = threading.local()
        self._writer = self._connect()
        self._process_lock = _FileLock(self.path.with_name(self.path.name + ".writer-lock"))
        self._migrate()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    @property
    def location(self) -> str:
        """``sqlite:///`` and the file's absolute path."""
        return f"sqlite:///{self.path.resolve()}"

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
        with self._write_lock, self._process_lock:
            self._check_open()
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def ingest_parts(
        self,
        project_id: str,
        parts: Sequence[Sequence[Record]],
        keep_going: Callable[[], bool],
    ) -> tuple[IngestCounts, int]:
        """Store ``parts[0]``, then each next part while ``keep_going()`` says so, in one
        durable transaction (as `ingest` would store them one after the other); returns
        the counts and how many parts were stored (at least one, if there is one)."""
        accepted = duplicates = stored = 0
        if not parts:
            return IngestCounts(accepted=0, duplicates=0), 0
        with self._write() as conn:
            received = time.time_ns() // 1000
            for part in parts:
                if stored and not keep_going():
                    break
                counts = ingest_records(conn, self.dialect, project_id, part, received)
                accepted += counts.accepted
                duplicates += counts.duplicates
                stored += 1
        return IngestCounts(accepted=accepted, duplicates=duplicates), stored

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
            self._process_lock.close()


class _FileLock:
    """An exclusive ``flock`` on a side file, shared by every process writing the database
    (nothing where the platform has no ``fcntl``)."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO | None = None
        if fcntl is None:
            return
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
            self._file = os.fdopen(descriptor, "a+b")
        except OSError as exc:
            msg = f"cannot open the writer lock file {path}: {exc}"
            raise UserError(msg) from exc

    def __enter__(self) -> _FileLock:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the side file (releasing any lock still held)."""
        if self._file is not None:
            self._file.close()
