"""Where a span's record belongs, from the chain of its ancestors known so far.

The handler's rules, applied to spans (root first):

* an ancestor that carries LangGraph metadata adds its ``langgraph_node`` when the LangGraph
  node rule makes it a node (its namespace differs from the one it inherits); records
  (LLM, tool, retriever spans) never add a node of their own;
* a span's own segment (a tool's name, an ``invoke_agent`` span's agent, a Traceloop
  workflow / agent / task entity outside LangGraph) is added after it; LLM spans add none;
* session: the nearest span of the chain (the record's own first) that names one
  (``session.id``, ``gen_ai.conversation.id``, a Traceloop association property, else
  LangGraph's ``thread_id``), else the trace id: one session per trace;
* parent record: the nearest ancestor that is itself a record.

A record whose ancestors have not all arrived is placed by those present; when the topmost
one present carries a LangGraph namespace, the nodes of that namespace start the path
(``researcher:1|agent:2`` gives ``/researcher/agent``), as the handler does when it is
attached below the graph root. It is placed again when the missing ancestors arrive.
"""

from __future__ import annotations

from collections.abc import Mapping

from agenttrace.core.langgraph_paths import NODE_KEY, namespace_segments, node_segment
from agenttrace.core.sessions import child_path
from agenttrace.server.store.otlp_spans import Placement, SpanLink

__all__ = ["resolve_place"]

_MAX_CHAIN = 1000


def _chain(link: SpanLink, spans: Mapping[str, SpanLink]) -> tuple[list[SpanLink], bool]:
    """``link`` and its ancestors present, nearest first; whether the chain reaches a root
    (not a missing span, a cycle of parent ids, nor `_MAX_CHAIN` spans)."""
    chain = [link]
    parent_id = link.parent_span_id
    if not parent_id:
        return chain, True
    seen = {link.span_id}
    get = spans.get
    while parent_id:
        parent = get(parent_id)
        if parent is None or parent.span_id in seen or len(chain) >= _MAX_CHAIN:
            return chain, False
        chain.append(parent)
        seen.add(parent.span_id)
        parent_id = parent.parent_span_id
    return chain, True


def resolve_place(link: SpanLink, spans: Mapping[str, SpanLink]) -> Placement:
    """The place of ``link``'s record among ``spans`` (its trace's spans by span id)."""
    chain, complete = _chain(link, spans)
    session_id = link.trace_id
    for span in chain:
        if span.session_id:
            session_id = span.session_id
            break
    record_id: str | None = None
    path = "/"
    inherited: str | None = None
    top = chain[-1]
    if not complete and top.graph_namespace:
        for segment in namespace_segments(top.graph_namespace):
            path = child_path(path, segment)
        inherited = top.graph_namespace
    for span in reversed(chain):
        namespace = span.graph_namespace
        if namespace is not None:
            if span.record_id is None:
                metadata = {NODE_KEY: span.graph_node} if span.graph_node else {}
                node = node_segment(metadata, namespace, inherited, None, None)
                if node:
                    path = child_path(path, node)
            inherited = namespace
        if span.segment:
            path = child_path(path, span.segment)
        if span.record_id and span is not link:
            record_id = span.record_id  # the nearest ancestor record wins: walked last
    return Placement(path, session_id, record_id)  # by position: cheaper, once a record
