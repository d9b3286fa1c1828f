"""examples/agents/shared_session_processes.py: two processes, one session."""

from __future__ import annotations

import os

import pytest
import shared_session_processes

from .helpers import Traced, summary


@pytest.mark.slow
def test_parent_and_child_process_share_one_session(traced: Traced) -> None:
    """The child's records join the parent's session under the tool's path, with its pid."""
    session_id = shared_session_processes.run()
    detail = traced.session(session_id)
    assert summary(detail.requests) == [  # in order of start time
        ("/agent", "llm", "ok"),
        ("/tools/delegate", "tool", "ok"),
        ("/tools/delegate/agent", "llm", "ok"),
        ("/tools/delegate/tools/run_python", "tool", "ok"),
        ("/tools/delegate/agent", "llm", "ok"),
        ("/agent", "llm", "ok"),
    ]
    pids = {r.session_path: r.properties["pid"] for r in detail.requests}
    parent_pid, child_pid = str(os.getpid()), pids["/tools/delegate/agent"]
    assert pids["/agent"] == pids["/tools/delegate"] == parent_pid
    assert child_pid != parent_pid
    assert pids["/tools/delegate/tools/run_python"] == child_pid
    processes = {r.properties["pid"]: r.properties["process"] for r in detail.requests}
    assert processes == {parent_pid: "planner", child_pid: "worker"}
    assert {r.session_id for r in detail.requests} == {session_id}
    assert {r.session_name for r in detail.requests} == {"shared-session-processes"}
    assert "917000" in str(detail.requests[-1].response_body)
