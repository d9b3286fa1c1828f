"""`CallbackHandler`: the synchronous LangChain / LangGraph callback handler.

Pass it in the run config (``graph.invoke(x, config={"callbacks": [handler]})``); it works
for ``invoke``, ``stream``, ``ainvoke``, ``astream`` and ``astream_events`` alike (it runs
inline, never blocks and never awaits). One instance serves any number of sequential or
concurrent runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from agenttrace_langchain.base import HandlerBase
from agenttrace_langchain.lifecycle import GraphBase

__all__ = ["CallbackHandler"]


class CallbackHandler(HandlerBase, GraphBase):
    """Traces LangChain / LangGraph runs into agenttrace sessions with automatic paths.

    ``CallbackHandler(session_id=None, *, session_name=None, properties=None,
    user_id=None, path_prefix=None, include_root_name=False)``; see `HandlerBase` for what
    each does. Thread-safe: callbacks may arrive from ToolNode worker threads and from many asyncio
    tasks at once.
    """

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Track a chain: graph nodes become path segments."""
        self._chain_start(
            serialized,
            run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            kwargs=kwargs,
            inputs=inputs,
        )

    def on_interrupt(self, event: Any) -> None:
        """LangGraph paused (langgraph 1.x): questions no node reported (breakpoints)."""
        self._graph_interrupt(event)

    def on_resume(self, event: Any) -> None:
        """LangGraph resumed from a checkpoint (langgraph 1.x): its breakpoint is answered."""
        self._graph_resume(event)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a finished chain (resumed or retried nodes get a record)."""
        self._chain_end(run_id)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a node failure, interrupt or handoff that nothing below it recorded."""
        self._chain_error(run_id, error)

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start an LLM record for a chat model call."""
        self._llm_start(
            serialized,
            messages,
            run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            kwargs=kwargs,
        )

    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start an LLM record for a text-completion model call."""
        self._llm_start(
            serialized,
            prompts,
            run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            kwargs=kwargs,
        )

    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Note the time to the first token (later tokens are ignored)."""
        self._llm_new_token(run_id)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the LLM record: usage, served model, cost."""
        self._llm_end(run_id, response)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the LLM record of a failed call."""
        self._llm_error(run_id, error)

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a tool record; the tool name becomes a path segment."""
        tool_input = inputs if inputs is not None else input_str
        self._tool_start(
            serialized,
            tool_input,
            run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            kwargs=kwargs,
        )

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the tool record."""
        self._tool_end(run_id, output)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the record of a failed (or interrupted) tool."""
        self._tool_error(run_id, error)

    def on_retriever_start(
        self,
        serialized: dict[str, Any],
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a vector_db record."""
        self._retriever_start(
            serialized,
            query,
            run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            kwargs=kwargs,
        )

    def on_retriever_end(self, documents: Sequence[Any], *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the vector_db record with the documents found."""
        self._retriever_end(run_id, documents)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the record of a failed retriever call."""
        self._retriever_error(run_id, error)
