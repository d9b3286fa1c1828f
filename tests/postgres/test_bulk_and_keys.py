"""The PostgreSQL ways of writing many rows (`BulkInserts`) keep the shared statements'
meaning, and API keys kept in PostgreSQL are shared by every collector of the database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from agenttrace.server.store import _ingest
from agenttrace.server.store.postgres import PostgresStore, _Connection
from agenttrace.server.store.postgres_bulk import parse_insert
from agenttrace.server.store.postgres_dialect import to_psycopg

pytestmark = pytest.mark.postgres

SHARED_INSERTS = {
    "record_properties": _ingest._INSERT_RECORD_PROPERTY,
    "sessions": _ingest._UPSERT_SESSION,
    "session_properties": _ingest._UPSERT_SESSION_PROPERTY,
    "session_users": _ingest._INSERT_SESSION_USER,
}


@pytest.mark.parametrize("table", sorted(SHARED_INSERTS))
def test_the_shared_inserts_are_recognised(table: str) -> None:
    """Each INSERT of the shared ingest parses, with its table, columns and conflict key."""
    shape = parse_insert(to_psycopg(SHARED_INSERTS[table]))
    assert shape is not None
    assert shape.table == table
    assert shape.columns[:2] in {("project_id", "session_id"), ("project_id", "record_id")}
    assert shape.updates == (table in {"sessions", "session_properties"})


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM records WHERE id = %s",
        "UPDATE api_keys SET revoked_us = %s WHERE key_id = %s",
        "INSERT INTO t (a, b) VALUES (%s, %s) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING",
        "INSERT INTO t (a, b) VALUES (%s, now())",
        "INSERT INTO t (a, b) SELECT a, b FROM u",
    ],
)
def test_other_statements_are_left_alone(sql: str) -> None:
    """Statements of any other shape are not rewritten."""
    assert parse_insert(sql) is None


def test_an_upsert_repeating_a_key_runs_row_by_row_like_sqlite(
    pg_store: PostgresStore, postgres_url: str, tmp_path: Path
) -> None:
    """Rows that repeat an upsert's key (one statement may not update a row twice) are
    applied one after another, leaving what SQLite leaves for the same executemany."""
    rows = [
        ("p", "s", "env", "prod", 500),
        ("p", "s", "env", "prod", 300),
        ("p", "s", "env", "dev", 900),
        ("p", "s", "env", "prod", 400),
    ]
    sql = _ingest._UPSERT_SESSION_PROPERTY
    select = "SELECT key, value, first_start_us FROM session_properties ORDER BY value"
    lite = sqlite3.connect(tmp_path / "lite.db")
    lite.execute(
        "CREATE TABLE session_properties (project_id TEXT, session_id TEXT, key TEXT, "
        "value TEXT, first_start_us INTEGER, PRIMARY KEY (project_id, session_id, key, value))"
    )
    lite.executemany(sql, rows)
    expected = lite.execute(select).fetchall()
    lite.close()
    with psycopg.connect(postgres_url) as raw:
        conn = _Connection(raw, pg_store._bulk)
        conn.executemany(to_psycopg(sql), rows)
        got = raw.execute(select).fetchall()
    assert got == expected == [("env", "dev", 900), ("env", "prod", 300)]


def test_copy_and_array_paths_store_the_same_rows(
    open_pg: Callable[..., PostgresStore],
    postgres_server: str,
    rec: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch written through the staging table (many rows) and through column arrays
    (few rows) leaves identical tables."""
    from tests.support.postgres_server import temporary_schema

    from agenttrace.server.store import postgres_bulk

    batch = [
        rec(f"r-{i:03d}", f"s-{i % 7}", start_ms=i, cost_usd=i / 3 if i % 2 else None,
            properties={"k": str(i % 3)}, user_id=f"u{i % 2}", usage={"input_tokens": i})
        for i in range(150)
    ]  # fmt: skip
    tables = ["records", "record_properties", "sessions", "session_properties", "session_users"]
    contents = []
    for stage_min_rows in (100, 10_000):
        monkeypatch.setattr(postgres_bulk, "STAGE_MIN_ROWS", stage_min_rows)
        with temporary_schema(postgres_server) as url:
            store = PostgresStore(url)
            try:
                assert store.ingest("default", batch).accepted == 150
            finally:
                store.close()
            with psycopg.connect(url) as conn:
                contents.append(
                    {
                        table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
                        for table in tables
                    }
                )
    for snapshot in contents:  # drop received_us and updated_us (the clock), last columns
        snapshot["records"] = [row[:-1] for row in snapshot["records"]]
        snapshot["sessions"] = [row[:-1] for row in snapshot["sessions"]]
    assert contents[0] == contents[1]


def test_api_keys_are_shared_by_every_collector_of_the_database(
    open_pg: Callable[..., PostgresStore],
) -> None:
    """A key created through one store is found, listed and revoked through another."""
    first, second = open_pg(), open_pg()
    assert not second.key_store().has_keys()
    created = first.key_store().create_key("team-a", name="ci")
    found = second.key_store().lookup(created.secret)
    assert found is not None
    assert (found.project_id, found.name, found.active) == ("team-a", "ci", True)
    assert [k.key_id for k in second.key_store().list_keys("team-a")] == [created.key.key_id]
    assert second.key_store().lookup(created.secret + "x") is None
    second.key_store().revoke_key(created.key.key_id)
    again = first.key_store().lookup(created.secret)
    assert again is not None
    assert not again.active
