"""What the exporter remembers of the sessions it sent, so that a session stays one trace.

A session's tree is sent when the session pauses (`agenttrace._internal.otel_export._tree`);
a session that goes on afterwards (a LangGraph run resumed after an interrupt, a chat's
next turn) makes another tree. To keep the whole session one trace with one root, the
OTLP export derives its ids from the session instead of drawing them:

* trace id: 128 bits of BLAKE2b of the session id; root span id: 64 bits of BLAKE2b of
  (session id, ``/``); a node span's id: of (session id, path, ``Send`` branch);
* a later tree of the session sends only the node spans not sent before (the root
  included); its new calls, and its new nodes, hang under the ids already sent. OTLP
  allows a child to arrive after its parent, so every span's parent is in the trace. A
  node span is never sent twice: its time is that of the calls it had when first sent,
  and the later calls under it may end after it (Jaeger, Tempo and Phoenix draw such a
  child past its parent's bar, with no error).

A node counts as sent once the export that carried it succeeded (an export that failed is
forgotten, so its nodes go again with the next tree). The memory is bounded: the 10,000
sessions sent most recently. A session resumed after it was forgotten, or in another
process (several processes sharing a session id), sends its root and node spans again
with the same ids: one trace still, with those spans twice (Tempo and agenttrace's
collector keep one; Jaeger flags a duplicate span id). A session id reused by an unrelated
run joins the old trace.

In a user's tracer provider the user's tracer draws the ids and the user's current span
decides the trace, so nothing is remembered: each tree is whole, under the user's span of
the moment (another trace when the session resumes in another request).
"""

from __future__ import annotations

from collections import OrderedDict
from hashlib import blake2b

from agenttrace._internal.otel_export._tree import Anchor, NodeKey

__all__ = ["MAX_SESSIONS", "SessionLayout", "SessionLayouts"]

MAX_SESSIONS = 10_000
"""Sessions whose sent node spans are remembered (the most recently sent)."""


def _digest(text: str, size: int, person: bytes) -> int:
    value = int.from_bytes(blake2b(text.encode(), digest_size=size, person=person).digest())
    return value or 1  # an all-zero id is invalid


class SessionLayout:
    """One session's trace id, its node spans sent so far, and its branches' nodes."""

    __slots__ = ("anchors", "sent", "session_id", "trace_id")

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.trace_id = _digest(session_id, 16, b"agenttrace.trace")
        self.sent: set[NodeKey] = set()
        """Node spans delivered, by (path, branch); the root is ``("/", None)``."""
        self.anchors: dict[str, Anchor] = {}
        """Each ``Send`` branch's node, as used by the trees sent (`branch_anchors`)."""

    def span_id(self, key: NodeKey) -> int:
        """The id of the node span ``key`` (the same in every tree of the session)."""
        path, branch = key
        text = f"{self.session_id}\0{path}\0{'' if branch is None else chr(1) + branch}"
        return _digest(text, 8, b"agenttrace.span")


class SessionLayouts:
    """The sessions remembered, least recently sent first; the worker thread's alone."""

    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self.limit = limit
        self._layouts: OrderedDict[str, SessionLayout] = OrderedDict()

    def get(self, session_id: str) -> SessionLayout:
        """The session's layout (a fresh one for a session not remembered)."""
        layout = self._layouts.pop(session_id, None)
        if layout is None:
            layout = SessionLayout(session_id)
            while len(self._layouts) >= self.limit:
                self._layouts.popitem(last=False)
        self._layouts[session_id] = layout
        return layout

    def __len__(self) -> int:
        return len(self._layouts)
