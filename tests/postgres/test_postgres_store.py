"""What is particular to the PostgreSQL store: URLs and connection errors,
``percentile_cont`` agreeing bit for bit with the shared percentile, and query plans that
use the indexes when filtering sessions by property and by time. (NUL, which PostgreSQL
text cannot hold, is stored as on SQLite: tests/server/test_store_text.py.)"""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support import postgres_server as postgres_support

from agenttrace.cli._serve import main as serve_main
from agenttrace.exceptions import ConfigurationError, UserError
from agenttrace.records import Record
from agenttrace.server.store import (
    SessionQuery,
    StoreUnavailableError,
    open_store,
    session_filter,
)
from agenttrace.server.store.dialect import percentile
from agenttrace.server.store.migrations import MIGRATIONS
from agenttrace.server.store.postgres import PostgresStore
from agenttrace.server.store.postgres_dialect import LATENCY_MS, to_psycopg

pytestmark = pytest.mark.postgres

PROJECT = "default"
Sql = Callable[..., list[tuple[Any, ...]]]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket is closed


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_open_store_opens_postgres_urls(postgres_url: str, scheme: str) -> None:
    """open_store accepts postgresql://, postgres:// and postgresql+psycopg:// URLs."""
    store = open_store(scheme + postgres_url[len("postgresql") :])
    try:
        assert isinstance(store, PostgresStore)
        assert (store.backend, store.schema_version()) == ("postgresql", MIGRATIONS[-1].version)
    finally:
        store.close()


def test_unreachable_server_at_open_says_where_without_the_password() -> None:
    """Opening a store on a port where nothing listens raises StoreUnavailableError naming
    the server and the cause, never the password."""
    url = f"postgresql://agent:s3cret-pw@127.0.0.1:{_closed_port()}/traces"
    with pytest.raises(StoreUnavailableError, match=r"agent@127\.0\.0\.1:\d+/traces") as caught:
        PostgresStore(url)
    assert "s3cret-pw" not in str(caught.value)
    assert "refused" in str(caught.value)


def test_unknown_database_is_named(postgres_server: str) -> None:
    """A database that does not exist is reported as such."""
    url = postgres_server.rsplit("/", 1)[0] + "/agenttrace_no_such_database"
    with pytest.raises(StoreUnavailableError, match="does not exist"):
        PostgresStore(url)


def test_serve_command_reports_an_unreachable_database(capsys: pytest.CaptureFixture[str]) -> None:
    """python -m agenttrace.server with an unreachable PostgreSQL prints one line, exits 2."""
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/test"
    assert serve_main(["--database", url, "--port", "0"]) == 2
    assert capsys.readouterr().err.startswith("agenttrace.server: cannot connect to PostgreSQL")


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("postgresql://h/db?no_such_option=1", {}, "not valid"),
        ("mysql://h/db", {}, "postgresql://"),
        ("postgresql://h/db", {"pool_min": 3, "pool_max": 2}, "pool_min <= pool_max"),
        ("postgresql://h/db", {"timeout": 0}, "positive number of seconds"),
    ],
)
def test_bad_settings_are_explained(url: str, options: dict[str, Any], message: str) -> None:
    """Bad URLs and pool settings raise ConfigurationError before connecting."""
    with pytest.raises(ConfigurationError, match=message):
        PostgresStore(url, **options)


def test_closed_store_says_so(pg_store: PostgresStore) -> None:
    """A closed store raises UserError saying it is closed; closing twice is fine."""
    pg_store.close()
    pg_store.close()
    with pytest.raises(UserError, match="closed"):
        pg_store.query_sessions(PROJECT, SessionQuery())


def test_question_marks_and_percent_signs_in_literals_survive() -> None:
    """Placeholder conversion leaves quoted text alone and doubles every % for psycopg."""
    assert to_psycopg("SELECT 'a?b%' WHERE x = ? AND y LIKE ?") == (
        "SELECT 'a?b%%' WHERE x = %s AND y LIKE %s"
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    latencies_us=st.lists(st.integers(min_value=0, max_value=10**11), min_size=1, max_size=40),
    fraction=st.one_of(st.sampled_from([0.5, 0.95]), st.floats(min_value=0, max_value=1)),
)
def test_percentile_cont_equals_the_shared_percentile(
    sql: Sql, latencies_us: list[int], fraction: float
) -> None:
    """PostgreSQL's percentile_cont over latencies (as the store computes them) gives the
    same float, bit for bit, as the Python percentile SQLite's answers use."""
    query = (
        f"SELECT percentile_cont(%s) WITHIN GROUP (ORDER BY {LATENCY_MS}) "
        "FROM (SELECT 0::bigint AS start_us, unnest(%s::bigint[]) AS end_us) AS r"
    )
    in_database = sql(query, (fraction, latencies_us))[0][0]
    in_python = percentile(sorted(value / 1000.0 for value in latencies_us), fraction)
    assert in_database == in_python


@pytest.fixture
def many_sessions(pg_store: PostgresStore, sql: Sql, rec: Callable[..., Record]) -> PostgresStore:
    """20,000 sessions (rows written straight to the tables), 20 per customer, analysed."""
    pg_store.ingest(PROJECT, [rec("seed", "seed")])
    t0_us = int(rec("x").start_time.timestamp() * 1_000_000)
    sql(
        "INSERT INTO sessions SELECT 'default', 'g-' || i, NULL, NULL, %s + i * 1000000, "
        "%s + i * 1000000 + 500, %s + i * 1000000, 1, 0, 0, 0, 0, NULL, 0.5, 1, 0 "
        "FROM generate_series(1::bigint, 20000) AS i",
        (t0_us, t0_us, t0_us),
    )
    sql(
        "INSERT INTO session_properties SELECT 'default', 'g-' || i, 'customer', "
        "'c' || (i %% 1000), %s FROM generate_series(1, 20000) AS i",
        (t0_us,),
    )
    sql("ANALYZE")
    return pg_store


def _plan(store: PostgresStore, query: SessionQuery) -> str:
    sql_text, params = store.session_page_sql(PROJECT, query)
    return "\n".join(store.explain(sql_text, params))


def test_filtering_sessions_by_property_uses_its_index(
    many_sessions: PostgresStore, rec: Callable[..., Record]
) -> None:
    """A property filter reads session_properties_by_pair, not the whole table."""
    query = SessionQuery(filter=session_filter(properties=[("customer", "c42")]))
    plan = _plan(many_sessions, query)
    print(plan)  # shown with -s
    assert "session_properties_by_pair" in plan
    assert many_sessions.query_sessions(PROJECT, query).total == 20


def test_filtering_sessions_by_time_uses_its_index(
    many_sessions: PostgresStore, rec: Callable[..., Record]
) -> None:
    """A created-at window reads sessions_by_created, not the whole table."""
    t0 = rec("x").start_time
    window = session_filter(since=t0 + timedelta(seconds=100), until=t0 + timedelta(seconds=150))
    plan = _plan(many_sessions, SessionQuery(filter=window))
    print(plan)  # shown with -s
    assert "sessions_by_created" in plan
    assert many_sessions.query_sessions(PROJECT, SessionQuery(filter=window)).total == 51


@pytest.mark.parametrize(
    ("ci", "outcome"), [("", pytest.skip.Exception), ("true", pytest.fail.Exception)]
)
def test_without_a_server_tests_skip_except_under_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    """With no reachable PostgreSQL the tests skip, saying how to enable them; with CI=true
    they fail instead."""
    monkeypatch.setenv(
        postgres_support.ENV_VARIABLE, f"postgresql://x@127.0.0.1:{_closed_port()}/t"
    )
    monkeypatch.setenv("CI", ci)
    postgres_support.find_server.cache_clear()
    try:
        with pytest.raises(outcome, match=postgres_support.ENV_VARIABLE):
            postgres_support.require_server()
    finally:
        postgres_support.find_server.cache_clear()
