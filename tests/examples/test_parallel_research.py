"""examples/agents/parallel_research.py: Send fan-out, one branch id per parallel branch."""

from __future__ import annotations

import re

import parallel_research
from typer.testing import CliRunner

from agenttrace.cli import app

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


def test_searches_logged_by_hand_carry_their_branch_id(traced: Traced) -> None:
    """The ManualLogger search inside each branch has that branch's id, as its model call."""
    detail = traced.session(parallel_research.run())
    llm_branches = [r.branch_id for r in detail.requests if r.session_path == "/research"]
    search_branches = [
        r.branch_id for r in detail.requests if r.session_path == "/research/docs_index"
    ]
    assert None not in search_branches
    assert sorted(search_branches) == sorted(llm_branches)
    assert len(set(search_branches)) == 3


def test_cli_tree_numbers_the_branches(traced: Traced) -> None:
    """``agenttrace session`` marks each branch's model call and search with its number:
    branches numbered by start, the same number for both calls of one branch."""
    detail = traced.session(parallel_research.run())
    result = CliRunner().invoke(
        app, ["--endpoint", traced.url, "session", detail.session.session_id]
    )
    assert result.exit_code == 0, result.output
    starts: dict[str, object] = {}
    for request in detail.requests:
        if request.branch_id is not None:
            starts.setdefault(request.branch_id, request.start_time)
    number = {branch: n for n, branch in enumerate(sorted(starts, key=starts.__getitem__), 1)}
    lines = result.stdout.splitlines()
    for kind, path in (("llm", "/research"), ("vector_db", "/research/docs_index")):
        shown = [
            int(found.group(1))
            for line in lines
            if (found := re.search(rf"── {kind} .*\[branch (\d)\]", line))
        ]
        expected = [number[str(r.branch_id)] for r in detail.requests if r.session_path == path]
        assert shown == expected, result.stdout
    assert sorted(number.values()) == [1, 2, 3]
    plan = next(line for line in lines if "── llm" in line)
    assert "branch" not in plan
