"""Retention: `Store.prune`, ``agenttrace db prune | upgrade`` and ``serve --retention``.

Written once against the `Store` interface; runs for every backend in ``STORE_BACKENDS``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agenttrace.cli import app as cli
from agenttrace.records import Record, RecordKind, Usage
from agenttrace.server.app import create_app
from agenttrace.server.store import (
    RequestQuery,
    SessionQuery,
    SqlStore,
    Store,
    request_filter,
    session_filter,
)
from agenttrace.server.store._prune import _SELECT_OLD
from agenttrace.server.store.migrations import MIGRATIONS

NOW = datetime.now(UTC)


def _session(session_id: str, ended: datetime, count: int = 2, project: str = "p") -> list[Record]:
    """``count`` requests of one session, the last ending at ``ended``."""
    return [
        Record(
            id=f"{project}-{session_id}-{i}",
            kind=RecordKind.LLM,
            session_id=session_id,
            session_path=f"/agent/step-{i}",
            user_id="u1",
            properties={"team": "red", "step": str(i), "session": session_id},
            start_time=ended - timedelta(seconds=count - 1 - i + 5),
            end_time=ended - timedelta(seconds=count - 1 - i),
            usage=Usage(input_tokens=10, output_tokens=5),
            cost_usd=0.5,
        )
        for i in range(count)
    ]


def _ids(store: Store, project: str = "p") -> set[str]:
    page = store.query_sessions(project, SessionQuery(filter=session_filter(), limit=500))
    return {row.session_id for row in page.sessions}


def test_prune_deletes_old_sessions_with_everything_they_own(store: Store) -> None:
    """Sessions that ended before the cutoff go with their requests, properties and users,
    in transactions of at most ``batch_sessions`` sessions; newer ones stay untouched."""
    old = [f"old-{i}" for i in range(5)]
    for session_id in old:
        store.ingest("p", _session(session_id, NOW - timedelta(days=40)))
    store.ingest("q", _session("old-other-project", NOW - timedelta(days=31), project="q"))
    store.ingest("p", _session("recent", NOW - timedelta(days=29)))
    store.ingest("p", _session("straddles", NOW - timedelta(days=1), count=1))
    kept_before = store.get_session("p", "recent")

    counts = store.prune(NOW - timedelta(days=30), batch_sessions=2)

    assert (counts.sessions, counts.records, counts.batches) == (6, 12, 3)
    assert _ids(store) == {"recent", "straddles"}
    assert _ids(store, "q") == set()
    assert store.get_session("p", "old-0") is None
    assert store.get_request("p", "p-old-0-0") is None
    by_property = store.query_requests(
        "p", RequestQuery(filter=request_filter(properties=[("team", "red")]), limit=100)
    )
    assert {row.session_id for row in by_property.requests} == {"recent", "straddles"}
    assert isinstance(store, SqlStore)
    with store._read() as conn:
        property_rows = conn.execute("SELECT record_id FROM record_properties").fetchall()
    assert sorted(row[0] for row in property_rows) == sorted(
        3 * ["p-recent-0", "p-recent-1", "p-straddles-0"]
    )
    by_user = store.query_sessions("p", SessionQuery(filter=session_filter(user_id="u1")))
    assert {row.session_id for row in by_user.sessions} == {"recent", "straddles"}
    assert store.get_session("p", "recent") == kept_before
    # the ids are free again: re-sending an old record stores it as new
    again = store.ingest("p", _session("old-0", NOW - timedelta(days=40)))
    assert (again.accepted, again.duplicates) == (2, 0)


def test_prune_with_nothing_old_changes_nothing(store: Store) -> None:
    """No session is older than the cutoff: nothing deleted, one (empty) look."""
    store.ingest("p", _session("recent", NOW))
    counts = store.prune(NOW - timedelta(days=1))
    assert (counts.sessions, counts.records, counts.batches) == (0, 0, 0)
    assert _ids(store) == {"recent"}


def test_prune_refuses_a_batch_size_below_one(store: Store) -> None:
    """A batch of zero sessions would never end."""
    with pytest.raises(ValueError, match="batch_sessions must be at least 1"):
        store.prune(NOW, batch_sessions=0)


def test_ingest_goes_on_while_pruning(store_factory: Any) -> None:
    """Prune in small batches while another thread ingests new sessions: every new record
    is stored and every old session is gone."""
    store = store_factory.open()
    for i in range(60):
        store.ingest("p", _session(f"old-{i}", NOW - timedelta(days=90), count=3))
    errors: list[BaseException] = []

    def ingest() -> None:
        try:
            for i in range(40):
                store.ingest("p", _session(f"new-{i}", NOW, count=3))
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=ingest)
    writer.start()
    counts = store.prune(NOW - timedelta(days=30), batch_sessions=5)
    writer.join(60)
    assert errors == []
    assert counts.sessions == 60
    assert counts.batches == 12
    assert _ids(store) == {f"new-{i}" for i in range(40)}


def test_prune_finds_old_sessions_through_an_index(store: Store, query_plan: Any) -> None:
    """The select of old sessions uses the ``sessions_by_last_end`` index (migration 3), so
    each batch is cheap however many sessions are kept."""
    assert MIGRATIONS[2].statements == (
        "CREATE INDEX sessions_by_last_end ON sessions (last_end_us)",
    )
    assert "sessions_by_last_end" in query_plan(store, _SELECT_OLD, (0, 10))


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout + result.stderr


def test_db_commands(store_factory: Any) -> None:
    """``db upgrade`` reports the schema version; ``db prune --older-than`` deletes and says
    what; a malformed span is refused with the form to use, deleting nothing."""
    store = store_factory.open()
    store.ingest("p", _session("old", NOW - timedelta(days=45)))
    store.ingest("p", _session("new", NOW))
    url = store_factory.database_url

    code, out = _cli("db", "upgrade", "--database", url)
    assert code == 0, out
    assert f"schema version {MIGRATIONS[-1].version}" in out
    assert "up to date" in out

    code, out = _cli("db", "prune", "--older-than", "thirty days", "--database", url)
    assert code != 0
    assert "not a span of time" in out
    assert "30d" in out
    assert _ids(store) == {"old", "new"}

    code, out = _cli("db", "prune", "--older-than", "30d", "--database", url)
    assert code == 0, out
    assert "deleted 1 session(s) and 2 request(s)" in out
    assert _ids(store) == {"new"}


def test_serve_with_retention_prunes_at_start_and_then_periodically(store: Store) -> None:
    """A collector with ``retention`` prunes when it starts, then every interval: a session
    that falls out of the window while it runs is deleted without a restart."""
    store.ingest("p", _session("old", NOW - timedelta(days=10)))
    app = create_app(store, project_id="p", retention=timedelta(days=7), retention_interval=0.2)
    with TestClient(app):
        _wait_for(lambda: _ids(store) == set())
        store.ingest("p", _session("ages-out", datetime.now(UTC) - timedelta(days=7, seconds=-3)))
        assert "ages-out" in _ids(store)
        _wait_for(lambda: _ids(store) == set())


def _wait_for(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the collector did not prune in time"
        time.sleep(0.05)
