"""What the sync and async handlers share: arguments, the `TraceCore`, the callbacks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from agenttrace.instrumentation import raise_internal_errors, report_internal_error
from agenttrace_langchain.context_provider import CORE_ATTRIBUTE, ensure_registered
from agenttrace_langchain.core import TraceCore
from agenttrace_langchain.names import chain_name, model_name, retriever_name, tool_name
from agenttrace_langchain.session import HandlerSettings

__all__ = ["HandlerBase", "chain_name", "model_name", "retriever_name", "tool_name"]


class HandlerBase:
    """Arguments and state common to `CallbackHandler` and `AsyncCallbackHandler`.

    * ``session_id`` / ``session_name`` / ``user_id`` / ``properties``: fixed session details
      for every run; they win over run metadata, an enclosing ``agenttrace.session(...)``
      and LangGraph's ``thread_id``.
    * ``path_prefix``: put in front of every path (``/batch`` gives ``/batch/agent``).
    * ``include_root_name``: start every path with the root run's name (the graph's name).
    """

    run_inline = True
    """Called inline on the event loop (the handler never blocks), in callback order."""

    def __init__(
        self,
        session_id: str | None = None,
        *,
        session_name: str | None = None,
        properties: Mapping[str, str] | None = None,
        user_id: str | None = None,
        path_prefix: str | None = None,
        include_root_name: bool = False,
    ) -> None:
        settings = HandlerSettings.checked(
            session_id=session_id,
            session_name=session_name,
            properties=properties,
            user_id=user_id,
            path_prefix=path_prefix,
            include_root_name=include_root_name,
        )
        core = TraceCore(settings)
        setattr(self, CORE_ATTRIBUTE, core)
        self._core = core
        self.raise_error = raise_internal_errors()
        ensure_registered()

    @property
    def live_runs(self) -> int:
        """Runs being tracked now; 0 once every root run has ended."""
        return self._core.live_runs()

    # What LangChain asks before every callback, as plain attributes (read faster than the
    # properties of LangChain's base handler): every run is traced; retry events are not
    # (retried runs are), nor are custom events.
    ignore_llm = False
    ignore_chain = False
    ignore_agent = False  # tool callbacks are gated by it
    ignore_retriever = False
    ignore_chat_model = False
    ignore_retry = True
    ignore_custom_event = True

    def __repr__(self) -> str:
        settings = self._core.settings
        return (
            f"{type(self).__name__}(session_id={settings.session_id!r}, "
            f"path_prefix={settings.path_prefix!r})"
        )

    # -- the callbacks, guarded: `CallbackHandler`'s methods are these very functions, and
    # `AsyncCallbackHandler` wraps each in a coroutine. Each calls the core directly: they
    # run on the user's thread for every run of the graph, so no layer stands between
    # LangChain and the core.

    def _on_chain_start(
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
        try:
            core = self._core
            core.chain_start(run_id, parent_run_id, metadata, tags, serialized, kwargs, inputs)
        except Exception as exc:  # noqa: BLE001 - tracing must not break the run
            report_internal_error("langchain.on_chain_start", exc)

    def _on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a finished chain (resumed or retried nodes get a record)."""
        try:
            self._core.chain_end(run_id)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_chain_end", exc)

    def _on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a node failure, interrupt or handoff that nothing below it recorded."""
        try:
            self._core.chain_error(run_id, error)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_chain_error", exc)

    def _on_chat_model_start(
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
        self._model_start(
            serialized,
            messages,
            run_id=run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            kwargs=kwargs,
        )

    def _on_llm_start(
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
        self._model_start(
            serialized,
            prompts,
            run_id=run_id,
            parent_run_id=parent_run_id,
            tags=tags,
            metadata=metadata,
            kwargs=kwargs,
        )

    def _model_start(
        self,
        serialized: dict[str, Any],
        payload: list[Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> None:
        """Start an LLM record for a model call, chat (``payload``: message lists) or text
        completion (``payload``: prompts)."""
        try:
            self._core.llm_start(
                run_id,
                parent_run_id=parent_run_id,
                metadata=metadata,
                tags=tags,
                name=model_name(serialized, kwargs),
                payload=payload,
                invocation_params=kwargs.get("invocation_params"),
            )
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_llm_start", exc)

    def _on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Note the time to the first token (later tokens are ignored)."""
        try:
            self._core.new_token(run_id)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_llm_new_token", exc)

    def _on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the LLM record: usage, served model, cost."""
        try:
            self._core.llm_end(run_id, response)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_llm_end", exc)

    def _on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the LLM record of a failed call."""
        try:
            self._core.llm_error(run_id, error)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_llm_error", exc)

    def _on_tool_start(
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
        try:
            self._core.tool_start(
                run_id,
                parent_run_id=parent_run_id,
                metadata=metadata,
                tags=tags,
                name=tool_name(serialized, kwargs),
                tool_input=inputs if inputs is not None else input_str,
            )
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_tool_start", exc)

    def _on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the tool record."""
        try:
            self._core.tool_end(run_id, output)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_tool_end", exc)

    def _on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the record of a failed (or interrupted) tool."""
        try:
            self._core.tool_error(run_id, error)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_tool_error", exc)

    def _on_retriever_start(
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
        try:
            self._core.retriever_start(
                run_id,
                parent_run_id=parent_run_id,
                metadata=metadata,
                tags=tags,
                name=retriever_name(serialized, kwargs),
                query=query,
            )
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_retriever_start", exc)

    def _on_retriever_end(self, documents: Sequence[Any], *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the vector_db record with the documents found."""
        try:
            self._core.retriever_end(run_id, documents)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_retriever_end", exc)

    def _on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Emit the record of a failed retriever call."""
        try:
            self._core.retriever_error(run_id, error)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_retriever_error", exc)

    # -- LangGraph's graph lifecycle (langgraph 1.x) ---------------------------------------

    def _on_interrupt(self, event: Any) -> None:
        """LangGraph paused (langgraph 1.x): questions no node reported (breakpoints)."""
        try:
            self._core.graph_interrupt(event)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langgraph.on_interrupt", exc)

    def _on_resume(self, event: Any) -> None:
        """LangGraph resumed from a checkpoint (langgraph 1.x): its breakpoint is answered."""
        try:
            self._core.graph_resume(event)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langgraph.on_resume", exc)
