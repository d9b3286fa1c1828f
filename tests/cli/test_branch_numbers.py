"""How the CLI numbers parallel branches (LangGraph ``Send`` tasks) in a session tree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agenttrace.cli._render import branch_numbers
from agenttrace.query import RequestRow
from agenttrace.records import RecordKind, Status

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def row(request_id: str, path: str, branch: str | None, second: float) -> RequestRow:
    """A tool call at ``path`` in ``branch``, started ``second`` s after T0."""
    start = T0 + timedelta(seconds=second)
    return RequestRow(
        id=request_id,
        start_time=start,
        end_time=start + timedelta(milliseconds=1),
        properties={},
        user_id=None,
        model=None,
        provider=None,
        latency_ms=1.0,
        time_to_first_token_ms=None,
        input_tokens=None,
        output_tokens=None,
        total_tokens=None,
        cost_usd=None,
        kind=RecordKind.TOOL,
        status=Status.OK,
        session_id="s",
        session_name=None,
        session_path=path,
        parent_id=None,
        name=path.rsplit("/", 1)[-1],
        error=None,
        attempt=1,
        branch_id=branch,
        cache_read_tokens=None,
        cache_write_tokens=None,
        reasoning_tokens=None,
    )


def test_branches_are_numbered_by_first_start_per_branching_path() -> None:
    """A branch is numbered where it starts (its shortest path), by its first request; a
    call logged deeper inside it shares its number; a lone branch gets none."""
    rows = [
        row("1", "/research/docs_index", "late", 0.5),  # deeper call, earliest request
        row("2", "/research", "early", 1.0),
        row("3", "/research", "late", 2.0),
        row("4", "/research/docs_index", "early", 1.5),
        row("5", "/review", "alone", 3.0),
        row("6", "/plan", None, 0.0),
    ]
    assert branch_numbers(rows) == {"late": 1, "early": 2}
