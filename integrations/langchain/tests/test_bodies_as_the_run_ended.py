"""Bodies that hold the user's objects (a tool's result and input, retrieved documents, a
failed model call's messages) are what the run ended with, though the record is built
later on the shipper's worker and the user's code changes those objects meanwhile.

Each test builds the same run's record at once (`InMemoryExporter`) and later
(`PendingExporter`, as the shipper's worker does), and expects both to be what the run
ended with."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import tool

import agenttrace
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain import CallbackHandler

from .test_pending_records import PendingExporter, built_at_once_and_later


def test_tool_output_changed_after_the_tool_ended() -> None:
    """A tool that returns a list it keeps (a log, a cache): the first call's record does
    not show what the second call appended."""

    def run() -> None:
        seen: list[str] = []

        @tool
        def remember(item: str) -> list[str]:
            """Remember an item; return everything remembered."""
            seen.append(item)
            return seen

        handler = CallbackHandler(session_id="s-bodies")
        remember.invoke({"item": "a"}, config={"callbacks": [handler]})
        remember.invoke({"item": "b"}, config={"callbacks": [handler]})

    now, later = built_at_once_and_later(run)
    assert [r.response for r in now] == [{"output": ["a"]}, {"output": ["a", "b"]}]
    assert [r.response for r in later] == [r.response for r in now]


def test_tool_input_changed_after_the_tool_ended() -> None:
    """The caller reuses its args dict for the next call."""

    def run() -> None:
        @tool
        def lookup(key: str) -> str:
            """Look a key up."""
            return key.upper()

        handler = CallbackHandler(session_id="s-bodies")
        args = {"key": "first"}
        lookup.invoke(args, config={"callbacks": [handler]})
        args["key"] = "second"

    now, later = built_at_once_and_later(run)
    assert now[0].request == {"input": {"key": "first"}}
    assert later[0].request == now[0].request


class _Docs(BaseRetriever):
    docs: list[Document]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.docs


def test_retriever_documents_changed_after_the_retriever_ended() -> None:
    """A reranker step that writes its score into the documents' metadata."""

    def run() -> None:
        retriever = _Docs(docs=[Document(page_content="p", metadata={"source": "x"})])
        found = retriever.invoke(
            "q", config={"callbacks": [CallbackHandler(session_id="s-bodies")]}
        )
        for doc in found:
            doc.metadata["rerank_score"] = 0.9

    now, later = built_at_once_and_later(run)
    assert now[0].response == {"documents": [{"page_content": "p", "metadata": {"source": "x"}}]}
    assert later[0].response == now[0].response


@pytest.mark.parametrize("later", [False, True])
def test_failed_tool_input_changed_after_the_failure(later: bool) -> None:
    """A caller that retries with changed args: the failed call's record keeps the old ones."""

    @tool
    def flaky(n: int) -> int:
        """Fail on odd numbers."""
        if n % 2:
            raise ValueError(n)
        return n

    exporter: Any = PendingExporter() if later else InMemoryExporter()
    agenttrace.configure(exporter=exporter, send_bodies=True)
    args = {"n": 1}
    with pytest.raises(ValueError, match="1"):
        flaky.invoke(args, config={"callbacks": [CallbackHandler(session_id="s-bodies")]})
    args["n"] = 2
    records = exporter.built() if later else exporter.records
    assert records[0].request == {"input": {"n": 1}}


@pytest.mark.parametrize("later", [False, True])
def test_failed_model_call_messages_changed_after_the_failure(later: bool) -> None:
    """A caller that edits its message before retrying: the failed call's record keeps
    the message it failed with."""
    from langchain_core.messages import HumanMessage

    from agenttrace_langchain.testing import FakeChatModel

    model = FakeChatModel(responses=[RuntimeError("boom")])
    exporter: Any = PendingExporter() if later else InMemoryExporter()
    agenttrace.configure(exporter=exporter, send_bodies=True)
    messages = [HumanMessage(content="first")]
    with pytest.raises(RuntimeError):
        model.invoke(messages, config={"callbacks": [CallbackHandler(session_id="s-bodies")]})
    messages[0].content = "second"
    records = exporter.built() if later else exporter.records
    assert "first" in str(records[0].request)
    assert "second" not in str(records[0].request)


def test_a_usage_failure_is_not_reported_as_a_body_failure(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With bodies on, a failure reading the usage drops the record with one report, not
    first a misleading "reading the bodies" one."""
    import logging

    from agenttrace_langchain import emit
    from agenttrace_langchain.testing import FakeChatModel

    monkeypatch.setenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", "0")

    def broken(*args: Any) -> Any:
        msg = "usage shape"
        raise KeyError(msg)

    monkeypatch.setattr(emit, "usage_from_llm_end", broken)
    exporter = InMemoryExporter()
    agenttrace.configure(exporter=exporter, send_bodies=True)
    with caplog.at_level(logging.WARNING):
        FakeChatModel(responses=["hi"]).invoke(
            "x", config={"callbacks": [CallbackHandler(session_id="s-bodies")]}
        )
    assert exporter.records == []
    assert not any("reading the bodies" in r.getMessage() for r in caplog.records)
