"""Starting and stopping collectors: the test helper, restarts, projects, the command line."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenttrace.exceptions import ConfigurationError, UserError
from agenttrace.server import create_app, open_store, resolve_database_url
from agenttrace.server.store import SessionQuery, database_url_for
from agenttrace.server.testing import running_collector, serve_in_thread


def test_running_collector_serves_and_stops(tmp_path: Path, make_record: Any) -> None:
    """The helper serves a real collector on 127.0.0.1 and frees port and store on exit."""
    with running_collector(data_dir=tmp_path) as collector:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", collector.url)
        answer = httpx.post(f"{collector.url}/v1/records", json={"records": [make_record("a")]})
        assert answer.json()["accepted"] == 1
        assert collector.store.query_sessions("default", SessionQuery()).total == 1
    assert (tmp_path / "agenttrace.db").exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{collector.url}/healthz")
    with pytest.raises(UserError, match="closed"):
        collector.store.query_sessions("default", SessionQuery())


def test_running_collector_without_arguments_uses_a_temporary_file(make_record: Any) -> None:
    """With nothing given, the SQLite file lives in a temporary directory removed on exit."""
    with running_collector() as collector:
        path = Path(collector.database_url.removeprefix("sqlite:///"))
        assert path.exists()
    assert not path.parent.exists()


def test_restart_keeps_data_and_skips_migrations(tmp_path: Path, hand_built: Any) -> None:
    """Stop a collector and start another on the same file: sessions are still there."""
    with running_collector(data_dir=tmp_path) as first:
        httpx.post(f"{first.url}/v1/records", json={"records": hand_built.records})
        before = httpx.get(f"{first.url}/v1/sessions/{hand_built.session_id}").json()
    with running_collector(data_dir=tmp_path) as second:
        assert getattr(second.store, "applied_migrations", None) == []
        after = httpx.get(f"{second.url}/v1/sessions/{hand_built.session_id}").json()
        again = httpx.post(f"{second.url}/v1/records", json={"records": hand_built.records})
    assert after == before
    assert again.json()["duplicates"] == 5


def test_each_app_sees_only_its_project(tmp_path: Path, make_record: Any) -> None:
    """Two apps over one store with different projects do not see each other's data."""
    store = open_store(database_url_for(tmp_path))
    try:
        with (
            serve_in_thread(create_app(store)) as default_url,
            serve_in_thread(create_app(store, project_id="team-b")) as team_b_url,
        ):
            httpx.post(f"{default_url}/v1/records", json={"records": [make_record("d1", "sd")]})
            httpx.post(f"{team_b_url}/v1/records", json={"records": [make_record("b1", "sb")]})
            seen_default = httpx.get(f"{default_url}/v1/sessions").json()["sessions"]
            seen_b = httpx.get(f"{team_b_url}/v1/sessions").json()["sessions"]
            assert httpx.get(f"{team_b_url}/v1/requests/d1").status_code == 404
    finally:
        store.close()
    assert [s["session_id"] for s in seen_default] == ["sd"]
    assert [s["session_id"] for s in seen_b] == ["sb"]


def test_open_store_explains_bad_urls(tmp_path: Path) -> None:
    """Unsupported or empty database URLs raise a ConfigurationError with the accepted form."""
    for url in ("mysql://x/y", "sqlite:///", "http://localhost/agenttrace"):
        with pytest.raises(ConfigurationError, match=r"sqlite:///path/to/agenttrace\.db"):
            open_store(url)
    store = open_store(str(tmp_path / "plain-path.db"))
    store.close()
    assert (tmp_path / "plain-path.db").exists()


def test_create_app_refuses_a_nonpositive_body_limit(tmp_path: Path) -> None:
    """max_body_bytes must be positive; the error says so."""
    store = open_store(database_url_for(tmp_path))
    try:
        with pytest.raises(ValueError, match="positive number of bytes"):
            create_app(store, max_body_bytes=0)
    finally:
        store.close()


def test_database_url_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit URL wins, then AGENTTRACE_DATABASE_URL, then the data directory's file."""
    monkeypatch.delenv("AGENTTRACE_DATABASE_URL", raising=False)
    assert resolve_database_url("sqlite:///x.db", tmp_path) == "sqlite:///x.db"
    assert resolve_database_url(None, tmp_path) == database_url_for(tmp_path)
    monkeypatch.setenv("AGENTTRACE_DATA_DIR", str(tmp_path / "from-env"))
    assert resolve_database_url() == database_url_for(tmp_path / "from-env")
    monkeypatch.setenv("AGENTTRACE_DATABASE_URL", "sqlite:///env.db")
    assert resolve_database_url(None, tmp_path) == "sqlite:///env.db"


def _read_lines(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def test_python_dash_m_serves_until_sigterm(tmp_path: Path, make_record: Any) -> None:
    """``python -m agenttrace.server --port 0 --data-dir D`` serves, then stops on SIGTERM."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("AGENTTRACE_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "agenttrace.server", "--port", "0", "--data-dir", str(tmp_path)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stderr, lines), daemon=True).start()
    try:
        url = None
        while url is None:
            line = lines.get(timeout=60)
            found = re.search(r"running on (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        answer = httpx.post(f"{url}/v1/records", json={"records": [make_record("cli")]})
        assert answer.json()["accepted"] == 1
        assert httpx.get(f"{url}/healthz").json()["store"] == "sqlite"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0
    assert (tmp_path / "agenttrace.db").exists()


def test_python_dash_m_reports_a_bad_database() -> None:
    """A bad --database exits with status 2 and a sentence naming the accepted form."""
    done = subprocess.run(
        [sys.executable, "-m", "agenttrace.server", "--database", "bogus://x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "sqlite:///path/to/agenttrace.db" in done.stderr


class _BrokenStore:
    """A store whose queries fail unexpectedly (a bug, a disk error)."""

    backend = "broken"

    def schema_version(self) -> int:
        return 1

    def query_sessions(self, project_id: str, query: SessionQuery) -> Any:
        msg = "disk on fire"
        raise RuntimeError(msg)


def test_unexpected_failures_answer_500_with_a_sentence() -> None:
    """A store failure becomes a 500 with an error body, and the collector keeps serving."""
    app = create_app(_BrokenStore(), include_helicone=False, include_dashboard=False)  # type: ignore[arg-type]
    with serve_in_thread(app) as url:
        failed = httpx.get(f"{url}/v1/sessions")
        healthy = httpx.get(f"{url}/healthz")
    assert failed.status_code == 500
    assert "RuntimeError" in failed.json()["error"]
    assert healthy.json()["store"] == "broken"


def test_a_closed_store_answers_503(tmp_path: Path) -> None:
    """Queries against a store closed under a running app get a 503 saying it is closed."""
    store = open_store(database_url_for(tmp_path))
    with serve_in_thread(create_app(store)) as url:
        store.close()
        answer = httpx.get(f"{url}/v1/sessions")
    assert answer.status_code == 503
    assert "closed" in answer.json()["error"]
