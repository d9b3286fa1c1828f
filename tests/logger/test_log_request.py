"""ManualLogger.log_request: kinds, names, headers, session paths, usage, cost, failures."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

import agenttrace
from agenttrace import ManualLogger
from agenttrace._internal.context import (
    SessionContext,
    register_context_provider,
    unregister_context_provider,
)
from agenttrace._internal.recorder import ResultRecorder
from agenttrace.core.pricing import compute_cost
from agenttrace.exceptions import UserError
from agenttrace.records import RecordKind, Status, Usage
from agenttrace.testing import InMemoryExporter

OPENAI_RESPONSE = {
    "id": "chatcmpl-1",
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Lisbon"}}],
    "usage": {
        "prompt_tokens": 1200,
        "completion_tokens": 80,
        "total_tokens": 1280,
        "prompt_tokens_details": {"cached_tokens": 1024},
    },
}


def search(recorder: ResultRecorder) -> list[str]:
    """A tool operation: records its hits and returns them."""
    hits = ["doc-1", "doc-2"]
    recorder.append_results({"hits": hits})
    return hits


# -- the operation, its value and its bodies ---------------------------------------------


def test_returns_what_the_operation_returns(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """The operation's return value comes back; one record holds request and results."""
    request = {"_type": "tool", "toolName": "search", "input": {"query": "cats"}}
    assert logger.log_request(request, search) == ["doc-1", "doc-2"]
    (record,) = exporter.records
    assert record.kind is RecordKind.TOOL
    assert record.name == "search"
    assert record.request == request
    assert record.response == {"hits": ["doc-1", "doc-2"]}
    assert record.status is Status.OK
    assert record.error is None


def test_operation_receives_a_recorder_holding_the_request(logger: ManualLogger) -> None:
    """The recorder carries the request (Helicone operations read recorder.request)."""
    seen: list[Any] = []
    logger.log_request({"_type": "tool", "toolName": "t", "q": 1}, lambda r: seen.append(r.request))
    assert seen == [{"_type": "tool", "toolName": "t", "q": 1}]


def test_request_is_copied_when_the_call_ends(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """Reusing the request dict for the next call does not rewrite the logged one."""
    request: dict[str, Any] = {"_type": "tool", "toolName": "search", "query": "first"}
    logger.log_request(request, search)
    request["query"] = "second"
    logger.log_request(request, search)
    assert [r.request["query"] for r in exporter.records] == ["first", "second"]


def test_no_results_means_no_response_body(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """An operation that appends nothing has no response body."""
    logger.log_request({"_type": "tool", "toolName": "noop"}, lambda r: None)
    (record,) = exporter.records
    assert record.response is None


def test_times_are_wall_clock_start_and_monotonic_duration(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """start_time is the wall clock at the start; end_time adds the operation's duration."""
    before = datetime.now(UTC)
    spins: list[float] = []

    def work(recorder: ResultRecorder) -> None:
        start = time.perf_counter()
        while time.perf_counter() - start < 0.002:  # busy work of a known least length
            spins.append(0.0)

    logger.log_request({"_type": "tool", "toolName": "work"}, work)
    after = datetime.now(UTC)
    (record,) = exporter.records
    assert before <= record.start_time <= after
    assert record.end_time is not None
    assert record.start_time <= record.end_time <= after
    assert record.latency_ms is not None
    assert record.latency_ms >= 2.0


# -- kinds and names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_body", "provider", "kind", "name"),
    [
        ({"_type": "tool", "toolName": "search"}, None, RecordKind.TOOL, "search"),
        (
            {"_type": "vector_db", "operation": "search", "databaseName": "pinecone"},
            None,
            RecordKind.VECTOR_DB,
            "pinecone",
        ),
        ({"_type": "vector_db", "operation": "insert"}, None, RecordKind.VECTOR_DB, "insert"),
        ({"_type": "data", "name": "user_query"}, None, RecordKind.DATA, "user_query"),
        ({"_type": "llm", "model": "my-model"}, None, RecordKind.LLM, "my-model"),
        ({"model": "gpt-4o-mini", "messages": []}, "openai", RecordKind.LLM, "gpt-4o-mini"),
        (
            {"model": "claude-3-5-haiku", "messages": []},
            "anthropic",
            RecordKind.LLM,
            "claude-3-5-haiku",
        ),
        ({"messages": []}, "openai", RecordKind.LLM, "llm"),
        (
            {"model": "text-embedding-3-small", "input": "x"},
            None,
            RecordKind.CUSTOM,
            "text-embedding-3-small",
        ),
        ({"_type": "something-else", "toolName": "x"}, None, RecordKind.CUSTOM, "x"),
        ({}, None, RecordKind.CUSTOM, "custom"),
    ],
)
def test_kind_and_name_from_the_request(
    logger: ManualLogger,
    exporter: InMemoryExporter,
    *,
    request_body: dict[str, Any],
    provider: str | None,
    kind: RecordKind,
    name: str,
) -> None:
    """_type sets the kind; model+provider means llm; toolName, name, ... name the record."""
    logger.log_request(request_body, lambda r: None, provider=provider)
    (record,) = exporter.records
    assert record.kind is kind
    assert record.name == name
    assert record.provider == provider


# -- headers -----------------------------------------------------------------------------


def test_every_helicone_header_is_honoured(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """Session id, path, name, user, properties and request id land in the record."""
    request_id = str(uuid.uuid4())
    logger.log_request(
        {"_type": "tool", "toolName": "search"},
        search,
        {
            "Helicone-Session-Id": "session-42",
            "Helicone-Session-Path": "/research/search",
            "Helicone-Session-Name": "Research",
            "Helicone-User-Id": "alice",
            "Helicone-Property-Environment": "staging",
            "Helicone-Property-Team": "search",
            "Helicone-Request-Id": request_id,
            "Content-Type": "application/json",
        },
    )
    (record,) = exporter.records
    assert record.id == request_id
    assert record.session_id == "session-42"
    assert record.session_path == "/research/search"
    assert record.session_name == "Research"
    assert record.user_id == "alice"
    assert record.properties == {"Environment": "staging", "Team": "search"}


def test_header_names_are_case_insensitive(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """helicone-session-id works as well as Helicone-Session-Id."""
    logger.log_request(
        {"_type": "tool", "toolName": "t"},
        lambda r: None,
        {"helicone-session-id": "lower", "HELICONE-SESSION-PATH": "/upper"},
    )
    (record,) = exporter.records
    assert (record.session_id, record.session_path) == ("lower", "/upper")


def test_call_headers_win_over_logger_headers(exporter: InMemoryExporter) -> None:
    """Constructor headers apply to every call; a call's additional headers override them."""
    logger = ManualLogger(
        headers={
            "Helicone-Session-Id": "from-logger",
            "Helicone-User-Id": "bob",
            "Helicone-Property-Env": "prod",
            "Helicone-Property-App": "agent",
        }
    )
    logger.log_request({"_type": "tool", "toolName": "a"}, lambda r: None)
    logger.log_request(
        {"_type": "tool", "toolName": "b"},
        lambda r: None,
        {"Helicone-Session-Id": "from-call", "Helicone-Property-Env": "dev"},
    )
    first, second = exporter.records
    assert (first.session_id, first.user_id, first.properties) == (
        "from-logger",
        "bob",
        {"Env": "prod", "App": "agent"},
    )
    assert (second.session_id, second.user_id, second.properties) == (
        "from-call",
        "bob",
        {"Env": "dev", "App": "agent"},
    )


def test_logger_headers_can_be_replaced(exporter: InMemoryExporter) -> None:
    """Assigning logger.headers (as Helicone code may) changes the following calls."""
    logger = ManualLogger(headers={"Helicone-Session-Id": "old"})
    logger.headers = {"Helicone-Session-Id": "new"}
    logger.log_request({"_type": "tool", "toolName": "a"}, lambda r: None)
    assert exporter.records[0].session_id == "new"
    assert logger.headers == {"Helicone-Session-Id": "new"}


@pytest.mark.parametrize(
    ("headers", "has_request", "has_response"),
    [
        ({"Helicone-Omit-Request": "true"}, False, True),
        ({"Helicone-Omit-Response": "true"}, True, False),
        ({"Helicone-Omit-Request": "true", "Helicone-Omit-Response": "1"}, False, False),
        ({"Helicone-Omit-Request": "false"}, True, True),
    ],
)
def test_omit_headers_drop_bodies_before_emit(
    logger: ManualLogger,
    exporter: InMemoryExporter,
    headers: dict[str, str],
    has_request: bool,
    has_response: bool,
) -> None:
    """Helicone-Omit-Request / -Response keep the bodies out of the record, per call."""
    logger.log_request({"_type": "tool", "toolName": "search", "secret": "x"}, search, headers)
    (record,) = exporter.records
    assert (record.request is not None) is has_request
    assert (record.response is not None) is has_response


def test_redaction_hook_applies_to_logged_bodies(logger: ManualLogger) -> None:
    """The tracer's redact hook sees every body the logger emits."""
    exporter = InMemoryExporter()
    agenttrace.configure(exporter=exporter, redact=lambda body: "[redacted]")
    logger.log_request({"_type": "tool", "toolName": "search", "card": "4111"}, search)
    (record,) = exporter.records
    assert (record.request, record.response) == ("[redacted]", "[redacted]")


def test_send_bodies_false_drops_bodies(logger: ManualLogger) -> None:
    """configure(send_bodies=False) keeps bodies out of logged records too."""
    exporter = InMemoryExporter()
    agenttrace.configure(exporter=exporter, send_bodies=False)
    logger.log_request({"_type": "tool", "toolName": "search"}, search)
    (record,) = exporter.records
    assert (record.request, record.response) == (None, None)


# -- sessions and paths ------------------------------------------------------------------


def test_outside_any_session_each_call_opens_its_own(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """Without headers or an open session, every call gets a new session id, at /<name>."""
    logger.log_request({"_type": "tool", "toolName": "search"}, search)
    logger.log_request({"_type": "tool", "toolName": "search"}, search)
    first, second = exporter.records
    assert first.session_id != second.session_id
    assert first.session_path == second.session_path == "/search"
    assert first.parent_id is None


def test_inside_a_session_the_path_gains_the_call_name(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """In agenttrace.session(path='/research'), a tool call is at /research/<toolName>."""
    with agenttrace.session(
        id="s-1", name="Research", path="/research", user_id="u", properties={"k": "v"}
    ):
        logger.log_request({"_type": "tool", "toolName": "search"}, search)
    (record,) = exporter.records
    assert record.session_id == "s-1"
    assert record.session_name == "Research"
    assert record.session_path == "/research/search"
    assert record.user_id == "u"
    assert record.properties == {"k": "v"}


def test_llm_calls_add_no_path_segment(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """An llm call belongs to the node it runs in, as in the LangChain handler."""
    with agenttrace.session(path="/agent"):
        logger.log_request(
            {"model": "gpt-4o-mini", "messages": []}, lambda r: None, provider="openai"
        )
    (record,) = exporter.records
    assert record.session_path == "/agent"


def test_explicit_session_path_is_absolute(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """Helicone-Session-Path is used as given, not appended to the open session's path."""
    with agenttrace.session(id="s-1", path="/research"):
        logger.log_request(
            {"_type": "tool", "toolName": "search"},
            search,
            {"Helicone-Session-Path": "/other/place"},
        )
    (record,) = exporter.records
    assert (record.session_id, record.session_path) == ("s-1", "/other/place")


def test_header_session_other_than_the_open_one_starts_at_root(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """A header naming another session does not inherit the open session's path or name."""
    with agenttrace.session(id="open", name="Open", path="/deep/inside", user_id="u"):
        logger.log_request(
            {"_type": "tool", "toolName": "search"}, search, {"Helicone-Session-Id": "other"}
        )
    (record,) = exporter.records
    assert record.session_id == "other"
    assert record.session_path == "/search"
    assert record.session_name is None
    assert record.parent_id is None
    assert record.user_id == "u"  # user and properties carry over, as in context_from_headers


def test_header_naming_the_open_session_keeps_its_path(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """A header repeating the open session's id is the same session: its path applies."""
    with agenttrace.session(id="open", path="/research"):
        logger.log_request(
            {"_type": "tool", "toolName": "search"}, search, {"Helicone-Session-Id": "open"}
        )
    assert exporter.records[0].session_path == "/research/search"


def test_nested_calls_sit_under_the_enclosing_call(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """A call logged inside another one's operation is its child: deeper path, parent_id."""

    def research(recorder: ResultRecorder) -> str:
        logger.log_request({"_type": "tool", "toolName": "search"}, search)
        logger.log_request(
            {"model": "gpt-4o-mini", "messages": []}, lambda r: None, provider="openai"
        )
        return "done"

    with agenttrace.session(id="s-1", path="/agent"):
        logger.log_request({"_type": "tool", "toolName": "research"}, research)
        after = agenttrace.current_session()
    inner_search, inner_llm, outer = exporter.records
    assert outer.session_path == "/agent/research"
    assert outer.parent_id is None
    assert inner_search.session_path == "/agent/research/search"
    assert inner_llm.session_path == "/agent/research"
    assert inner_search.parent_id == inner_llm.parent_id == outer.id
    assert {r.session_id for r in exporter.records} == {"s-1"}
    assert after is not None
    assert after.path == "/agent"


def test_nested_calls_outside_a_session_share_the_outer_call_session(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """The new session an outer call opens is the one its nested calls join."""
    logger.log_request(
        {"_type": "tool", "toolName": "outer"},
        lambda r: logger.log_request({"_type": "tool", "toolName": "inner"}, search),
    )
    inner, outer = exporter.records
    assert inner.session_id == outer.session_id
    assert (outer.session_path, inner.session_path) == ("/outer", "/outer/inner")
    assert agenttrace.current_session() is None


def test_integration_context_is_inherited(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """Inside an integration's run (a LangGraph tool), a call joins that run's session and path."""
    run = SessionContext(id="thread-7", name="Agent", path="/tools/search", parent_id="run-1")

    def provider() -> SessionContext | None:
        return run

    register_context_provider(provider)
    try:
        logger.log_request({"_type": "tool", "toolName": "fetch_page"}, search)
    finally:
        unregister_context_provider(provider)
    (record,) = exporter.records
    assert record.session_id == "thread-7"
    assert record.session_name == "Agent"
    assert record.session_path == "/tools/search/fetch_page"
    assert record.parent_id == "run-1"


def test_slashes_in_a_name_stay_in_one_segment(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """A tool named 'web/search' adds one segment, not two."""
    with agenttrace.session(path="/agent"):
        logger.log_request({"_type": "tool", "toolName": "web/search"}, search)
    assert exporter.records[0].session_path == "/agent/web_search"


# -- usage, model and cost ---------------------------------------------------------------


def test_usage_model_and_cost_from_an_openai_response(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """The appended response gives usage, the served model, and the cost genai-prices gives."""
    logger.log_request(
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Capital of Portugal?"}]},
        lambda r: r.append_results(OPENAI_RESPONSE),
        provider="openai",
    )
    (record,) = exporter.records
    assert record.model == "gpt-4o-mini-2024-07-18"
    assert record.usage == Usage(
        input_tokens=1200, output_tokens=80, total_tokens=1280, cache_read_tokens=1024
    )
    expected = compute_cost("gpt-4o-mini-2024-07-18", "openai", record.usage, at=record.start_time)
    assert expected is not None
    assert expected > 0
    assert record.cost_usd == pytest.approx(expected)


def test_request_model_is_used_when_the_response_names_none(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """Without a model in the results, the request's model prices the call."""
    logger.log_request(
        {"model": "gpt-4o", "messages": []},
        lambda r: r.append_results({"usage": {"prompt_tokens": 10, "completion_tokens": 5}}),
        provider="openai",
    )
    (record,) = exporter.records
    assert record.model == "gpt-4o"
    assert record.cost_usd == pytest.approx(
        compute_cost(
            "gpt-4o", "openai", Usage(input_tokens=10, output_tokens=5), at=record.start_time
        )
    )


def test_unknown_model_has_no_cost(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """A model genai-prices does not know is logged with usage and cost None (not 0)."""
    logger.log_request(
        {"model": "my-finetune-v3", "messages": []},
        lambda r: r.append_results({"usage": {"prompt_tokens": 10, "completion_tokens": 5}}),
        provider="custom",
    )
    (record,) = exporter.records
    assert record.usage is not None
    assert record.cost_usd is None


def test_explicit_cost_wins(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """results['cost_usd'] or recorder.set_cost() replace the computed cost."""
    response = {**OPENAI_RESPONSE, "cost_usd": 0.5}
    logger.log_request(
        {"model": "gpt-4o-mini"}, lambda r: r.append_results(response), provider="openai"
    )

    def priced(recorder: ResultRecorder) -> None:
        recorder.append_results(OPENAI_RESPONSE)
        recorder.set_cost(0.125)

    logger.log_request({"model": "gpt-4o-mini"}, priced, provider="openai")
    assert [r.cost_usd for r in exporter.records] == [0.5, 0.125]


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "0.1", True])
def test_set_cost_rejects_what_is_not_a_cost(bad: object) -> None:
    """set_cost says what a cost must be when given something else."""
    with pytest.raises(UserError, match="non-negative number of US dollars"):
        ResultRecorder({}).set_cost(bad)  # type: ignore[arg-type]


# -- failures ----------------------------------------------------------------------------


class SearchTimeoutError(Exception):
    """A user's own exception type."""


def test_failed_operation_is_logged_then_reraised_unchanged(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """status error with the exception's type and message; the same exception object propagates."""
    raised = SearchTimeoutError("search backend timed out")

    def failing(recorder: ResultRecorder) -> None:
        recorder.append_results({"partial": True})
        raise raised

    with pytest.raises(SearchTimeoutError) as caught:
        logger.log_request({"_type": "tool", "toolName": "search"}, failing)
    assert caught.value is raised
    (record,) = exporter.records
    assert record.status is Status.ERROR
    assert record.error is not None
    assert record.error.type == f"{__name__}.SearchTimeoutError"
    assert record.error.message == "search backend timed out"
    assert record.response == {"partial": True}
    assert record.end_time is not None


def test_builtin_exception_type_is_its_bare_name(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """Built-in exceptions are named without their module (ValueError)."""
    with pytest.raises(ZeroDivisionError):
        logger.log_request({"_type": "tool", "toolName": "calc"}, lambda r: 1 / 0)
    error = exporter.records[0].error
    assert error is not None
    assert (error.type, error.message) == ("ZeroDivisionError", "division by zero")


def test_keyboard_interrupt_is_cancelled(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """An operation stopped by KeyboardInterrupt is recorded cancelled; the interrupt goes on."""

    def interrupted(recorder: ResultRecorder) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        logger.log_request({"_type": "tool", "toolName": "long"}, interrupted)
    assert exporter.records[0].status is Status.CANCELLED


def test_langgraph_interrupt_is_not_an_error(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """GraphInterrupt through a logged tool is 'interrupted'; ParentCommand is 'handoff'."""
    from langgraph.errors import GraphInterrupt, ParentCommand
    from langgraph.types import Command

    def ask_human(recorder: ResultRecorder) -> None:
        raise GraphInterrupt(())

    def hand_off(recorder: ResultRecorder) -> None:
        raise ParentCommand(Command(graph=Command.PARENT, goto="other_agent"))

    with pytest.raises(GraphInterrupt):
        logger.log_request({"_type": "tool", "toolName": "ask"}, ask_human)
    with pytest.raises(ParentCommand):
        logger.log_request({"_type": "tool", "toolName": "handoff"}, hand_off)
    assert [r.status for r in exporter.records] == [Status.INTERRUPTED, Status.HANDOFF]


def test_interrupts_read_alike_on_old_and_new_langgraph(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """An interrupt is 'interrupted' with the values it asked for as its message, also for
    langgraph 0.2's GraphInterrupt (no GraphBubbleUp base), as the handler records it."""
    from langgraph.errors import GraphInterrupt
    from langgraph.types import Interrupt

    old_style = type("GraphInterrupt", (Exception,), {"__module__": "langgraph.errors"})

    def ask(error: BaseException) -> Any:
        def operation(recorder: ResultRecorder) -> None:
            raise error

        return operation

    for error in (GraphInterrupt((Interrupt(value="approve?"),)), old_style(())):
        with pytest.raises(type(error)):
            logger.log_request({"_type": "tool", "toolName": "ask"}, ask(error))
    new, old = exporter.records
    assert (new.status, old.status) == (Status.INTERRUPTED, Status.INTERRUPTED)
    assert new.error is not None
    assert new.error.message == "approve?"


def test_session_scope_is_restored_after_a_failure(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """A failing operation leaves the caller's session as it was."""
    with agenttrace.session(path="/agent") as scope:
        with pytest.raises(ZeroDivisionError):
            logger.log_request({"_type": "tool", "toolName": "calc"}, lambda r: 1 / 0)
        assert agenttrace.current_session() == scope


# -- bad input and tracing failures ------------------------------------------------------


@pytest.mark.parametrize(
    ("request_body", "operation", "headers", "message"),
    [
        ("search cats", lambda r: None, None, "request must be a dict"),
        ({"_type": "tool"}, "not callable", None, "operation must be a function"),
        (
            {"_type": "tool"},
            lambda r: None,
            [("Helicone-Session-Id", "x")],
            "additional_headers must be a dict",
        ),
    ],
)
def test_bad_arguments_get_a_clear_error(
    logger: ManualLogger, request_body: Any, operation: Any, headers: Any, message: str
) -> None:
    """Misuse is refused before the operation runs, with a sentence saying what to pass."""
    with pytest.raises(UserError, match=message):
        logger.log_request(request_body, operation, headers)


def test_none_request_is_an_empty_request(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """request=None is taken as {} (a custom call)."""
    assert logger.log_request(None, lambda r: 7) == 7  # type: ignore[arg-type]
    assert exporter.records[0].kind is RecordKind.CUSTOM


def test_bad_logger_headers_get_a_clear_error() -> None:
    """headers must be a dict."""
    with pytest.raises(UserError, match="headers must be a dict"):
        ManualLogger(headers=["Helicone-Session-Id"])  # type: ignore[arg-type]


def test_tracing_failure_never_breaks_the_operation(
    logger: ManualLogger,
    exporter: InMemoryExporter,
    log_mode: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """If working out the session fails, the operation still runs and its value comes back."""

    def broken_provider() -> SessionContext | None:
        raise RuntimeError("integration state lost")

    register_context_provider(broken_provider)
    try:
        assert logger.log_request({"_type": "tool", "toolName": "search"}, search) == [
            "doc-1",
            "doc-2",
        ]
        with pytest.raises(ZeroDivisionError):
            logger.log_request({"_type": "tool", "toolName": "calc"}, lambda r: 1 / 0)
    finally:
        unregister_context_provider(broken_provider)
    assert exporter.records == []
    assert "integration state lost" in caplog.text


def test_invalid_record_is_reported_not_raised(
    logger: ManualLogger,
    exporter: InMemoryExporter,
    log_mode: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A record the contract refuses (a 300-character session id) is logged as a warning."""
    result = logger.log_request(
        {"_type": "tool", "toolName": "search"}, search, {"Helicone-Session-Id": "x" * 300}
    )
    assert result == ["doc-1", "doc-2"]
    assert exporter.records == []
    assert "ManualLogger.log_request" in caplog.text


def test_internal_failures_surface_under_tests(logger: ManualLogger) -> None:
    """Under pytest the same refusal is raised, so that bugs are seen."""
    with pytest.raises(ValueError, match="session_id"):
        logger.log_request(
            {"_type": "tool", "toolName": "s"}, search, {"Helicone-Session-Id": "x" * 300}
        )


def test_coroutine_operation_in_sync_call_is_warned_about(
    logger: ManualLogger, exporter: InMemoryExporter, caplog: pytest.LogCaptureFixture
) -> None:
    """An async operation passed to log_request gets a warning pointing at alog_request."""

    async def fetch(recorder: ResultRecorder) -> int:
        return 1

    coroutine = logger.log_request({"_type": "tool", "toolName": "fetch"}, fetch)
    coroutine.close()
    assert "alog_request" in caplog.text
