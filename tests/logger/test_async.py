"""ManualLogger.alog_request: async and sync operations, failures, cancellation, isolation."""

from __future__ import annotations

import asyncio

import pytest

import agenttrace
from agenttrace import ManualLogger
from agenttrace._internal.recorder import ResultRecorder
from agenttrace.records import Status
from agenttrace.testing import InMemoryExporter


async def test_async_operation_is_awaited_and_logged(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """An async operation's awaited value comes back; its results are the response."""

    async def search(recorder: ResultRecorder) -> list[str]:
        await asyncio.sleep(0)
        recorder.append_results({"hits": ["a"]})
        return ["a"]

    assert await logger.alog_request({"_type": "tool", "toolName": "search"}, search) == ["a"]
    (record,) = exporter.records
    assert (record.name, record.response, record.status) == ("search", {"hits": ["a"]}, Status.OK)


async def test_sync_operation_is_accepted(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """alog_request also takes a plain function."""
    assert await logger.alog_request({"_type": "tool", "toolName": "calc"}, lambda r: 41 + 1) == 42
    assert len(exporter.records) == 1


async def test_async_failure_is_logged_and_reraised(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """An async operation's exception is recorded as an error and propagates unchanged."""
    raised = LookupError("no such document")

    async def fetch(recorder: ResultRecorder) -> None:
        await asyncio.sleep(0)
        raise raised

    with pytest.raises(LookupError) as caught:
        await logger.alog_request({"_type": "tool", "toolName": "fetch"}, fetch)
    assert caught.value is raised
    (record,) = exporter.records
    assert record.status is Status.ERROR
    assert record.error is not None
    assert (record.error.type, record.error.message) == ("LookupError", "no such document")


async def test_cancelled_operation_is_recorded_cancelled(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """Cancelling the task running an operation records 'cancelled' and re-raises CancelledError."""
    started = asyncio.Event()
    never = asyncio.Event()

    async def wait_forever(recorder: ResultRecorder) -> None:
        started.set()
        await never.wait()

    task = asyncio.create_task(
        logger.alog_request({"_type": "tool", "toolName": "wait"}, wait_forever)
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (record,) = exporter.records
    assert record.status is Status.CANCELLED
    assert record.error is not None
    assert record.error.type == "asyncio.exceptions.CancelledError"


async def test_concurrent_tasks_keep_their_own_sessions(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """Calls in concurrent tasks nest under their own task's call and session, never another's."""
    both_inside = asyncio.Barrier(2)

    async def agent(session_id: str) -> None:
        async def outer(recorder: ResultRecorder) -> None:
            await both_inside.wait()  # both outer calls are open at the same time
            await logger.alog_request({"_type": "tool", "toolName": "inner"}, lambda r: None)

        async with agenttrace.session(id=session_id, path=f"/{session_id}"):
            await logger.alog_request({"_type": "tool", "toolName": "outer"}, outer)

    await asyncio.gather(agent("a"), agent("b"))
    by_path = {r.session_path: r for r in exporter.records}
    assert set(by_path) == {"/a/outer", "/a/outer/inner", "/b/outer", "/b/outer/inner"}
    for name in ("a", "b"):
        inner, outer = by_path[f"/{name}/outer/inner"], by_path[f"/{name}/outer"]
        assert inner.session_id == outer.session_id == name
        assert inner.parent_id == outer.id
