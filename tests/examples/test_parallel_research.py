"""examples/agents/parallel_research.py: Send fan-out, one branch id per parallel branch."""

from __future__ import annotations

import parallel_research

from .helpers import Traced, only, path_counts


def test_fan_out_gives_one_branch_per_place(traced: Traced) -> None:
    """Three places: one plan, three research branches with distinct ids, one report."""
    detail = traced.session(parallel_research.run())
    assert path_counts(detail.requests) == {
        ("/plan", "llm"): 1,
        ("/research", "llm"): 3,
        ("/research/docs_index", "vector_db"): 3,
        ("/write", "llm"): 1,
    }
    branches = [r for r in detail.requests if r.session_path == "/research"]
    ids = {r.branch_id for r in branches}
    assert len(ids) == 3
    assert None not in ids
    searched = sorted(
        r.request_body["text"] for r in detail.requests if r.kind.value == "vector_db"
    )
    assert searched == ["Coimbra", "Lisbon", "Porto"]
    assert detail.requests[0].session_path == "/plan"
    assert detail.requests[-1].session_path == "/write"
    assert detail.session.status == "ok"


def test_number_of_branches_follows_the_plan(traced: Traced) -> None:
    """Four places named in the question give four branches."""
    question = "Compare Faro, Lisbon, Porto and Coimbra."
    detail = traced.session(parallel_research.run(question))
    branches = [r for r in detail.requests if r.session_path == "/research"]
    assert len({r.branch_id for r in branches}) == 4
    report = only(detail.requests, "/write")
    assert "Faro" in str(report.response_body)
