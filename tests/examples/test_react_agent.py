"""examples/agents/react_agent.py against a real collector: one session, /agent and tools."""

from __future__ import annotations

import react_agent

from .helpers import Traced, path_counts, summary


def test_react_agent_session_paths_and_order(traced: Traced) -> None:
    """Three model calls at /agent around one search and one calculator call, all ok."""
    detail = traced.session(react_agent.run())
    assert summary(detail.requests) == [
        ("/agent", "llm", "ok"),
        ("/tools/search", "tool", "ok"),
        ("/agent", "llm", "ok"),
        ("/tools/calculator", "tool", "ok"),
        ("/agent", "llm", "ok"),
    ]
    assert {p.path: p.request_count for p in detail.paths} == {
        "/agent": 3,
        "/tools/search": 1,
        "/tools/calculator": 1,
    }
    session = detail.session
    assert (session.session_name, session.status, session.request_count) == (
        "react-agent",
        "ok",
        5,
    )
    assert session.properties == {"example": "react_agent"}


def test_react_agent_tool_bodies_tokens_and_cost(traced: Traced) -> None:
    """Tool records carry their input and output; model records carry usage and a cost."""
    detail = traced.session(react_agent.run("How many people live in Lisbon and Porto?"))
    search, calculator = [r for r in detail.requests if r.kind.value == "tool"]
    assert search.name == "search"
    assert "Lisbon: population 545000" in str(search.response_body)
    assert calculator.name == "calculator"
    assert calculator.request_body == {"input": {"expression": "545000 + 232000"}}
    assert "777000" in str(calculator.response_body)
    models = [r for r in detail.requests if r.kind.value == "llm"]
    assert {r.model for r in models} == {"gpt-4o-mini"}
    assert all(r.input_tokens and r.output_tokens and r.cost_usd for r in models)
    assert detail.session.total_tokens == sum(r.total_tokens or 0 for r in models)
    assert path_counts(detail.requests)[("/agent", "llm")] == 3
