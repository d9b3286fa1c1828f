"""The door for integrations: its names, and a producer written against it alone."""

from __future__ import annotations

import types
from datetime import UTC, datetime

import agenttrace
from agenttrace import instrumentation as door
from agenttrace.testing import InMemoryExporter


def test_all_lists_exactly_the_public_names() -> None:
    """__all__ names every public attribute of the door, once (ruff's RUF022 keeps it
    sorted: constants, classes, then functions)."""
    public = {
        name
        for name, value in vars(door).items()
        if not name.startswith("_")
        and name != "annotations"
        and not isinstance(value, types.ModuleType)
    }
    assert len(set(door.__all__)) == len(door.__all__)
    assert set(door.__all__) == public


def test_the_door_says_its_version() -> None:
    """Integrations can check the version the door belongs to."""
    assert agenttrace.__version__ == door.VERSION
    assert door.VERSION_INFO >= (0, 2)


class _Interrupt(Exception):  # noqa: N818 - named as LangGraph names it
    """Stands for langgraph's GraphInterrupt (recognised by name)."""


_Interrupt.__name__ = "GraphInterrupt"


def _produce(exporter: InMemoryExporter) -> None:
    """A tiny producer using nothing but the door: a tool span that asked a human."""
    parent = door.current_session()
    session = door.derive_session(parent, properties={"source": "otel"})
    path = door.child_path(door.child_path(session.path, "agent"), "tools/ask")
    usage = door.usage_from_response(
        {"usage": {"input_tokens": 10, "cache_read_input_tokens": 90, "output_tokens": 5}}
    )
    error = _Interrupt()
    status = door.exception_status(error)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    record = door.Record(
        id=door.new_id(),
        kind=door.RecordKind.TOOL,
        session_id=session.id,
        session_name=session.name,
        session_path=path,
        parent_id=session.parent_id,
        name="ask",
        model="claude-3-5-haiku-20241022",
        provider="anthropic",
        user_id=session.user_id,
        properties=dict(session.properties),
        start_time=start,
        end_time=start,
        status=status,
        error=door.error_info(error, status),
        usage=usage,
        cost_usd=door.compute_cost("claude-3-5-haiku-20241022", "anthropic", usage, at=start),
        request={"question": "approve?"} if door.sends_bodies() else None,
    )
    door.emit(record)


def test_a_producer_written_against_the_door_alone(exporter: InMemoryExporter) -> None:
    """Open a session, derive a path, classify, count, price, build and emit: a record."""
    with agenttrace.session(id="s1", name="support", path="/batch", user_id="ann"):
        _produce(exporter)
    (record,) = exporter.records
    assert (record.session_id, record.session_name, record.user_id) == ("s1", "support", "ann")
    assert record.session_path == "/batch/agent/tools_ask"
    assert record.properties == {"source": "otel"}
    assert record.status is door.Status.INTERRUPTED
    assert record.usage == door.Usage(
        input_tokens=100, output_tokens=5, cache_read_tokens=90, total_tokens=105
    )
    assert record.cost_usd is not None
    assert record.cost_usd > 0
    assert record.request == {"question": "approve?"}


def test_bodies_can_be_skipped_when_they_are_not_wanted() -> None:
    """sends_bodies() follows configure(send_bodies=...), so producers skip the work."""
    exporter = InMemoryExporter()
    agenttrace.configure(exporter=exporter, send_bodies=False)
    try:
        assert not door.sends_bodies()
        _produce(exporter)
        assert exporter.records[0].request is None
    finally:
        agenttrace.configure(exporter=InMemoryExporter())


def test_an_integration_can_say_and_set_the_current_session() -> None:
    """use_session makes a derived session current; a context provider answers otherwise."""
    ctx = door.derive_session(None, id="from-span")
    with door.use_session(ctx):
        assert agenttrace.current_session() is ctx
    assert agenttrace.current_session() is None

    def provider() -> door.SessionContext:
        return ctx

    door.register_context_provider(provider)
    try:
        assert agenttrace.current_session() is ctx
    finally:
        door.unregister_context_provider(provider)
    assert agenttrace.current_session() is None
