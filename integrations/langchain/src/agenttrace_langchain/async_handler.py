"""`AsyncCallbackHandler`: the same handler with ``async`` callback methods.

For code that wants an ``AsyncCallbackHandler`` (some frameworks require one). The methods
never await anything: records are queued for the background shipper. In synchronous runs
LangChain has to start an event loop for every callback of an async handler, so prefer
`CallbackHandler` there (it is just as safe under asyncio).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from langchain_core.callbacks import AsyncCallbackHandler as LangChainAsyncHandler

from agenttrace_langchain.base import HandlerBase
from agenttrace_langchain.lifecycle import GraphBase

__all__ = ["AsyncCallbackHandler"]


class AsyncCallbackHandler(HandlerBase, LangChainAsyncHandler, GraphBase):
    """Async twin of `CallbackHandler`: same arguments, same records, same paths.

    ``AsyncCallbackHandler(session_id=None, *, session_name=None,
    properties=None, user_id=None, path_prefix=None, include_root_name=False)``. Each
    callback is a coroutine that runs the synchronous one of `CallbackHandler` (it awaits
    nothing).
    """

    async def on_chain_start(
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
        self._on_chain_start(
            serialized,
            inputs,
            run_id=run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            **kwargs,
        )

    async def on_interrupt(self, event: Any) -> None:
        """LangGraph paused (langgraph 1.x): questions no node reported (breakpoints)."""
        self._on_interrupt(event)

    async def on_resume(self, event: Any) -> None:
        """LangGraph resumed from a checkpoint (langgraph 1.x): its breakpoint is answered."""
        self._on_resume(event)

    async def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a finished chain (resumed or retried nodes get a record)."""
        self._on_chain_end(outputs, run_id=run_id, **kwargs)

    async def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a node failure, interrupt or handoff that nothing below it recorded."""
        self._on_chain_error(error, run_id=run_id, **kwargs)

    async def on_chat_model_start(
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
        self._on_chat_model_start(
            serialized,
            messages,
            run_id=run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            **kwargs,
        )

    async def on_llm_start(
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
        self._on_llm_start(
            serialized,
            prompts,
            run_id=run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            **kwargs,
        )

    async def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Note the time to the first token (later tokens are ignored)."""
        self._on_llm_new_token(token, run_id=run_id, **kwargs)

    async def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the LLM record: usage, served model, cost."""
        self._on_llm_end(response, run_id=run_id, **kwargs)

    async def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the LLM record of a failed call."""
        self._on_llm_error(error, run_id=run_id, **kwargs)

    async def on_tool_start(
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
        self._on_tool_start(
            serialized,
            input_str,
            run_id=run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            inputs=inputs,
            **kwargs,
        )

    async def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the tool record."""
        self._on_tool_end(output, run_id=run_id, **kwargs)

    async def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the record of a failed (or interrupted) tool."""
        self._on_tool_error(error, run_id=run_id, **kwargs)

    async def on_retriever_start(
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
        self._on_retriever_start(
            serialized,
            query,
            run_id=run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            **kwargs,
        )

    async def on_retriever_end(
        self, documents: Sequence[Any], *, run_id: UUID, **kwargs: Any
    ) -> None:
        """Emit the vector_db record with the documents found."""
        self._on_retriever_end(documents, run_id=run_id, **kwargs)

    async def on_retriever_error(
        self, error: BaseException, *, run_id: UUID, **kwargs: Any
    ) -> None:
        """Emit the record of a failed retriever call."""
        self._on_retriever_error(error, run_id=run_id, **kwargs)
