"""examples/agents/supervisor.py against a real collector: sub-agents and hand-logged calls."""

from __future__ import annotations

import supervisor

from .helpers import Traced, only, summary

EXPECTED = [
    ("/supervisor", "llm", "ok"),
    ("/researcher/agent", "llm", "ok"),
    ("/researcher/tools/search", "tool", "ok"),
    ("/researcher/tools/search/docs_index", "vector_db", "ok"),
    ("/researcher/tools/search/facts_db", "data", "ok"),
    ("/researcher/agent", "llm", "ok"),
    ("/supervisor", "llm", "ok"),
    ("/coder/agent", "llm", "ok"),
    ("/coder/tools/run_python", "tool", "ok"),
    ("/coder/agent", "llm", "ok"),
    ("/supervisor", "llm", "ok"),
]


def test_supervisor_session_has_every_agent_and_tool_path(traced: Traced) -> None:
    """The supervisor, both sub-agents and their tools land in one session, in order."""
    session_id = supervisor.run()
    detail = traced.session(session_id)
    assert summary(detail.requests) == EXPECTED
    assert {r.session_id for r in detail.requests} == {session_id}
    session = detail.session
    assert (session.session_name, session.status, session.request_count) == (
        "supervisor",
        "ok",
        11,
    )
    assert session.user_ids == ["demo-user"]
    assert [child.name for child in detail.tree.children] == ["supervisor", "researcher", "coder"]
    researcher = detail.tree.find("/researcher")
    assert researcher is not None
    assert researcher.request_count == 5


def test_manual_logger_calls_inherit_the_tool_run(traced: Traced) -> None:
    """The vector store and database calls nest under the search tool's record."""
    detail = traced.session(supervisor.run())
    search = only(detail.requests, "/researcher/tools/search")
    vector = only(detail.requests, "/researcher/tools/search/docs_index")
    database = only(detail.requests, "/researcher/tools/search/facts_db")
    assert vector.parent_id == database.parent_id == search.id
    assert (vector.name, database.name) == ("docs_index", "facts_db")
    assert vector.request_body["text"] == supervisor.QUESTION
    assert [d["id"] for d in vector.response_body["documents"]] == ["lisbon-1", "porto-1"]
    cities = {row["name"]: row["population"] for row in database.response_body["rows"]}
    assert cities == {"Lisbon": 545000, "Porto": 232000}
    assert vector.properties["example"] == "supervisor"


def test_coder_adds_up_what_the_researcher_found(traced: Traced) -> None:
    """The coder's run_python gets the researcher's figures and returns their sum."""
    detail = traced.session(supervisor.run())
    run_python = only(detail.requests, "/coder/tools/run_python")
    assert run_python.request_body == {"input": {"code": "545000 + 232000"}}
    assert "777000" in str(run_python.response_body)
    routes = [r for r in detail.requests if r.session_path == "/supervisor"]
    assert [r.response_body["content"] for r in routes] == ["researcher", "coder", "FINISH"]
