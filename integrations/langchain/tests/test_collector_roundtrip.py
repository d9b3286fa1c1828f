"""End to end: a traced graph shipped by the real Shipper to a real collector, read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import agenttrace

from .helpers import supervisor_graph, user

collector_testing = pytest.importorskip("agenttrace.server.testing")


def test_graph_session_read_back_over_http(tmp_path: Path) -> None:
    """Paths, tree, tokens and statuses survive shipping, storage and the query API."""
    from agenttrace_langchain import CallbackHandler

    with collector_testing.running_collector(data_dir=tmp_path / "db") as collector:
        agenttrace.configure(endpoint=collector.url, spool_dir=tmp_path / "spool")
        config: Any = {
            "callbacks": [CallbackHandler(session_name="nightly", properties={"env": "ci"})],
            "configurable": {"thread_id": "roundtrip-1"},
        }
        supervisor_graph().invoke(user("llamas"), config=config)
        assert agenttrace.flush(10.0)
        with collector.client(timeout=10.0) as http:
            response = http.get("/v1/sessions/roundtrip-1", params={"include_bodies": "true"})
        assert response.status_code == 200, response.text
        detail = response.json()
    session = detail["session"]
    assert session["session_name"] == "nightly"
    assert session["request_count"] == 4
    assert session["total_tokens"] == 3 * 15
    assert session["status"] == "ok"
    requests = detail["requests"]
    assert [r["session_path"] for r in requests] == [
        "/researcher/agent",
        "/researcher/tools/search",
        "/researcher/agent",
        "/writer/agent",
    ]
    assert {r["properties"]["env"] for r in requests} == {"ci"}
    tool_row = requests[1]
    assert (tool_row["kind"], tool_row["name"]) == ("tool", "search")
    tree = detail["tree"]
    top = {child["name"]: child for child in tree["children"]}
    assert set(top) == {"researcher", "writer"}
    assert top["researcher"]["request_count"] == 3
    assert top["researcher"]["duration_ms"] >= 0
