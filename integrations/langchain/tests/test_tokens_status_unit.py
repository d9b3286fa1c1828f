"""Usage, model and status extraction from the shapes LangChain and providers produce."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from typing import Any

import langgraph.errors
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.errors import GraphInterrupt, NodeInterrupt

from agenttrace.instrumentation import error_info, exception_status
from agenttrace.records import RecordKind, Status, Usage
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain.serialize import jsonable, message_payload
from agenttrace_langchain.status import tool_output_outcome
from agenttrace_langchain.tokens import asked_model, served_model, usage_from_llm_end

from .compat import Command, Interrupt, ParentCommand, requires
from .driver import Driver


def test_usage_metadata_with_cache_and_reasoning_details() -> None:
    """LangChain's usage_metadata maps field by field, details included."""
    message = AIMessage(
        content="x",
        usage_metadata={
            "input_tokens": 120,
            "output_tokens": 40,
            "total_tokens": 160,
            "input_token_details": {"cache_read": 100, "cache_creation": 8},
            "output_token_details": {"reasoning": 30},
        },
    )
    assert usage_from_llm_end(message, None) == Usage(
        input_tokens=120,
        output_tokens=40,
        total_tokens=160,
        cache_read_tokens=100,
        cache_write_tokens=8,
        reasoning_tokens=30,
    )


def test_usage_metadata_wins_over_llm_output() -> None:
    """When both are present, the message's usage_metadata is the one counted."""
    message = AIMessage(
        content="x", usage_metadata={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}
    )
    llm_output = {"token_usage": {"prompt_tokens": 50, "completion_tokens": 50}}
    usage = usage_from_llm_end(message, llm_output)
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens) == (1, 2)


def test_openai_token_usage_shape() -> None:
    """OpenAI's prompt/completion shape, with cached and reasoning details."""
    llm_output = {
        "token_usage": {
            "prompt_tokens": 2006,
            "completion_tokens": 300,
            "total_tokens": 2306,
            "prompt_tokens_details": {"cached_tokens": 1920},
            "completion_tokens_details": {"reasoning_tokens": 192},
        },
        "model_name": "o3-mini-2025-01-31",
    }
    assert usage_from_llm_end(AIMessage(content="x"), llm_output) == Usage(
        input_tokens=2006,
        output_tokens=300,
        total_tokens=2306,
        cache_read_tokens=1920,
        reasoning_tokens=192,
    )
    assert served_model(AIMessage(content="x"), None, llm_output) == "o3-mini-2025-01-31"


def test_anthropic_raw_usage_counts_cache_into_input() -> None:
    """Anthropic's input_tokens excludes cache reads and writes; ours includes them."""
    llm_output = {
        "usage": {
            "input_tokens": 20,
            "output_tokens": 9,
            "cache_read_input_tokens": 1000,
            "cache_creation_input_tokens": 50,
        }
    }
    usage = usage_from_llm_end(None, llm_output)
    assert usage == Usage(
        input_tokens=1070, output_tokens=9, cache_read_tokens=1000, cache_write_tokens=50
    )
    assert usage.total_tokens == 1079


def test_an_absurd_token_count_is_dropped_not_the_record(
    monkeypatch: pytest.MonkeyPatch, exporter: InMemoryExporter
) -> None:
    """A count beyond what a record holds is left out and the LLM record still emitted
    (outside tests, where tracing failures are logged, the record used to be lost)."""
    monkeypatch.setenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", "0")
    reply = AIMessage(
        content="x",
        usage_metadata={"input_tokens": 2**35, "output_tokens": 3, "total_tokens": 2**35 + 3},
    )
    Driver().llm(None, message=reply)
    (record,) = exporter.records
    assert record.usage == Usage(output_tokens=3)


@pytest.mark.parametrize(
    "llm_output", [None, {}, {"token_usage": {}}, {"token_usage": "n/a"}, {"other": 1}]
)
def test_missing_usage_is_none(llm_output: dict[str, Any] | None) -> None:
    """No usage reported means no usage, never zeros."""
    assert usage_from_llm_end(AIMessage(content="x"), llm_output) is None


def test_models_asked_and_served() -> None:
    """Asked: ls_model_name, then invocation params; served: response_metadata first."""
    assert asked_model({"ls_model_name": "gpt-4o"}, {"model": "other"}) == "gpt-4o"
    assert asked_model({}, {"model_name": "gpt-4o-mini"}) == "gpt-4o-mini"
    assert asked_model(None, None) is None
    message = AIMessage(content="x", response_metadata={"model_name": "gpt-4o-2024-08-06"})
    assert served_model(message, None, None) == "gpt-4o-2024-08-06"
    anthropic = AIMessage(content="x", response_metadata={"model": "claude-sonnet-4-5"})
    assert served_model(anthropic, None, None) == "claude-sonnet-4-5"


def test_llm_record_carries_usage_models_and_bodies(exporter: InMemoryExporter) -> None:
    """An LLM record has served model, provider, usage, request messages and tool calls."""
    d = Driver()
    reply = AIMessage(
        content=[{"type": "text", "text": "calling"}],
        tool_calls=[{"name": "search", "args": {"q": "x"}, "id": "c1"}],
        usage_metadata={"input_tokens": 7, "output_tokens": 3, "total_tokens": 10},
        response_metadata={"model_name": "gpt-4o-mini-2024-07-18", "finish_reason": "tool_calls"},
    )
    d.llm(None, message=reply)
    (record,) = exporter.records
    assert record.kind is RecordKind.LLM
    assert (record.model, record.provider) == ("gpt-4o-mini-2024-07-18", "openai")
    assert record.usage == Usage(input_tokens=7, output_tokens=3, total_tokens=10)
    assert record.request == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "invocation_params": {"model": "gpt-4o-mini"},
    }
    assert record.response == {
        "role": "assistant",
        "content": [{"type": "text", "text": "calling"}],
        "tool_calls": [{"id": "c1", "name": "search", "args": {"q": "x"}}],
        "finish_reason": "tool_calls",
    }
    assert record.end_time is not None
    assert record.end_time >= record.start_time


def test_no_bodies_when_they_are_not_sent() -> None:
    """With ``send_bodies=False`` records keep usage but carry no request or response."""
    import agenttrace

    exporter = InMemoryExporter()
    agenttrace.configure(exporter=exporter, send_bodies=False)
    d = Driver()
    d.llm(None)
    d.tool(None, "search")
    assert [(r.request, r.response) for r in exporter.records] == [(None, None), (None, None)]
    assert exporter.records[0].usage is not None


_GRAPH_DRAINED = getattr(langgraph.errors, "GraphDrained", None)


def _node_interrupt() -> BaseException:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NodeInterrupt("stop")


@pytest.mark.parametrize(
    ("make_error", "status"),
    [
        (lambda: ValueError("x"), Status.ERROR),
        (lambda: GraphInterrupt((Interrupt(value="ok?"),)), Status.INTERRUPTED),
        (_node_interrupt, Status.INTERRUPTED),
        pytest.param(
            _GRAPH_DRAINED,
            Status.INTERRUPTED,
            marks=pytest.mark.skipif(_GRAPH_DRAINED is None, reason="langgraph < 1.2"),
        ),
        pytest.param(
            lambda: ParentCommand(Command(graph=Command.PARENT, goto="w")),
            Status.HANDOFF,
            marks=requires(ParentCommand, Command),
        ),
        (asyncio.CancelledError, Status.CANCELLED),
        (GeneratorExit, Status.CANCELLED),
    ],
)
def test_exception_status(make_error: Callable[[], BaseException], status: Status) -> None:
    """The installed langgraph's control flow is not an error (agenttrace's rule, checked
    on every supported langgraph); cancellation is its own status."""
    assert exception_status(make_error()) is status


def test_error_info_names_the_type_and_interrupt_values() -> None:
    """Builtins keep short names; interrupts show what they asked."""
    assert error_info(ValueError("bad")).model_dump() == {"type": "ValueError", "message": "bad"}
    interrupt = GraphInterrupt((Interrupt(value="approve?"),))
    info = error_info(interrupt)
    assert (info.type, info.message) == ("langgraph.errors.GraphInterrupt", "approve?")


def test_tool_output_outcome() -> None:
    """An error ToolMessage fails the tool; a parent Command is a handoff; else ok."""
    failed = ToolMessage(content="Error: boom", tool_call_id="c1", status="error")
    status, info = tool_output_outcome(failed)
    assert status is Status.ERROR
    assert info is not None
    assert info.message == "Error: boom"
    if Command is not None:  # langgraph >= 0.2.5x
        assert tool_output_outcome(Command(graph=Command.PARENT, goto="writer")) == (
            Status.HANDOFF,
            None,
        )
    assert tool_output_outcome(ToolMessage(content="fine", tool_call_id="c1")) == (Status.OK, None)
    assert tool_output_outcome("text") == (Status.OK, None)


def test_jsonable_handles_messages_models_and_oddities() -> None:
    """Bodies are always JSON-ready: messages, pydantic models, sets, bytes and objects."""
    value = {
        "m": HumanMessage(content="hi", name="bob"),
        "s": {1},
        "b": b"xyz",
        "o": object(),
        1: (Status.OK,),
    }
    out = jsonable(value)
    assert out["m"] == {"role": "user", "content": "hi", "name": "bob"}
    assert out["s"] == [1]
    assert out["b"] == "<3 bytes>"
    assert out["o"].startswith("<object object")
    assert out["1"] == ["ok"]
    tool = message_payload(ToolMessage(content="x", tool_call_id="c9", status="error"))
    assert tool == {"role": "tool", "content": "x", "tool_call_id": "c9", "status": "error"}
