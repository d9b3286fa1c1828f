"""The tracing logic both handlers share: run starts build state, run ends emit records.

Records: one ``llm`` record per chat-model / LLM run, one ``tool`` record per tool run, one
``vector_db`` record per retriever run. Graph nodes and other chains are path segments,
not records, with two exceptions that keep failures and resumes visible:

* a graph node (or the root run) that ends with an exception that no record below it
  already reported gets one ``chain`` record (status error, interrupted, handoff or
  cancelled), so that an error or ``interrupt()`` raised in a node body is never lost;
* when such a node is retried (``RetryPolicy``) or resumed after an interrupt, its next
  attempt gets a ``chain`` record too, however it ends, so that the recovery is visible
  (attempts whose failure a record below them showed are left to those records).

Node durations are therefore not records of their own: the collector's session tree rolls
each path's duration up from the requests under it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any
from uuid import UUID

from agenttrace.instrumentation import (
    RecordKind,
    SessionContext,
    Status,
    checkpoint_namespace,
    child_path,
    current_session,
    error_info,
    exception_status,
    is_push_task,
    join_path,
    namespace_segments,
    node_segment,
    sends_bodies,
    task_id,
)
from agenttrace_langchain.context_provider import running_run
from agenttrace_langchain.emit import (
    emit_llm_record,
    emit_record,
    failed_llm_bodies,
    failed_retriever_bodies,
    failed_tool_bodies,
    retriever_bodies,
    tool_bodies,
)
from agenttrace_langchain.lifecycle import breakpoint_id, event_interrupts
from agenttrace_langchain.names import chain_name
from agenttrace_langchain.questions import OpenQuestions, interrupts_of, node_key_of, resume_of
from agenttrace_langchain.run_state import RootState, RunKind, RunState, RunStore
from agenttrace_langchain.session import HandlerSettings, resolve_session
from agenttrace_langchain.status import tool_output_outcome
from agenttrace_langchain.tokens import asked_model

__all__ = ["TraceCore"]

_EMPTY: Mapping[str, Any] = {}


def _failure_key(error: BaseException, status: Status) -> BaseException | Status:
    """Errors are matched by identity; control flow (interrupts, handoffs) by status."""
    return error if status is Status.ERROR else status


def _within(scope: SessionContext | None, run: SessionContext) -> bool:
    """Whether ``scope`` is the run's own context or a scope opened inside that run."""
    if scope is None or scope.id != run.id:
        return False
    return (
        scope is run or scope.path.startswith(run.path.rstrip("/") + "/") or scope.path == run.path
    )


def _child_state(run_id: UUID, kind: RunKind, parent: RunState, namespace: str | None) -> RunState:
    """A run's state where its parent sits, before anything of its own is added."""
    return RunState(
        run_id,
        kind,
        parent.root,
        parent,
        parent.path,
        namespace=namespace,
        parent_record_id=parent.scope_record_id,
        attempt=parent.attempt,
        branch_id=parent.branch_id,
    )


class TraceCore:
    """Run state and record emission for one handler (thread-safe, no I/O)."""

    def __init__(self, settings: HandlerSettings) -> None:
        self.settings = settings
        self.store = RunStore()
        self.questions = OpenQuestions()

    # -- starts ---------------------------------------------------------------------------

    def _root(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        kind: RunKind,
        *,
        metadata: Mapping[str, Any],
        name: str | None,
        namespace: str | None,
    ) -> RunState:
        running = running_run()
        scope = current_session()
        resolved = resolve_session(
            self.settings,
            metadata,
            scope,
            scope_is_run=running is not None and _within(scope, running[1].session_context()),
        )
        root = RootState(
            run_id,
            resolved.session_id,
            session_name=resolved.session_name,
            user_id=resolved.user_id,
            properties=resolved.properties,
            thread_id=resolved.thread_id,
        )
        # LangGraph merges a nested graph's own callbacks into the inherited ones: when
        # another of our handlers traces the parent run, it traces this tree too.
        root.muted = running is not None and running[0] == parent_run_id
        path = resolved.base_path
        if not resolved.inherited_path:
            if self.settings.path_prefix:
                path = join_path(path, self.settings.path_prefix)
            if self.settings.include_root_name and kind is RunKind.CHAIN and name:
                path = child_path(path, name)
            if namespace:
                for segment in namespace_segments(namespace):
                    path = child_path(path, segment)
        return RunState(
            run_id,
            kind,
            root,
            None,
            path,
            namespace=namespace,
            parent_record_id=resolved.parent_record_id,
            branch_id=resolved.branch_id,
        )

    def _begin_chain(  # noqa: PLR0917 - positional: once per chain start
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        parent: RunState | None,
        namespace: str | None,
        metadata: Mapping[str, Any] | None,
        tags: Sequence[str] | None,
        name: str | None,
    ) -> RunState:
        """Track a chain below ``parent`` (a root run when None), in ``namespace`` (its
        `checkpoint_namespace`); a chain whose namespace is new there is a graph node."""
        metadata = metadata or _EMPTY
        if parent is None:
            state = self._root(
                run_id,
                parent_run_id,
                RunKind.CHAIN,
                metadata=metadata,
                name=name,
                namespace=namespace,
            )
        else:
            own_namespace = namespace if namespace is not None else parent.namespace
            state = _child_state(run_id, RunKind.CHAIN, parent, own_namespace)
            if namespace is not None:
                node = node_segment(metadata, namespace, parent.namespace, tags, name)
                if node is not None:
                    self._make_node(state, node, metadata, namespace)
                    return state
        self.store.add(state)
        return state

    def _make_node(
        self, state: RunState, node: str, metadata: Mapping[str, Any], namespace: str
    ) -> None:
        """Make ``state`` the graph node ``node`` (its attempt counted) and track it."""
        state.kind = RunKind.NODE
        state.name = node
        state.path = child_path(state.path, node)
        if is_push_task(metadata):
            state.branch_id = task_id(namespace)
        state.start = time.time()
        self.store.add_node(state, namespace)

    def _begin_record(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        kind: RunKind,
        *,
        metadata: Mapping[str, Any] | None,
        tags: Sequence[str] | None,
        name: str,
    ) -> RunState:
        """Track a run that gets a record of its own (model, tool, retriever)."""
        namespace = checkpoint_namespace(metadata) if metadata else None
        parent = self.store.get(parent_run_id)
        if parent is None:
            state = self._root(
                run_id,
                parent_run_id,
                kind,
                metadata=metadata or _EMPTY,
                name=name,
                namespace=namespace,
            )
        else:
            own_namespace = namespace if namespace is not None else parent.namespace
            state = _child_state(run_id, kind, parent, own_namespace)
        state.name = name
        state.scope_record_id = run_id
        if kind is RunKind.TOOL:
            state.path = child_path(state.path, name)
        state.start = time.time()
        self.store.add(state)
        return state

    def chain_start(  # noqa: PLR0917 - positional: the most frequent callback
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        metadata: Mapping[str, Any] | None,
        tags: Sequence[str] | None,
        serialized: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
        inputs: Any = None,
    ) -> None:
        """A chain (graph, node, sequence, lambda...) started; a root run started with
        ``Command(resume=...)`` answers the questions it names.

        A chain started inside a traced run without a namespace of its own (a sequence, a
        lambda, a router: most chains) adds no path segment and no record, and its
        children sit where it sits: it shares its parent's state (the common case, kept
        cheap). A root run, or a chain that may be a graph node, gets its own."""
        namespace = checkpoint_namespace(metadata) if metadata else None
        parent = self.store.get(parent_run_id)
        if parent is not None and (namespace is None or namespace == parent.namespace):
            self.store.add_pass_through(run_id, parent)
            return
        name = chain_name(serialized, kwargs)
        state = self._begin_chain(run_id, parent_run_id, parent, namespace, metadata, tags, name)
        if state.parent is None:
            state.name = name or "chain"
            state.start = time.time()
            resume = resume_of(inputs)
            if resume is not None:
                self.questions.answer(state.root, resume)

    def llm_start(
        self,
        run_id: UUID,
        *,
        parent_run_id: UUID | None,
        metadata: Mapping[str, Any] | None,
        tags: Sequence[str] | None,
        name: str,
        payload: Any,
        invocation_params: Mapping[str, Any] | None,
    ) -> None:
        """A chat model (``payload`` = message lists) or LLM (``payload`` = prompts) started."""
        state = self._begin_record(
            run_id, parent_run_id, RunKind.LLM, metadata=metadata, tags=tags, name=name
        )
        state.payload = payload
        state.invocation_params = invocation_params
        state.model = asked_model(metadata, invocation_params)
        provider = metadata.get("ls_provider") if metadata else None
        state.provider = provider if isinstance(provider, str) else None

    def tool_start(
        self,
        run_id: UUID,
        *,
        parent_run_id: UUID | None,
        metadata: Mapping[str, Any] | None,
        tags: Sequence[str] | None,
        name: str,
        tool_input: Any,
    ) -> None:
        """A tool started; its name becomes a path segment."""
        state = self._begin_record(
            run_id, parent_run_id, RunKind.TOOL, metadata=metadata, tags=tags, name=name
        )
        state.payload = tool_input

    def retriever_start(
        self,
        run_id: UUID,
        *,
        parent_run_id: UUID | None,
        metadata: Mapping[str, Any] | None,
        tags: Sequence[str] | None,
        name: str,
        query: str,
    ) -> None:
        """A retriever started."""
        state = self._begin_record(
            run_id, parent_run_id, RunKind.RETRIEVER, metadata=metadata, tags=tags, name=name
        )
        state.payload = query

    def new_token(self, run_id: UUID) -> None:
        """A streamed token arrived: only the first one matters (time to first token)."""
        state = self.store.get(run_id)
        if state is not None and state.ttft_ms is None:
            state.ttft_ms = max(0.0, (time.time() - state.start) * 1000.0)

    # -- ends -----------------------------------------------------------------------------

    def chain_end(self, run_id: UUID) -> None:
        """A chain finished normally."""
        state = self.store.pop(run_id)
        if state is None or state.kind is not RunKind.NODE:
            return
        self.questions.finished(state)
        if state.attempt == 1:
            return
        thread_id = state.root.thread_id
        if thread_id is not None and state.namespace is not None:
            self.store.forget_interrupt(thread_id, state.namespace)
        if state.pair_record:
            emit_record(state, RecordKind.CHAIN, Status.OK)

    def chain_error(self, run_id: UUID, error: BaseException) -> None:
        """A chain raised (or bubbled up an interrupt or handoff)."""
        state = self.store.pop(run_id)
        if state is None:
            return
        is_node = state.kind is RunKind.NODE
        if not is_node and state.parent is not None:
            return
        status = exception_status(error)
        if status is Status.INTERRUPTED:
            self.questions.ask(state, interrupts_of(error, node_key_of(state)))
        key = _failure_key(error, status)
        recorded = not state.has_covered(key)
        if recorded:
            emit_record(state, RecordKind.CHAIN, status, error_info(error, status))
            state.cover(key)
        if not is_node or state.namespace is None:
            return
        if recorded:
            self.store.node_recorded(state.root, state.namespace, state.attempt)
        thread_id = state.root.thread_id
        if status is Status.INTERRUPTED and thread_id is not None:
            self.store.remember_interrupt(
                thread_id, state.namespace, state.attempt, recorded=recorded
            )

    def llm_end(self, run_id: UUID, response: Any) -> None:
        """A chat model / LLM finished: usage, served model and cost are read from the
        result when its record is built."""
        ended = time.time()
        state = self.store.pop(run_id)
        if state is None or state.root.muted:
            return
        emit_llm_record(state, response, bodies=sends_bodies(), ended=ended)

    def _failed(self, run_id: UUID, kind: RecordKind, error: BaseException) -> None:
        state = self.store.pop(run_id)
        if state is None or state.root.muted:
            return
        status = exception_status(error)
        if status is Status.INTERRUPTED:
            self.questions.ask(state, interrupts_of(error, node_key_of(state)))
        bodies = None
        if sends_bodies():
            if kind is RecordKind.LLM:
                bodies = failed_llm_bodies
            elif kind is RecordKind.TOOL:
                bodies = failed_tool_bodies
            else:
                bodies = failed_retriever_bodies
        emit_record(state, kind, status, error_info(error, status), bodies=bodies)
        if state.parent is not None:
            state.cover(_failure_key(error, status))

    def llm_error(self, run_id: UUID, error: BaseException) -> None:
        """A chat model / LLM raised."""
        self._failed(run_id, RecordKind.LLM, error)

    def tool_error(self, run_id: UUID, error: BaseException) -> None:
        """A tool raised (also with ``ToolNode(handle_tool_errors=True)``, which then
        answers the model with an error ``ToolMessage``)."""
        self._failed(run_id, RecordKind.TOOL, error)

    def retriever_error(self, run_id: UUID, error: BaseException) -> None:
        """A retriever raised."""
        self._failed(run_id, RecordKind.VECTOR_DB, error)

    def tool_end(self, run_id: UUID, output: Any) -> None:
        """A tool returned (an error ``ToolMessage`` or a parent ``Command`` sets the status)."""
        state = self.store.pop(run_id)
        if state is None or state.root.muted:
            return
        status, error = tool_output_outcome(output)
        bodies = partial(tool_bodies, output) if sends_bodies() else None
        emit_record(state, RecordKind.TOOL, status, error, bodies=bodies)
        if status is not Status.OK and state.parent is not None:
            state.parent.cover(status)

    def retriever_end(self, run_id: UUID, documents: Sequence[Any]) -> None:
        """A retriever returned its documents."""
        state = self.store.pop(run_id)
        if state is None or state.root.muted:
            return
        bodies = partial(retriever_bodies, documents) if sends_bodies() else None
        emit_record(state, RecordKind.VECTOR_DB, Status.OK, bodies=bodies)

    # -- LangGraph lifecycle (langgraph 1.x) -----------------------------------------------

    def graph_interrupt(self, event: Any) -> None:
        """The graph paused (``on_interrupt``): a question for each interrupt no node
        reported, and for a static breakpoint, at the graph's path."""
        run_id = getattr(event, "run_id", None)
        if not isinstance(run_id, UUID):
            return
        state = self.store.get(run_id)
        if state is None:
            return
        if state.run_id != run_id:  # a pass-through chain (a graph inside a node or tool)
            state = _child_state(run_id, RunKind.CHAIN, state, state.namespace)
        self.questions.ask(state, event_interrupts(event))

    def graph_resume(self, event: Any) -> None:
        """The graph resumed from a checkpoint (``on_resume``): a breakpoint asked there
        is answered."""
        state = self.store.get(getattr(event, "run_id", None))
        checkpoint_id = getattr(event, "checkpoint_id", None)
        if state is not None and isinstance(checkpoint_id, str):
            self.questions.resumed_from(state.root, breakpoint_id(checkpoint_id))

    # -- context --------------------------------------------------------------------------

    def context_for(self, run_id: UUID) -> SessionContext | None:
        """The `SessionContext` of a live run, or None."""
        state = self.store.get(run_id)
        return None if state is None else state.session_context()

    def live_runs(self) -> int:
        """How many runs are being tracked right now (0 between root runs)."""
        return len(self.store)
