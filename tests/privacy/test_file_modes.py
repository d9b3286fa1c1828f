"""The collector's database is its owner's only: a directory it creates is 0700, and the
database with its WAL, shared-memory and lock files 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agenttrace.records import Record
from agenttrace.server.store import open_store
from agenttrace.server.store.base import SessionQuery


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which files were created world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("umask_022")
def test_a_new_sqlite_store_is_private(tmp_path: Path) -> None:
    """A new data directory is 0700; agenttrace.db, -wal, -shm and the lock file are 0600."""
    data_dir = tmp_path / "data"
    database = data_dir / "agenttrace.db"
    store = open_store(f"sqlite:///{database}")
    try:
        start = datetime(2025, 1, 1, tzinfo=UTC)
        store.ingest("default", [Record(id="r-1", session_id="s-1", start_time=start)])
        assert store.query_sessions("default", SessionQuery()).total == 1
        files = [database, *(data_dir / f"agenttrace.db{end}" for end in ("-wal", "-shm"))]
        files.append(data_dir / "agenttrace.db.writer-lock")
        assert mode(data_dir) == 0o700
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    finally:
        store.close()


@pytest.mark.usefixtures("umask_022")
def test_an_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    """A directory the user made (say /srv/agenttrace, shared on purpose) is not changed."""
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    store = open_store(f"sqlite:///{shared / 'agenttrace.db'}")
    store.close()
    assert mode(shared) == 0o755
    assert mode(shared / "agenttrace.db") == 0o600
