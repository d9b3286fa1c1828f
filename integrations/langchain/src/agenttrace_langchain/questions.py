"""Questions to a human: a ``human`` record per LangGraph interrupt, completed on resume.

When a node (or a tool inside one) raises ``GraphInterrupt``, each of its interrupts is a
question: a record of kind ``human`` at the path of the run that asked, with the
interrupt's value (``request["question"]``, when bodies are sent), its id (the
``agenttrace.interrupt_id`` property) and the time it was asked; status ``interrupted``
and no end time while nobody has answered. The record's id comes from the session and
the interrupt id (`human_record_id`), so the process that resumes the graph (this one or
another, through a checkpointer) sends the answer under the same id and the collector
completes the question: ``Command(resume={interrupt_id: answer, ...})`` answers each
interrupt it names; a bare ``Command(resume=answer)`` (LangGraph allows it when one
interrupt is pending) answers the questions this handler saw asked in the session, or,
when it saw none (another process asked), is sent as an answer to the session's open
question (`OPEN_QUESTION`), which the collector completes.

Interrupts without an id (langgraph before 0.4, and a ``NodeInterrupt`` in any version) are
keyed by the node's checkpoint namespace and their index; those questions are completed
when the resumed node finishes (in the handler that saw them asked).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from agenttrace.instrumentation import (
    ANSWER_KEY,
    INTERRUPT_ID_PROPERTY,
    OPEN_QUESTION,
    QUESTION_KEY,
    Record,
    RecordKind,
    Status,
    emit,
    human_record_id,
    new_record,
    sends_bodies,
)
from agenttrace_langchain.lifecycle import NO_ID
from agenttrace_langchain.run_state import RootState, RunState, record_id_text
from agenttrace_langchain.serialize import jsonable

__all__ = [
    "OPEN_QUESTIONS",
    "Asked",
    "OpenQuestions",
    "Resume",
    "interrupts_of",
    "node_key_of",
    "resume_of",
]

OPEN_QUESTIONS = 4096
"""How many unanswered questions a handler remembers (to complete them on a bare resume)."""
_NO_ANSWER = object()


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _human_record(
    root: RootState, interrupt_id: str, record_id: str | None = None, **fields: Any
) -> Record:
    """A ``human`` record of ``interrupt_id`` in ``root``'s session; ``fields`` set the rest."""
    values: dict[str, Any] = {
        "id": record_id or human_record_id(root.session_id, interrupt_id),
        "kind": RecordKind.HUMAN,
        "session_id": root.session_id,
        "session_name": root.session_name,
        "session_path": "/",
        "parent_id": None,
        "name": "interrupt",
        "model": None,
        "provider": None,
        "user_id": root.user_id,
        "properties": {**root.properties, INTERRUPT_ID_PROPERTY: interrupt_id},
        "end_time": None,
        "time_to_first_token_ms": None,
        "error": None,
        "usage": None,
        "cost_usd": None,
        "attempt": 1,
        "branch_id": None,
        "request": None,
        "response": None,
        **fields,
    }
    return new_record(values)  # type: ignore[arg-type]  # every key of RecordFields is set


_BY_NODE = "#"
"""Joins a node's place and an index into the id of an interrupt langgraph gave none."""


def _interrupt_id(interrupt: Any) -> str | None:
    found = getattr(interrupt, "id", None)
    if isinstance(found, str) and found and found != NO_ID:
        return found
    if not hasattr(type(interrupt), "id") and "interrupt_id" in dir(type(interrupt)):
        # langgraph 0.4 and 0.5: a property (1.x keeps it, deprecated, beside ``id``)
        found = getattr(interrupt, "interrupt_id", None)
        if isinstance(found, str) and found:
            return found
    return None


Asked = tuple[str, Any, str]
"""An interrupt to ask: its id, its value, and what tells it apart while it bubbles up (its
id, or the interrupt object itself when the id is made up from where it was caught)."""


def interrupts_of(error: BaseException, node_key: str) -> list[Asked]:
    """Each interrupt a ``GraphInterrupt`` carries (an id made of ``node_key``, the asking
    run's place, and the index when langgraph gives none)."""
    args = error.args
    items: Iterable[Any] = args[0] if args and isinstance(args[0], Sequence) else ()
    if isinstance(items, str | bytes):
        return []
    found = []
    for index, interrupt in enumerate(items):
        if not hasattr(interrupt, "value"):
            continue
        given = _interrupt_id(interrupt)
        if given is not None:
            found.append((given, interrupt.value, given))
        else:
            made = f"{node_key}{_BY_NODE}{index}"
            found.append((made, interrupt.value, f"{_BY_NODE}{id(interrupt)}"))
    return found


def node_key_of(state: RunState) -> str:
    """Where a run asked, for questions without an interrupt id: its path and branch."""
    return f"{state.path}@{state.branch_id}" if state.branch_id else state.path


class Resume:
    """What a ``Command(resume=...)`` answers: named interrupts, or the pending one."""

    __slots__ = ("by_id", "value")

    def __init__(self, by_id: Mapping[str, Any] | None, value: Any = _NO_ANSWER) -> None:
        self.by_id = dict(by_id) if by_id is not None else None
        self.value = value


def resume_of(inputs: Any) -> Resume | None:
    """The resume a root run's input carries (a LangGraph ``Command``), or None."""
    if type(inputs).__name__ != "Command":
        return None
    value = getattr(inputs, "resume", None)
    if value is None:
        return None
    if isinstance(value, Mapping) and value and all(_looks_like_id(k) for k in value):
        return Resume({str(k): v for k, v in value.items()})
    return Resume(None, value)


def _looks_like_id(key: object) -> bool:
    return isinstance(key, str) and len(key) == 32 and all(c in "0123456789abcdef" for c in key)


class OpenQuestions:
    """Questions asked and not yet answered, per session (bounded, oldest forgotten)."""

    def __init__(self, limit: int = OPEN_QUESTIONS) -> None:
        self._lock = threading.Lock()
        self._open: OrderedDict[tuple[str, str], Record] = OrderedDict()
        self._by_node: dict[tuple[str, str], list[str]] = {}
        """Questions without an interrupt id, by session and the asking node's place."""
        self._limit = limit

    def __len__(self) -> int:
        return len(self._open)

    def ask(self, state: RunState, interrupts: list[Asked]) -> None:
        """Emit a question for each interrupt ``state``'s run raised that this root run
        has not asked yet (an interrupt bubbles up through every enclosing node)."""
        root = state.root
        if root.muted:
            return
        bodies = sends_bodies()
        asked = time.time()
        for interrupt_id, value, seen in interrupts:
            key = (root.session_id, interrupt_id)
            with self._lock:
                if seen in _asked(root):
                    continue
                _asked(root).add(seen)
            record = _human_record(
                root,
                interrupt_id,
                session_path=state.path,
                parent_id=record_id_text(state.parent_record_id),
                name=state.name or "interrupt",
                start_time=_utc(asked),
                status=Status.INTERRUPTED,
                attempt=state.attempt,
                branch_id=state.branch_id,
                request={QUESTION_KEY: jsonable(value)} if bodies else None,
            )
            with self._lock:
                self._open[key] = record
                self._open.move_to_end(key)
                while len(self._open) > self._limit:
                    self._open.popitem(last=False)
                node_key, by_node, _ = interrupt_id.rpartition(_BY_NODE)
                if by_node and interrupt_id.startswith(node_key_of(state)):
                    self._by_node.setdefault((root.session_id, node_key), []).append(interrupt_id)
                    while len(self._by_node) > self._limit:
                        self._by_node.pop(next(iter(self._by_node)))
            emit(record)

    def answer(self, root: RootState, resume: Resume) -> None:
        """Complete the questions ``resume`` answers (a root run started with it)."""
        if root.muted:
            return
        if resume.by_id is not None:
            for interrupt_id, value in resume.by_id.items():
                self._complete(root, interrupt_id, value)
            return
        with self._lock:
            pending = [k[1] for k in self._open if k[0] == root.session_id]
        for interrupt_id in pending:
            self._complete(root, interrupt_id, resume.value)
        if not pending:
            self._complete(root, OPEN_QUESTION, resume.value, key=str(root.root_run_id))

    def resumed_from(self, root: RootState, interrupt_id: str) -> None:
        """A run resumed past the breakpoint ``interrupt_id``: complete its question if this
        handler asked it (another process's pause at a breakpoint is not joined: a resume
        from a checkpoint does not say whether a breakpoint or a failure stopped it)."""
        with self._lock:
            known = (root.session_id, interrupt_id) in self._open
        if known:
            self._complete(root, interrupt_id, _NO_ANSWER)

    def finished(self, node: RunState) -> None:
        """A node finished: the questions it asked without an interrupt id are answered
        (a resume carries no answer for them)."""
        if not self._by_node:  # the usual case, checked before anything is made
            return
        root = node.root
        with self._lock:
            pending = self._by_node.pop((root.session_id, node_key_of(node)), ())
        for interrupt_id in pending:
            self._complete(root, interrupt_id, _NO_ANSWER)

    def _complete(self, root: RootState, interrupt_id: str, value: Any, *, key: str = "") -> None:
        """Send the answer of ``interrupt_id`` (its record's id made of ``interrupt_id`` and
        ``key``: an answer to whichever question is open gets one id per resume)."""
        with self._lock:
            question = self._open.pop((root.session_id, interrupt_id), None)
        answered = _utc(time.time())
        response = {ANSWER_KEY: jsonable(value)} if value is not _NO_ANSWER else None
        if not sends_bodies():
            response = None
        if question is not None:
            record = question.model_copy(
                update={"end_time": max(answered, question.start_time), "status": Status.OK}
            )
            record.response = response
        else:  # asked in another process: the collector completes its question
            record = _human_record(
                root,
                interrupt_id,
                record_id=human_record_id(root.session_id, interrupt_id + key),
                name="answer",
                start_time=answered,
                end_time=answered,
                status=Status.OK,
                response=response,
            )
        emit(record)


def _asked(root: RootState) -> set[str]:
    asked = root.asked
    if asked is None:
        asked = root.asked = set()
    return asked
