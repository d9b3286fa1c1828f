"""What the sync and async handlers share: arguments, run names, the `TraceCore`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from agenttrace.instrumentation import raise_internal_errors, report_internal_error
from agenttrace_langchain.context_provider import CORE_ATTRIBUTE, ensure_registered
from agenttrace_langchain.core import TraceCore
from agenttrace_langchain.session import HandlerSettings

__all__ = ["HandlerBase", "chain_name", "model_name", "retriever_name", "tool_name"]


def _serialized_name(serialized: Mapping[str, Any] | None) -> str | None:
    if not serialized:
        return None
    name = serialized.get("name")
    if isinstance(name, str) and name:
        return name
    ids = serialized.get("id")
    if isinstance(ids, list) and ids and isinstance(ids[-1], str):
        return ids[-1]
    return None


def chain_name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> str | None:
    """A chain's run name (``name`` kwarg first; langchain-core 1.x passes no serialized)."""
    name = kwargs.get("name")
    return name if isinstance(name, str) and name else _serialized_name(serialized)


def model_name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> str:
    """A chat model's or LLM's run name, such as ``ChatOpenAI``."""
    return chain_name(serialized, kwargs) or "llm"


def tool_name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> str:
    """A tool's name: ``serialized["name"]`` (the ``name`` kwarg is None for tools)."""
    name = _serialized_name(serialized) or kwargs.get("name")
    return name if isinstance(name, str) and name else "tool"


def retriever_name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> str:
    """A retriever's run name."""
    return chain_name(serialized, kwargs) or "retriever"


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

    @property
    def ignore_retry(self) -> bool:
        """Retry events are not traced (retried runs are)."""
        return True

    @property
    def ignore_custom_event(self) -> bool:
        """Custom events are not traced."""
        return True

    def __repr__(self) -> str:
        settings = self._core.settings
        return (
            f"{type(self).__name__}(session_id={settings.session_id!r}, "
            f"path_prefix={settings.path_prefix!r})"
        )

    # -- guarded entry points, shared by the sync and async callback methods --------------

    def _chain_start(
        self,
        serialized: Mapping[str, Any] | None,
        run_id: UUID,
        *,
        parent_run_id: UUID | None,
        tags: Sequence[str] | None,
        metadata: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
        inputs: Any = None,
    ) -> None:
        try:
            core = self._core
            if core.pass_through(run_id, parent_run_id, metadata):
                return
            name = chain_name(serialized, kwargs)
            core.chain_start(
                run_id,
                parent_run_id=parent_run_id,
                metadata=metadata,
                tags=tags,
                name=name,
                inputs=inputs,
            )
        except Exception as exc:  # noqa: BLE001 - tracing must not break the run
            report_internal_error("langchain.on_chain_start", exc)

    def _graph_interrupt(self, event: Any) -> None:
        try:
            self._core.graph_interrupt(event)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langgraph.on_interrupt", exc)

    def _graph_resume(self, event: Any) -> None:
        try:
            self._core.graph_resume(event)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langgraph.on_resume", exc)

    def _chain_end(self, run_id: UUID) -> None:
        try:
            self._core.chain_end(run_id)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_chain_end", exc)

    def _chain_error(self, run_id: UUID, error: BaseException) -> None:
        try:
            self._core.chain_error(run_id, error)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_chain_error", exc)

    def _llm_start(
        self,
        serialized: Mapping[str, Any] | None,
        payload: Any,
        run_id: UUID,
        *,
        parent_run_id: UUID | None,
        tags: Sequence[str] | None,
        metadata: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
    ) -> None:
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

    def _llm_new_token(self, run_id: UUID) -> None:
        try:
            self._core.new_token(run_id)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_llm_new_token", exc)

    def _llm_end(self, run_id: UUID, response: Any) -> None:
        try:
            self._core.llm_end(run_id, response)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_llm_end", exc)

    def _llm_error(self, run_id: UUID, error: BaseException) -> None:
        try:
            self._core.llm_error(run_id, error)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_llm_error", exc)

    def _tool_start(
        self,
        serialized: Mapping[str, Any] | None,
        tool_input: Any,
        run_id: UUID,
        *,
        parent_run_id: UUID | None,
        tags: Sequence[str] | None,
        metadata: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
    ) -> None:
        try:
            self._core.tool_start(
                run_id,
                parent_run_id=parent_run_id,
                metadata=metadata,
                tags=tags,
                name=tool_name(serialized, kwargs),
                tool_input=tool_input,
            )
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_tool_start", exc)

    def _tool_end(self, run_id: UUID, output: Any) -> None:
        try:
            self._core.tool_end(run_id, output)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_tool_end", exc)

    def _tool_error(self, run_id: UUID, error: BaseException) -> None:
        try:
            self._core.tool_error(run_id, error)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_tool_error", exc)

    def _retriever_start(
        self,
        serialized: Mapping[str, Any] | None,
        query: str,
        run_id: UUID,
        *,
        parent_run_id: UUID | None,
        tags: Sequence[str] | None,
        metadata: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
    ) -> None:
        try:
            name = retriever_name(serialized, kwargs)
            self._core.retriever_start(
                run_id,
                parent_run_id=parent_run_id,
                metadata=metadata,
                tags=tags,
                name=name,
                query=query,
            )
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_retriever_start", exc)

    def _retriever_end(self, run_id: UUID, documents: Sequence[Any]) -> None:
        try:
            self._core.retriever_end(run_id, documents)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_retriever_end", exc)

    def _retriever_error(self, run_id: UUID, error: BaseException) -> None:
        try:
            self._core.retriever_error(run_id, error)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("langchain.on_retriever_error", exc)
