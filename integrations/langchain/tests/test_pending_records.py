"""Records built later, off the callback's thread (as the shipper takes them), are the
records an exporter of built records gets at once: the handler queues only what a run's
end decides, and the ended run's state does not change while its record waits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.tools import tool

import agenttrace
from agenttrace.records import Record
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain import CallbackHandler

from .helpers import agent_calling_agent, user

Pending = tuple[Callable[[], Record], Callable[[Record], Record]]


class PendingExporter:
    """Takes records still to be built, like the shipper, and builds them only when asked."""

    takes_pending = True

    def __init__(self) -> None:
        self.pending: list[Pending] = []

    def emit(self, item: Pending) -> None:
        """Keep the builder and the privacy rules of one record."""
        self.pending.append(item)

    def flush(self, timeout: float | None = None) -> bool:
        """Nothing to deliver."""
        return True

    def shutdown(self, timeout: float | None = None) -> bool:
        """Nothing to stop."""
        return True

    def built(self) -> list[Record]:
        """The records, built now (after the graph finished)."""
        return [prepare(build()) for build, prepare in self.pending]


def _run_agent_calling_agent() -> None:
    """A ReAct agent whose tool runs another agent."""
    agent_calling_agent().invoke(
        user("q"), config={"callbacks": [CallbackHandler(session_id="s-1")]}
    )


def _shape(records: list[Record]) -> list[dict[str, Any]]:
    """Everything but the ids of runs and tasks and the clock times; parents as positions
    in the list."""
    position = {record.id: index for index, record in enumerate(records)}
    varying = {"id", "parent_id", "branch_id", "start_time", "end_time", "time_to_first_token_ms"}
    return [
        record.model_dump(exclude=varying)
        | {
            "parent": position.get(record.parent_id) if record.parent_id else None,
            "branch": record.branch_id is not None,
        }
        for record in records
    ]


def built_at_once_and_later(
    run: Callable[[], object], *, send_bodies: bool = True
) -> tuple[list[Record], list[Record]]:
    """The records of ``run()`` built at once (`InMemoryExporter`), and those of another
    ``run()`` queued unbuilt and built after it finished (`PendingExporter`)."""
    memory = InMemoryExporter()
    agenttrace.configure(exporter=memory, send_bodies=send_bodies)
    run()
    pending = PendingExporter()
    agenttrace.configure(exporter=pending, send_bodies=send_bodies)
    run()
    return memory.records, pending.built()


@pytest.mark.parametrize("send_bodies", [True, False])
def test_pending_records_match_built_ones(send_bodies: bool) -> None:
    """Ids, paths, parents, usage, cost, statuses and bodies come out the same."""
    now, later = built_at_once_and_later(_run_agent_calling_agent, send_bodies=send_bodies)
    assert len(later) == len(now) == 6
    assert _shape(later) == _shape(now)
    assert {r.parent_id for r in later[1:4]} == {later[4].id}
    assert all(r.end_time >= r.start_time for r in later)
    tool_record = later[4]
    if send_bodies:
        assert tool_record.request == {"input": {"question": "q"}}
        assert tool_record.response is not None
    else:
        assert tool_record.request is None
        assert tool_record.response is None


class _Unreadable(dict[str, str]):
    """A tool result that fails while it is read (as a dict another thread changes does)."""

    def items(self) -> Any:
        msg = "dictionary changed size during iteration"
        raise RuntimeError(msg)


@pytest.mark.parametrize("later", [False, True])
def test_a_body_that_cannot_be_read_loses_the_body_not_the_record(
    later: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tool's record is kept, with its status and input, and no output."""
    monkeypatch.setenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", "0")  # as in a user's process

    @tool
    def lookup(key: str) -> Any:
        """Look a key up."""
        return _Unreadable(answer=key)

    exporter: Any = PendingExporter() if later else InMemoryExporter()
    agenttrace.configure(exporter=exporter, send_bodies=True)
    lookup.invoke({"key": "k"}, config={"callbacks": [CallbackHandler(session_id="s-2")]})
    records = exporter.built() if later else exporter.records
    assert [(r.kind.value, r.name, r.status.value) for r in records] == [("tool", "lookup", "ok")]
    assert records[0].request is None
    assert records[0].response is None
