"""Per-run state, keyed by run id and grouped by root run, plus the interrupt memory.

Metadata only arrives on ``*_start`` callbacks, so what the end needs is kept here from
start to end. A chain that is neither a root run nor a possible graph node (most chains:
sequences, lambdas, routers) adds nothing to where its children sit, so it gets no state
of its own: its id maps to its parent's state. Everything a root run created is dropped
when that root run ends; the only memory kept across runs is a bounded LRU that links an
interrupted node to its resumed attempt by ``(thread_id, langgraph_checkpoint_ns)``. All
mutation goes through one lock: callbacks arrive from ToolNode worker threads and from
many asyncio tasks at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from enum import IntEnum
from typing import Any
from uuid import UUID

from agenttrace.instrumentation import SessionContext, Status

__all__ = ["RecordRef", "RootState", "RunKind", "RunState", "RunStore", "record_id_text"]

MAX_ATTEMPT = 10_000
"""Records allow attempts up to this number."""
RESUME_MEMORY = 4096
"""How many interrupted ``(thread_id, namespace)`` pairs are remembered for resumes."""


_COVER_LOCK = threading.Lock()

RecordRef = str | UUID | None
"""A record's id: a run with a record of its own is named by its run id, made text
(`record_id_text`) only where a record or a session is built, off the callback's path."""


def record_id_text(ref: RecordRef) -> str | None:
    """The id ``ref`` names, as records and sessions carry it."""
    return None if ref is None else str(ref)


class RunKind(IntEnum):
    """What a LangChain run is, as far as records go."""

    CHAIN = 0
    NODE = 1
    LLM = 2
    TOOL = 3
    RETRIEVER = 4


class RootState:
    """What every run under one root run shares: the session and the attempt counters."""

    __slots__ = (
        "asked",
        "muted",
        "node_attempts",
        "properties",
        "root_run_id",
        "run_ids",
        "session_id",
        "session_name",
        "thread_id",
        "user_id",
    )

    def __init__(
        self,
        root_run_id: UUID,
        session_id: str,
        *,
        session_name: str | None,
        user_id: str | None,
        properties: dict[str, str],
        thread_id: str | None,
    ) -> None:
        self.root_run_id = root_run_id
        self.session_id = session_id
        self.session_name = session_name
        self.user_id = user_id
        self.properties = properties
        self.thread_id = thread_id
        self.run_ids: set[int] = set()
        """The live runs under this root, by ``UUID.int`` (as `RunStore` keys them)."""
        self.muted = False
        """Another handler already traces this run tree: keep state, emit nothing."""
        self.node_attempts: dict[str, tuple[int, bool]] = {}
        """Per namespace: the last attempt number, and whether it got a chain record."""
        self.asked: set[str] | None = None
        """The interrupt ids this root run asked (each is one question)."""


class RunState:
    """One live run: where it sits in the session, and what its record needs at the end."""

    __slots__ = (
        "attempt",
        "branch_id",
        "context",
        "covered",
        "invocation_params",
        "kind",
        "model",
        "name",
        "namespace",
        "pair_record",
        "parent",
        "parent_record_id",
        "path",
        "payload",
        "provider",
        "root",
        "run_id",
        "scope_record_id",
        "start",
        "ttft_ms",
    )

    def __init__(
        self,
        run_id: UUID,
        kind: RunKind,
        root: RootState,
        parent: RunState | None,
        path: str,
        *,
        namespace: str | None,
        parent_record_id: RecordRef,
        attempt: int = 1,
        branch_id: str | None = None,
    ) -> None:
        self.run_id = run_id
        self.kind = kind
        self.root = root
        self.parent = parent
        self.path = path
        self.namespace = namespace
        self.parent_record_id = parent_record_id
        self.scope_record_id = parent_record_id
        """The record that runs below this one name as their parent (its own, if it has one)."""
        self.attempt = attempt
        self.branch_id = branch_id
        self.name = ""
        self.start = 0.0
        self.ttft_ms: float | None = None
        self.model: str | None = None
        self.provider: str | None = None
        """``ls_provider`` as LangChain gave it (made a provider id when the record is built)."""
        self.payload: Any = None
        self.invocation_params: Any = None
        self.covered: set[BaseException | Status] | None = None
        """Failures that a record below this run (or its own record) already reported."""
        self.context: SessionContext | None = None
        self.pair_record = False
        """A node attempt whose previous attempt got a chain record gets one too."""

    def session_context(self) -> SessionContext:
        """This run's session, as `agenttrace.current_session()` reports it inside the run."""
        context = self.context
        if context is None:
            root = self.root
            context = SessionContext(
                id=root.session_id,
                name=root.session_name,
                path=self.path,
                user_id=root.user_id,
                properties=root.properties,
                parent_id=record_id_text(self.scope_record_id),
                branch_id=self.branch_id,
            )
            self.context = context
        return context

    def cover(self, failure: BaseException | Status) -> None:
        """Mark this run and its ancestors as having had ``failure`` recorded below them.

        Exceptions hash by identity, so parallel branches failing at once each keep theirs.
        """
        state: RunState | None = self
        with _COVER_LOCK:  # failures only: parallel branches may fail at the same moment
            while state is not None:
                covered = state.covered
                if covered is None:
                    state.covered = {failure}
                elif failure in covered:
                    return
                else:
                    covered.add(failure)
                state = state.parent

    def has_covered(self, failure: BaseException | Status) -> bool:
        """Whether a record below this run already reported ``failure``."""
        covered = self.covered
        return covered is not None and failure in covered


class RunStore:
    """Live runs by id, and the interrupted attempts by ``(thread_id, namespace)``.

    Runs are keyed by their id's ``UUID.int``: an int hashes and compares in C, a `UUID`
    in Python, and every callback looks a run up."""

    def __init__(self, resume_memory: int = RESUME_MEMORY) -> None:
        self._runs: dict[int, RunState] = {}
        self._lock = threading.Lock()
        self._interrupted: OrderedDict[tuple[str, str], tuple[int, bool]] = OrderedDict()
        self._resume_memory = resume_memory

    def __len__(self) -> int:
        return len(self._runs)

    @property
    def remembered_interrupts(self) -> int:
        """How many interrupted attempts are remembered for linking resumes."""
        return len(self._interrupted)

    def get(self, run_id: UUID | None) -> RunState | None:
        """The live run with this id, or None."""
        if run_id is None:
            return None
        return self._runs.get(run_id.int)

    def add(self, state: RunState) -> None:
        """Start tracking ``state``."""
        key = state.run_id.int
        with self._lock:
            self._runs[key] = state
            state.root.run_ids.add(key)

    def add_pass_through(self, run_id: UUID, parent: RunState) -> None:
        """Track a chain that adds nothing to its parent (same path, namespace, record
        scope): lookups of its id give ``parent``, and `pop` of its id gives None."""
        key = run_id.int
        with self._lock:
            self._runs[key] = parent
            parent.root.run_ids.add(key)

    def pop(self, run_id: UUID) -> RunState | None:
        """Stop tracking a run; when it is a root run, forget everything under it too.

        None for an unknown run and for a pass-through chain (`add_pass_through`)."""
        key = run_id.int
        with self._lock:
            state = self._runs.pop(key, None)
            if state is None:
                return None
            root = state.root
            root.run_ids.discard(key)
            if state.run_id.int != key:
                return None
            if key == root.root_run_id.int:
                for orphan in root.run_ids:
                    self._runs.pop(orphan, None)
                root.run_ids.clear()
                root.node_attempts.clear()
            return state

    def add_node(self, state: RunState, namespace: str) -> None:
        """Start tracking the graph node ``state`` in ``namespace``: its attempt number
        (retries and resumes count) and whether the previous attempt got a record of its
        own, so that this one gets one too (``pair_record``)."""
        key = state.run_id.int
        root = state.root
        with self._lock:
            previous = root.node_attempts.get(namespace)
            if previous is None and root.thread_id is not None:
                previous = self._interrupted.get((root.thread_id, namespace))
            attempt = min(previous[0] + 1, MAX_ATTEMPT) if previous is not None else 1
            root.node_attempts[namespace] = (attempt, False)
            state.attempt = attempt
            state.pair_record = previous is not None and previous[1]
            self._runs[key] = state
            root.run_ids.add(key)

    def node_recorded(self, root: RootState, namespace: str, attempt: int) -> None:
        """The node's attempt got a ``chain`` record (so its next attempt gets one too)."""
        with self._lock:
            root.node_attempts[namespace] = (attempt, True)

    def remember_interrupt(
        self, thread_id: str, namespace: str, attempt: int, *, recorded: bool
    ) -> None:
        """Remember that a node was interrupted, so that its resume counts as a new attempt."""
        key = (thread_id, namespace)
        with self._lock:
            self._interrupted[key] = (attempt, recorded)
            self._interrupted.move_to_end(key)
            while len(self._interrupted) > self._resume_memory:
                self._interrupted.popitem(last=False)

    def forget_interrupt(self, thread_id: str, namespace: str) -> None:
        """The node finished: a later run of the same namespace is not a resume of it."""
        with self._lock:
            self._interrupted.pop((thread_id, namespace), None)
